"""Operator subcommands beyond run/migrate; each registrar adds one subparser."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

REGISTRARS: list[Callable[[Any], None]] = []
