"""The segment catalog: versioned YAML files, parsed with line numbers and validated on load.

A segment is a tree of conditions (``all`` / ``any`` / ``not`` over leaves ``{field, op,
value}``). Parsing checks the shape and the operators; which fields exist is the warehouse's
business (``activation.fields``), checked when a segment is compiled against it. Every error
names the file, the line and the segment, so a marketer can find the mistake.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

OPERATORS = {
    "eq": 1, "ne": 1, "lt": 1, "le": 1, "gt": 1, "ge": 1,
    "in": "list", "not_in": "list", "between": 2, "is_null": 0, "is_not_null": 0,
}  # fmt: skip
"""Operator → its value: one scalar, a non-empty list, a [low, high] pair, or none."""

NAME = re.compile(r"[a-z][a-z0-9_]*")
SEGMENT_KEYS = {"name", "version", "description", "owner", "purpose", "where", "breakdown"}


class CatalogError(ValueError):
    """A segment definition the catalog refuses: the message names file, line and segment."""

    def __init__(self, path: Path | str, line: int, segment: str | None, message: str):
        self.path, self.line, self.segment = str(path), line, segment
        where = f"segment '{segment}'" if segment else "catalog"
        super().__init__(f"{path}:{line}: {where}: {message}")


class _Mapping(dict):
    """A YAML mapping that remembers the (1-based) line it starts on."""

    line: int = 0


class _LineLoader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        mapping = _Mapping(super().construct_mapping(node, deep=deep))
        mapping.line = node.start_mark.line + 1
        return mapping


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping
)


@dataclass(frozen=True)
class Leaf:
    """One condition: ``field`` compared by ``op`` with ``value`` (validated shape)."""

    field: str
    op: str
    value: Any
    line: int


@dataclass(frozen=True)
class Group:
    """``all`` (and), ``any`` (or) or ``not`` over child conditions."""

    kind: str
    children: tuple[Leaf | Group, ...]
    line: int


@dataclass(frozen=True)
class Segment:
    name: str
    version: int
    description: str
    owner: str
    purpose: str
    where: Group
    breakdown: tuple[str, ...]
    path: Path
    line: int
    definition: dict = field(repr=False, compare=False)

    @property
    def definition_hash(self) -> str:
        """SHA-256 of the definition as loaded (canonical JSON): the manifest records it, so an
        export can be traced to the exact rules that chose its audience."""
        text = json.dumps(self.definition, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def error(self, line: int, message: str) -> CatalogError:
        return CatalogError(self.path, line, self.name, message)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _condition(node: Any, path: Path, segment: str, line: int) -> Leaf | Group:
    def fail(at: int, message: str) -> CatalogError:
        return CatalogError(path, at, segment, message)

    if not isinstance(node, dict):
        raise fail(line, f"a condition must be a mapping, got {node!r}")
    at = getattr(node, "line", line)
    groups = [k for k in ("all", "any", "not") if k in node]
    if groups:
        if len(node) != 1:
            raise fail(at, f"'{groups[0]}' must stand alone in its mapping, got {sorted(node)}")
        kind = groups[0]
        children = node[kind] if kind != "not" else [node[kind]]
        if not isinstance(children, list) or not children:
            raise fail(at, f"'{kind}' needs a non-empty list of conditions")
        return Group(kind, tuple(_condition(c, path, segment, at) for c in children), at)
    unknown = set(node) - {"field", "op", "value"}
    if unknown:
        raise fail(at, f"unknown key(s) {sorted(unknown)}; a condition has field, op, value")
    name, op = node.get("field"), node.get("op")
    if not isinstance(name, str) or not name:
        raise fail(at, "a condition needs 'field'")
    if op not in OPERATORS:
        raise fail(at, f"unknown operator {op!r} for field '{name}' (known: {sorted(OPERATORS)})")
    arity = OPERATORS[op]
    value = node.get("value")
    if arity == 0:
        if "value" in node:
            raise fail(at, f"'{op}' takes no value")
    elif arity == "list":
        if not isinstance(value, list) or not value:
            raise fail(at, f"'{op}' needs a non-empty list value")
    elif arity == 2:
        if not isinstance(value, list) or len(value) != 2:
            raise fail(at, f"'{op}' needs a [low, high] value")
    elif "value" not in node or isinstance(value, list | dict) or value is None:
        raise fail(at, f"'{op}' needs one scalar value")
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, list | dict):
            raise fail(at, f"values must be scalars, got {item!r}")
    return Leaf(name, op, _plain(value), at)


def parse_segment(node: Any, path: Path, line: int = 1) -> Segment:
    """One segment mapping → ``Segment``; its shape and operators are checked here."""
    if not isinstance(node, dict):
        raise CatalogError(path, line, None, "a segment must be a mapping")
    at = getattr(node, "line", line)
    name = node.get("name")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise CatalogError(path, at, None, f"segment name {name!r} must be snake_case")
    unknown = set(node) - SEGMENT_KEYS
    if unknown:
        raise CatalogError(path, at, name, f"unknown key(s) {sorted(unknown)}")
    for key in ("description", "owner", "purpose"):
        if not isinstance(node.get(key), str) or not node[key].strip():
            raise CatalogError(path, at, name, f"'{key}' is required")
    version = node.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CatalogError(path, at, name, "'version' must be a positive integer")
    if "where" not in node:
        raise CatalogError(path, at, name, "'where' is required")
    where = _condition(node["where"], path, name, at)
    if isinstance(where, Leaf):
        where = Group("all", (where,), where.line)
    breakdown = node.get("breakdown", [])
    if not isinstance(breakdown, list) or not all(isinstance(b, str) for b in breakdown):
        raise CatalogError(path, at, name, "'breakdown' must be a list of field names")
    return Segment(
        name=name,
        version=version,
        description=node["description"].strip(),
        owner=node["owner"],
        purpose=node["purpose"].strip(),
        where=where,
        breakdown=tuple(breakdown),
        path=path,
        line=at,
        definition=_plain(node),
    )


def load_file(path: Path) -> list[Segment]:
    """Segments of one YAML file: a mapping with a ``segments`` list."""
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else 1
        raise CatalogError(path, line, None, f"not valid YAML: {error.problem}") from error
    if not isinstance(document, dict) or not isinstance(document.get("segments"), list):
        raise CatalogError(path, 1, None, "the file must hold a 'segments:' list")
    return [parse_segment(node, path, document.line) for node in document["segments"]]


def load_catalog(folder: Path) -> dict[str, Segment]:
    """Every ``*.yml`` of the catalog folder; a name defined twice is an error."""
    segments: dict[str, Segment] = {}
    for path in sorted(Path(folder).glob("*.yml")):
        for segment in load_file(path):
            if segment.name in segments:
                first = segments[segment.name]
                raise segment.error(
                    segment.line, f"defined twice (first at {first.path}:{first.line})"
                )
            segments[segment.name] = segment
    return segments
