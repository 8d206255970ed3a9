"""Operator subcommands beyond run/migrate; each registrar adds one subparser."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot import chat, cli_faq, cli_schedule, cli_stats

REGISTRARS: list[Callable[[Any], None]] = [
    cli_faq.register,
    cli_schedule.register,
    cli_stats.register,
]
REGISTRARS.append(chat.register)
