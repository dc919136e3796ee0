"""A simulated bank: four source systems' daily extracts plus a ground truth kept apart."""

from simulator.config import SimulationParams
from simulator.run import SimulationSummary, simulate

__all__ = ["SimulationParams", "SimulationSummary", "simulate"]
