"""``python -m simulator``: one simulation, request on stdin, summary as JSON on stdout."""

from simulator.process import main

main()
