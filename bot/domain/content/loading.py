"""The one loader every content file goes through, and the one error it raises.

``load(path, Model)`` reads a TOML file and validates it against a pydantic model from
``bot.domain.content.models``. Any problem (file missing, bad TOML, a wrong, missing or
unknown field, a failed cross-check) becomes a :class:`ContentError` whose message is one
line a physical therapist can act on::

    bot/content/nudges.toml: nudge "patience_3", field "text": placeholder {name2} is not
    allowed here; allowed: {day}, {first_name}, {injury}

The entry is named by its ``id`` when it has one (``nudge "patience_3"``), by its position
otherwise (``stage #4``), and by its table path for plain tables (``[pain_response]``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

_REPO_ROOT = Path(__file__).resolve().parents[3]


def shown_path(path: Path | str) -> str:
    """The file as an editor finds it: relative to the repository when inside it."""
    resolved = Path(path).resolve()
    try:
        return str(resolved.relative_to(_REPO_ROOT))
    except ValueError:
        return str(path)


class ContentError(ValueError):
    """A content file is missing, unparseable or has an invalid entry (one-line message)."""

    def __init__(self, file: Path | str, entry: str, field: str, problem: str) -> None:
        self.file = str(file)
        self.entry = entry
        self.field = field
        self.problem = problem
        where = ", ".join(p for p in (entry, f'field "{field}"' if field else "") if p)
        shown = shown_path(file)
        super().__init__(f"{shown}: {where}: {problem}" if where else f"{shown}: {problem}")


class Problem(ValueError):
    """Raised inside a validator to point at a field below the object being validated
    (``Problem("streak", "only milestone nudges have a streak")``), or at an entry of a
    list (``Problem((2, "id"), "duplicate id")``)."""

    def __init__(self, at: str | int | Sequence[str | int], message: str) -> None:
        super().__init__(message)
        self.at: tuple[str | int, ...] = (at,) if isinstance(at, str | int) else tuple(at)


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ContentError(path, "", "", "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(path, "", "", f"not valid TOML ({exc})") from None


def load(path: Path, model: type[M], context: Mapping[str, Any] | None = None) -> M:
    """Read ``path`` and validate it as ``model``; ``context`` carries what cross-checks
    need from other files (for example the injury areas of exercises.toml)."""
    data = read_toml(path)
    return validate(data, path, model, context)


def validate(
    data: Mapping[str, Any], path: Path, model: type[M], context: Mapping[str, Any] | None = None
) -> M:
    try:
        return model.model_validate(data, context=dict(context or {}))
    except ValidationError as exc:
        raise _content_error(exc, data, path) from None


# ----------------------------------------------------------------------- messages


def _content_error(exc: ValidationError, data: Mapping[str, Any], path: Path) -> ContentError:
    errors = exc.errors(include_url=False)
    # A misspelt key shows as an unknown field *and* a missing one: name the typo.
    error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc: tuple[str | int, ...] = tuple(error["loc"])
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, Problem):
        loc += cause.at
    entry, field, item = _describe(loc, data)
    problem = _problem(error, cause)
    if error["type"] == "extra_forbidden":
        missing = [
            e["loc"][-1]
            for e in errors
            if e["type"] == "missing" and tuple(e["loc"][:-1]) == loc[:-1]
        ]
        if missing:
            problem += f"; {', '.join(map(repr, missing))} is missing"
    if item:
        problem = f"{item}: {problem}"
    return ContentError(path, entry, field, problem)


def _label(key: str, element: object, index: int) -> str:
    if isinstance(element, Mapping) and isinstance(element.get("id"), str):
        return f'{key} "{element["id"]}"'
    return f"{key} #{index + 1}"


def _describe(loc: tuple[str | int, ...], data: object) -> tuple[str, str, str]:
    """(entry, field, item) for a pydantic location inside the raw TOML ``data``."""
    entry: list[str] = []
    tables: list[str] = []
    node: object = data
    field, item = "", ""
    i = 0
    while i < len(loc):
        part = loc[i]
        last = i == len(loc) - 1
        if isinstance(part, int):  # a position in a plain list (a text variant, a tag)
            item = f"item {part + 1}"
            node = _child(node, part)
            i += 1
            continue
        child = _child(node, part)
        nxt = None if last else loc[i + 1]
        if isinstance(nxt, int) and i + 1 < len(loc) - 1:  # inside an array of tables
            if tables:
                entry.append("[" + ".".join(tables) + "]")
                tables = []
            element = _child(child, nxt)
            entry.append(_label(part, element, nxt))
            node = element
            i += 2
            continue
        if last or isinstance(nxt, int):
            field, item = part, ""
        else:
            tables.append(part)
        node = child
        i += 1
    if tables:
        entry.append("[" + ".".join(tables) + "]")
    return ", ".join(entry), field, item


def _child(node: object, key: str | int) -> object:
    if isinstance(node, Mapping):
        return node.get(key)
    if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
        return node[key]
    return None


def _problem(error: Any, cause: object) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    if cause is not None:
        return str(cause)
    if kind == "missing":
        return "is missing"
    if kind == "extra_forbidden":
        return "is not a known field here (check the spelling)"
    if kind in ("string_type", "string_too_short"):
        return "must be a non-empty string"
    if kind in ("int_type", "int_parsing"):
        return "must be a whole number"
    if kind == "greater_than_equal":
        return f"must be {ctx['ge']} or more (got {value!r})"
    if kind == "less_than_equal":
        return f"must be {ctx['le']} or less (got {value!r})"
    if kind == "bool_type":
        return "must be true or false"
    if kind in ("list_type", "tuple_type"):
        return "must be a list"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "must be a table"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s)"
    return f"{error['msg']} (got {value!r})"
