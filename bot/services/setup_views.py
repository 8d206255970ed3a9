"""The questions onboarding and /settings both ask, as words and buttons: one home for the
area, time, PT and time-zone keyboards, so that both conversations look the same."""

from __future__ import annotations

from datetime import time

from bot.domain.callbacks import Prefix
from bot.domain.content import load_exercise_templates
from bot.domain.parsing import InputError
from bot.domain.timezones import (
    TimezoneMatch,
    TimezoneResolution,
    resolve_location,
    resolve_timezone,
)
from bot.domain.wording import button, hhmm, shorten, t, weekday_short
from bot.services.outcome import ButtonRows, Reply

Row = list[tuple[str, str]]


def chunk(buttons: list[tuple[str, str]], per_row: int) -> list[Row]:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def frozen(rows: list[Row]) -> ButtonRows:
    return tuple(tuple(row) for row in rows if row)


def area_buttons(prefix: Prefix) -> list[Row]:
    catalog = load_exercise_templates()
    buttons = [
        (button("other") if area.id == "other" else area.label, prefix.data(area.id))
        for area in catalog.areas
    ]
    return chunk(buttons, 2)


def time_buttons(prefix: Prefix, times: tuple[time, ...]) -> list[Row]:
    return chunk([(hhmm(v), prefix.data(f"{v.hour:02d}{v.minute:02d}")) for v in times], 3)


def pt_count_buttons(prefix: Prefix) -> list[Row]:
    return [[(str(n) if n < 4 else "4+", prefix.data(n)) for n in range(5)]]


def weekday_buttons(prefix: Prefix, selected: tuple[int, ...] | list[int]) -> list[Row]:
    days = [
        (("✅ " if i in selected else "") + label, prefix.data(i))
        for i, label in enumerate(weekday_short(d) for d in range(7))
    ]
    return [
        *chunk(days, 4),
        [(button("done"), prefix.data("done")), (button("skip"), prefix.data("skip"))],
    ]


def candidate_buttons(prefix: Prefix, matches: tuple[TimezoneMatch, ...]) -> list[Row]:
    return [[(shorten(m.label, 60), prefix.data(i))] for i, m in enumerate(matches)]


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
