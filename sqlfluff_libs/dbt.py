"""dbt's own cross-database macros (``dbt.datediff``, ``dbt.type_string`` …) ship with dbt and
its adapters, out of sqlfluff's reach: a type macro renders as the type it names
(``type_string()`` as ``string``), any other as a function call of the same name, which parse
and lint like the SQL they stand for."""

from __future__ import annotations


def __getattr__(macro_name: str):
    def render(*args: str) -> str:
        if macro_name.startswith("type_"):
            return macro_name.removeprefix("type_")
        return f"{macro_name}({', '.join(args)})"

    return render
