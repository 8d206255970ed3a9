"""The questions onboarding and /settings both ask, as words and buttons: one home for the
area, time, PT and time-zone keyboards, so that both conversations look the same."""

from __future__ import annotations

from datetime import time

from bot.domain.content import load_exercise_templates
from bot.domain.onboarding import WEEKDAY_LABELS
from bot.domain.parsing import InputError
from bot.domain.timezones import (
    TimezoneMatch,
    TimezoneResolution,
    resolve_location,
    resolve_timezone,
)
from bot.domain.wording import button, hhmm, shorten, t
from bot.services.outcome import ButtonRows, Reply

Row = list[tuple[str, str]]


def chunk(buttons: list[tuple[str, str]], per_row: int) -> list[Row]:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def frozen(rows: list[Row]) -> ButtonRows:
    return tuple(tuple(row) for row in rows if row)


def area_buttons(prefix: str) -> list[Row]:
    catalog = load_exercise_templates()
    buttons = [
        (button("other") if area.id == "other" else area.label, f"{prefix}:{area.id}")
        for area in catalog.areas
    ]
    return chunk(buttons, 2)


def time_buttons(prefix: str, times: tuple[time, ...]) -> list[Row]:
    return chunk([(hhmm(v), f"{prefix}:{v.hour:02d}{v.minute:02d}") for v in times], 3)


def pt_count_buttons(prefix: str) -> list[Row]:
    return [[(str(n) if n < 4 else "4+", f"{prefix}:{n}") for n in range(5)]]


def weekday_buttons(prefix: str, selected: tuple[int, ...] | list[int]) -> list[Row]:
    days = [
        (("✅ " if i in selected else "") + label, f"{prefix}:{i}")
        for i, label in enumerate(WEEKDAY_LABELS)
    ]
    return [
        *chunk(days, 4),
        [(button("done"), f"{prefix}:done"), (button("skip"), f"{prefix}:skip")],
    ]


def candidate_buttons(prefix: str, matches: tuple[TimezoneMatch, ...]) -> list[Row]:
    return [[(shorten(m.label, 60), f"{prefix}:{i}")] for i, m in enumerate(matches)]


def ask_location(prefix: str | None = None) -> Reply:
    """The time-zone question, with a reply keyboard button that shares the location."""
    body = t("timezone.ask")
    return Reply(
        f"{prefix}\n\n{body}" if prefix else body, request_location=t("timezone.share_button")
    )


def resolve_zone(text: str | None, location: tuple[float, float] | None) -> TimezoneResolution:
    """A shared location or typed place into a zone or candidates; InputError otherwise."""
    if location is not None:
        zone = resolve_location(*location)
        if zone is None:
            raise InputError(t("timezone.not_found_location"))
        return TimezoneResolution((TimezoneMatch(zone, zone, 100.0),), True)
    if text is None:
        raise InputError(t("timezone.not_text"))
    return resolve_timezone(text)
