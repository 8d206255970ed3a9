"""The wording of setup, settings, plan, pause and data-rights messages, read from
``bot/content/onboarding.toml`` so a physical therapist can edit it without reading Python.

Also the few formatting helpers (doses, times, "tomorrow at 19:00") those messages share, so
every screen describes the same thing the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.domain.content import (
    ONBOARDING_FILE,
    load_exercise_templates,
    load_onboarding_text,
    load_replies_text,
)
from bot.domain.pain import PainDay

__all__ = ["ONBOARDING_FILE", "button", "say", "t"]


def t(key: str, **fields: object) -> str:
    """A text of onboarding.toml (set-up, settings, plan, pause, data rights, help)."""
    return load_onboarding_text().render(key, **fields)


def say(key: str, **fields: object) -> str:
    """A text of replies.toml (/today, /progress, /report, FAQ replies, fallbacks)."""
    return load_replies_text().render(key, **fields)


def button(key: str) -> str:
    return t(f"buttons.{key}")


def shorten(text: str, limit: int) -> str:
    """Fit ``text`` in ``limit`` characters at a word boundary, with "…" when cut.

    The one place labels and echoes are shortened: a button reads "Can I run with a…", never
    "Can I run with a sli". A single word longer than the limit is cut (it has no boundary).
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    if limit <= 1:
        return "…"[:limit]
    room = text[: limit - 1]
    cut = room.rsplit(" ", 1)[0] if " " in room and text[limit - 1] != " " else room
    if not cut.strip():
        cut = room
    return cut.rstrip(" ,;:.-–—(") + "…"


def hhmm(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


def _names(key: str, count: int) -> tuple[str, ...]:
    names = tuple(t(key).split())
    if len(names) != count:
        raise ValueError(f"onboarding.toml: {key} needs {count} names, found {len(names)}")
    return names


def weekday_short(weekday: int) -> str:
    """ "Mon" for 0: the label of a weekday button and of a list of days."""
    return _names("calendar.weekdays_short", 7)[weekday]


def weekday_name(day: date) -> str:
    return _names("calendar.weekdays", 7)[day.weekday()]


def day_month(day: date) -> str:
    """ "27 Nov": the one short date of replies, the chart and the report."""
    return t(
        "calendar.day_month", day=day.day, month=_names("calendar.months_short", 12)[day.month - 1]
    )


def day_month_year(day: date) -> str:
    month = _names("calendar.months_short", 12)[day.month - 1]
    return t("calendar.day_month_year", day=day.day, month=month, year=day.year)


def human_date(day: date) -> str:
    """ "Fri 27 Nov": no leading zero, never ambiguous between day-first and month-first."""
    month = _names("calendar.months_short", 12)[day.month - 1]
    return t(
        "calendar.weekday_day_month", weekday=weekday_short(day.weekday()), day=day.day, month=month
    )


def day_month_time(when: datetime) -> str:
    """ "27 Nov 14:05"."""
    month = _names("calendar.months_short", 12)[when.month - 1]
    return t("calendar.day_month_time", day=when.day, month=month, time=f"{when:%H:%M}")


def counted(count: int, noun: str) -> str:
    """ "1 day", "5 days", "3 check-ins": the one way the bot writes a count; ``noun`` names
    ``counts.<noun>_one`` / ``_many`` in onboarding.toml."""
    return t(f"counts.{noun}_one") if count == 1 else t(f"counts.{noun}_many", count=count)


def delay_words(minutes: int, *, short: bool = False) -> str:
    """ "30 minutes" (or "30 min" on a button), "1 hour", "3 hours": how long a snooze is."""
    if minutes < 60:
        return counted(minutes, "minute_short" if short else "minute")
    return counted(minutes // 60, "hour")


def injury_phrase(area: str | None) -> str:
    """The injury as the check-in and nudges name it ("knee", "Achilles"): the area's
    phrase in exercises.toml, or a plain word when the area is unknown or gone."""
    if area is not None:
        try:
            return load_exercise_templates().area(area).phrase
        except KeyError:
            pass
    return t("common.your_injury")


def format_dose(sets: int | None, reps: int | None, seconds: int | None, per_side: bool) -> str:
    """Same look as the templates' dose ("3 × 15 each side"); empty when no dose is known."""
    if reps is None and seconds is None:
        amount = ""
    else:
        amount = f"{reps}" if reps is not None else t("dose.seconds", seconds=seconds)
    if sets is not None and amount:
        label = t("dose.sets_of", sets=sets, amount=amount)
    elif sets is not None:
        label = t("dose.sets_only", sets=sets)
    else:
        label = amount
    if per_side and label:
        label = t("dose.each_side", dose=label)
    return label


def pain_detail(recent: Sequence[PainDay], *, on_runs: bool = False) -> str:
    """The scores behind an escalation in plain words, for the PT report
    ("pain 7/10, 8/10; worse next morning 1×", "on runs: pain 7/10")."""
    scores = ", ".join(f"{d.pain}/10" for d in recent if d.pain is not None)
    worse = sum(1 for d in recent if d.morning == "worse")
    parts = [say("pdf.detail_scores", scores=scores)] if scores else []
    if worse:
        parts.append(say("pdf.detail_worse", count=worse))
    words = "; ".join(parts)
    return say("pdf.detail_on_runs", detail=words) if on_runs else words


def describe_exercise(name: str, dose: str) -> str:
    return f"{name} · {dose}" if dose else name


def describe_when(due: datetime | None, zone: str, now: datetime) -> str:
    """When a scheduled message arrives, as the user reads their own clock."""
    if due is None:
        return t("common.no_checkin")
    tz = ZoneInfo(zone)
    local, today = due.astimezone(tz), now.astimezone(tz).date()
    if local.date() == today:
        day = t("common.today")
    elif (local.date() - today).days == 1:
        day = t("common.tomorrow")
    else:
        day = human_date(local.date())
    return t("common.at", day=day, time=f"{local:%H:%M}")
