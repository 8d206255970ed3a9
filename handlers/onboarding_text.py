"""Kept for the handlers that still import it: the wording now lives in ``bot.domain.wording``."""

from bot.domain.wording import (
    button,
    describe_exercise,
    describe_when,
    format_dose,
    hhmm,
    human_date,
    t,
    texts,
)

__all__ = [
    "button",
    "describe_exercise",
    "describe_when",
    "format_dose",
    "hhmm",
    "human_date",
    "t",
    "texts",
]
