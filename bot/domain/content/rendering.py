"""The one way a content text is filled with a user's values.

Every user-facing text from ``bot/content`` goes through :func:`render_text` (through the
catalogue in ``texts``, a nudge's ``render`` or a ladder's ``text``): ``{name}`` placeholders
are filled, ``{{`` and ``}}`` are literal braces, a placeholder without a value stays visible
("{first_name}") instead of crashing a chat, and broken braces never raise. Which
placeholders each text may use is checked when the file is loaded (``models``).
"""

from __future__ import annotations

import string
from typing import Any

# --------------------------------------------------------------------------- rendering


class _KeepMissing(dict[str, Any]):
    """Leaves ``{unknown}`` visible so a missing field shows up in review, not as a crash."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render_text(template: str, /, **fields: object) -> str:
    """Fill ``{placeholders}``; unknown ones stay as written and bad syntax never raises."""
    try:
        return template.format_map(_KeepMissing(fields))
    except (ValueError, IndexError, AttributeError, KeyError, TypeError):
        return template


def placeholders_in(template: str) -> set[str]:
    """Names of the ``{fields}`` used by a template; raises ValueError on broken braces."""
    names: set[str] = set()
    for _literal, name, _spec, _conv in string.Formatter().parse(template):
        if name is None:
            continue
        if name == "" or name.isdigit():
            raise ValueError("positional placeholder '{}' is not allowed; use a name")
        names.add(name)
    return names
