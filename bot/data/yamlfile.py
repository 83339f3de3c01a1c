"""YAML reading that remembers where every value came from, so data errors can name `file:line`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.errors import DataError


class _LinedDict(dict[str, Any]):
    """A mapping that also knows the line (1-based) of each of its keys."""

    lines: dict[str, int]
    start: int


class _LinedList(list[Any]):
    lines: list[int]
    start: int


# libyaml parses (fast, with the same line marks) when installed; the pure-Python loader otherwise.
_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[valid-type, misc]
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _LinedDict:
    result = _LinedDict()
    result.lines = {}
    result.start = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, f"unhashable key {key!r}", key_node.start_mark
            )
        skey = str(key)
        if skey in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {skey!r}", key_node.start_mark
            )
        result[skey] = loader.construct_object(value_node, deep=True)
        result.lines[skey] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> _LinedList:
    result = _LinedList(loader.construct_object(child, deep=True) for child in node.value)
    result.lines = [child.start_mark.line + 1 for child in node.value]
    result.start = node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
# Dates stay strings until pydantic parses them, so `checked: 2026-11-23` and "2026-11-23" agree;
# only true/false are booleans, so words like "on", "no" and "y" in word lists stay words.
_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def read_yaml(path: Path, label: str | None = None) -> Any:
    """Parse one YAML file; a syntax error becomes a DataError naming `file:line`."""
    name = label or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError([f"{name}: not UTF-8 text ({exc.reason}); save the file as UTF-8"]) from exc
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader derives from SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise DataError([f"{name}{line}: YAML syntax error: {exc.problem or exc}"]) from exc


def line_of(data: Any, loc: Sequence[int | str]) -> int | None:
    """The line of the deepest value along ``loc`` (a pydantic error location) that we can find."""
    line: int | None = getattr(data, "start", None)
    node = data
    for part in loc:
        if isinstance(node, _LinedDict) and isinstance(part, str) and part in node:
            line = node.lines.get(part, line)
            node = node[part]
        elif isinstance(node, _LinedList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lines[part]
            node = node[part]
        else:
            break
    return line


def describe_validation_error(name: str, data: Any, error: ValidationError) -> list[str]:
    """Turn pydantic's error list into `file:line: field: message` lines a data author can act on."""
    problems = []
    for err in error.errors():
        loc = err["loc"]
        line = line_of(data, loc)
        where = f"{name}:{line}" if line else name
        field = ".".join(str(p) for p in loc) or "(file)"
        msg = err["msg"]
        if err["type"] == "missing":
            msg = "this field is required; add it"
        elif err["type"] == "extra_forbidden":
            msg = "unknown field; remove it or check its spelling"
        problems.append(f"{where}: {field}: {msg}")
    return problems
