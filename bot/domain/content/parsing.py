"""Strict validation of the hand-edited content files.

Because those files are edited by hand, every parser raises :class:`ContentError` naming the
file, the entry and the field, so a typo fails at start-up with a message the editor can act
on, instead of a user seeing a broken message at 7 pm.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.domain.content.rendering import placeholders_in
from bot.domain.content.schema import (
    BUTTON_MAX_CHARS,
    CHECKIN_BUTTONS,
    CHECKIN_MAX_CHARS,
    CHECKIN_PLACEHOLDERS,
    CHECKIN_REQUIRED,
    EQUIPMENT,
    EXERCISE_HOW_MAX_CHARS,
    EXERCISE_NAME_MAX_CHARS,
    MILESTONE_STREAKS,
    NOT_TODAY_IDS,
    NUDGE_MAX_CHARS,
    NUDGE_PLACEHOLDERS,
    PHASES,
    SITUATION_CONFLICTS,
    SITUATIONS,
    THEMES,
    TRIGGERS,
    CheckinText,
    ContentError,
    ExerciseCatalog,
    ExerciseTemplate,
    InjuryArea,
    NotTodayReason,
    Nudge,
)

_ID_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")


# ------------------------------------------------------------------------------ parsing


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ContentError(path, "file", "-", "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(path, "file", "-", f"not valid TOML ({exc})") from None


class _Checker:
    """Small helper so each validation names file, entry and field the same way."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, entry: str, field: str, problem: str) -> ContentError:
        return ContentError(self.path, entry, field, problem)

    def string(
        self, raw: Mapping[str, Any], entry: str, field: str, *, max_chars: int | None = None
    ) -> str:
        value = raw.get(field)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(entry, field, "must be a non-empty string")
        if max_chars is not None and len(value) > max_chars:
            raise self.fail(entry, field, f"is {len(value)} characters, limit is {max_chars}")
        return value.strip()

    def ident(self, raw: Mapping[str, Any], entry: str, field: str = "id") -> str:
        value = self.string(raw, entry, field)
        if not _ID_RE.match(value):
            raise self.fail(entry, field, f"{value!r} must be lowercase letters, digits, - or _")
        return value

    def choice(self, raw: Mapping[str, Any], entry: str, field: str, allowed: Sequence[str]) -> str:
        value = self.string(raw, entry, field)
        if value not in allowed:
            raise self.fail(entry, field, f"unknown value {value!r}; allowed: {', '.join(allowed)}")
        return value

    def template(
        self, text: str, entry: str, field: str, allowed: frozenset[str], max_chars: int
    ) -> str:
        if len(text) > max_chars:
            raise self.fail(entry, field, f"is {len(text)} characters, limit is {max_chars}")
        try:
            names = placeholders_in(text)
        except ValueError as exc:
            raise self.fail(entry, field, f"broken placeholder braces ({exc})") from None
        unknown = sorted(names - allowed)
        if unknown:
            raise self.fail(
                entry,
                field,
                f"unknown placeholder {{{unknown[0]}}}; allowed: "
                + ", ".join("{" + n + "}" for n in sorted(allowed)),
            )
        return text

    def positive_int(
        self, raw: Mapping[str, Any], entry: str, field: str, *, maximum: int
    ) -> int | None:
        value = raw.get(field)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
            raise self.fail(entry, field, f"must be a whole number from 1 to {maximum}")
        return value


def _tag_list(
    check: _Checker,
    raw: Mapping[str, Any],
    entry: str,
    field: str,
    allowed: Sequence[str] | None,
) -> tuple[str, ...]:
    """An optional list of tags from ``allowed`` (None: any identifier)."""
    value = raw.get(field, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise check.fail(entry, field, "must be a list of strings")
    for item in value:
        if allowed is None and not _ID_RE.match(item):
            raise check.fail(entry, field, f"{item!r} must be lowercase letters, digits, - or _")
        if allowed is not None and item not in allowed:
            raise check.fail(entry, field, f"unknown value {item!r}; allowed: {', '.join(allowed)}")
    return tuple(dict.fromkeys(value))


def parse_nudges(
    data: Mapping[str, Any], path: Path, area_ids: Sequence[str] | None = None
) -> tuple[Nudge, ...]:
    """Validate the ``[[nudge]]`` array of an already-parsed TOML document.

    ``area_ids`` are the injury areas of exercises.toml; when given, ``areas`` and
    ``not_areas`` may name only those.
    """
    check = _Checker(path)
    raw_list = data.get("nudge")
    if not isinstance(raw_list, list) or not raw_list:
        raise check.fail("file", "nudge", "needs at least one [[nudge]] entry")
    nudges: list[Nudge] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_list, start=1):
        entry = f"nudge #{index}"
        if not isinstance(raw, dict):
            raise check.fail(entry, "-", "must be a table")
        nudge_id = check.ident(raw, entry)
        entry = f"nudge '{nudge_id}'"
        if nudge_id in seen:
            raise check.fail(entry, "id", "duplicate id")
        seen.add(nudge_id)
        theme = check.choice(raw, entry, "theme", THEMES)
        trigger = check.choice(raw, entry, "trigger", TRIGGERS)
        phases_raw = raw.get("phases")
        if not isinstance(phases_raw, list) or not phases_raw:
            raise check.fail(entry, "phases", "must be a non-empty list")
        for phase in phases_raw:
            if phase not in PHASES:
                raise check.fail(
                    entry, "phases", f"unknown phase {phase!r}; allowed: {', '.join(PHASES)}"
                )
        text = check.template(
            check.string(raw, entry, "text"), entry, "text", NUDGE_PLACEHOLDERS, NUDGE_MAX_CHARS
        )
        source = check.string(raw, entry, "source")
        streak = raw.get("streak")
        if trigger == "milestone":
            if streak not in MILESTONE_STREAKS or isinstance(streak, bool):
                raise check.fail(
                    entry,
                    "streak",
                    "milestone nudges need the streak they celebrate, one of "
                    + ", ".join(map(str, MILESTONE_STREAKS)),
                )
        elif streak is not None:
            raise check.fail(entry, "streak", "only milestone nudges have a streak")
        areas = _tag_list(check, raw, entry, "areas", area_ids)
        not_areas = _tag_list(check, raw, entry, "not_areas", area_ids)
        if set(areas) & set(not_areas):
            raise check.fail(entry, "not_areas", "an area cannot be both fitting and excluded")
        requires = _tag_list(check, raw, entry, "requires", SITUATIONS)
        for conflict in SITUATION_CONFLICTS:
            if conflict <= set(requires):
                raise check.fail(
                    entry, "requires", f"{' and '.join(sorted(conflict))} exclude each other"
                )
        if trigger != "pain_flare" and {"flare_score", "flare_morning"} & set(requires):
            raise check.fail(entry, "requires", "flare_score/flare_morning are for pain_flare")
        nudges.append(
            Nudge(
                id=nudge_id,
                theme=theme,
                phases=tuple(dict.fromkeys(phases_raw)),
                trigger=trigger,
                text=text,
                source=source,
                streak=streak,
                areas=areas,
                not_areas=not_areas,
                requires=requires,
            )
        )
    return tuple(nudges)


def parse_exercises(data: Mapping[str, Any], path: Path) -> ExerciseCatalog:
    """Validate the ``note`` and ``[[area]]`` / ``[[area.exercise]]`` tables."""
    check = _Checker(path)
    note = check.string(data, "file", "note")
    raw_areas = data.get("area")
    if not isinstance(raw_areas, list) or not raw_areas:
        raise check.fail("file", "area", "needs at least one [[area]] entry")
    areas: list[InjuryArea] = []
    area_ids: set[str] = set()
    for a_index, raw_area in enumerate(raw_areas, start=1):
        entry = f"area #{a_index}"
        if not isinstance(raw_area, dict):
            raise check.fail(entry, "-", "must be a table")
        area_id = check.ident(raw_area, entry)
        entry = f"area '{area_id}'"
        if area_id in area_ids:
            raise check.fail(entry, "id", "duplicate id")
        area_ids.add(area_id)
        label = check.string(raw_area, entry, "label", max_chars=BUTTON_MAX_CHARS)
        phrase = check.string(raw_area, entry, "phrase", max_chars=BUTTON_MAX_CHARS)
        words = raw_area.get("words", [])
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise check.fail(entry, "words", 'must be a list of words, like ["heel", "shin"]')
        raw_templates = raw_area.get("exercise")
        if not isinstance(raw_templates, list) or not raw_templates:
            raise check.fail(entry, "exercise", "needs at least one [[area.exercise]] entry")
        templates: list[ExerciseTemplate] = []
        template_ids: set[str] = set()
        for t_index, raw in enumerate(raw_templates, start=1):
            t_entry = f"{entry} exercise #{t_index}"
            if not isinstance(raw, dict):
                raise check.fail(t_entry, "-", "must be a table")
            template_id = check.ident(raw, t_entry)
            t_entry = f"{entry} exercise '{template_id}'"
            if template_id in template_ids:
                raise check.fail(t_entry, "id", "duplicate id within this area")
            template_ids.add(template_id)
            sets = check.positive_int(raw, t_entry, "sets", maximum=10)
            if sets is None:
                raise check.fail(t_entry, "sets", "is required")
            reps = check.positive_int(raw, t_entry, "reps", maximum=100)
            seconds = check.positive_int(raw, t_entry, "seconds", maximum=600)
            if (reps is None) == (seconds is None):
                raise check.fail(t_entry, "reps/seconds", "give exactly one of reps or seconds")
            per_side = raw.get("per_side", False)
            if not isinstance(per_side, bool):
                raise check.fail(t_entry, "per_side", "must be true or false")
            equipment = raw.get("equipment", "none")
            if equipment not in EQUIPMENT:
                raise check.fail(
                    t_entry,
                    "equipment",
                    f"unknown value {equipment!r}; allowed: {', '.join(EQUIPMENT)}",
                )
            templates.append(
                ExerciseTemplate(
                    id=template_id,
                    name=check.string(raw, t_entry, "name", max_chars=EXERCISE_NAME_MAX_CHARS),
                    sets=sets,
                    reps=reps,
                    seconds=seconds,
                    per_side=per_side,
                    equipment=equipment,
                    how=check.string(raw, t_entry, "how", max_chars=EXERCISE_HOW_MAX_CHARS),
                )
            )
        areas.append(
            InjuryArea(
                area_id, label, phrase, tuple(templates), tuple(w.strip().lower() for w in words)
            )
        )
    return ExerciseCatalog(note=note, areas=tuple(areas))


def _variants(check: _Checker, value: object, key: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise check.fail(key, "text", "must be a string or a non-empty list of strings")
    result: list[str] = []
    for position, item in enumerate(items, start=1):
        field = f"variant {position}"
        if not isinstance(item, str) or not item.strip():
            raise check.fail(key, field, "must be a non-empty string")
        result.append(
            check.template(item.strip(), key, field, CHECKIN_PLACEHOLDERS, CHECKIN_MAX_CHARS)
        )
    return tuple(result)


def _flatten(
    check: _Checker, table: Mapping[str, Any], prefix: str, out: dict[str, tuple[str, ...]]
) -> None:
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            _flatten(check, value, f"{dotted}.", out)
        else:
            out[dotted] = _variants(check, value, dotted)


def parse_checkin(data: Mapping[str, Any], path: Path) -> CheckinText:
    """Validate check-in wording: required keys, placeholders, buttons and reasons."""
    check = _Checker(path)
    body = {k: v for k, v in data.items() if k not in ("buttons", "not_today")}
    variants: dict[str, tuple[str, ...]] = {}
    _flatten(check, body, "", variants)
    for key, minimum in CHECKIN_REQUIRED.items():
        if key not in variants:
            raise check.fail(key, "text", "is missing")
        if len(variants[key]) < minimum:
            raise check.fail(key, "text", f"needs at least {minimum} variants")

    raw_buttons = data.get("buttons")
    if not isinstance(raw_buttons, dict):
        raise check.fail("buttons", "-", "a [buttons] table is required")
    buttons: dict[str, str] = {}
    for key in CHECKIN_BUTTONS:
        buttons[key] = check.string(raw_buttons, "buttons", key, max_chars=BUTTON_MAX_CHARS)
    for key in raw_buttons:
        if key not in buttons:
            buttons[key] = check.string(raw_buttons, "buttons", key, max_chars=BUTTON_MAX_CHARS)

    raw_reasons = data.get("not_today")
    if not isinstance(raw_reasons, list) or not raw_reasons:
        raise check.fail("not_today", "-", "needs [[not_today]] entries")
    reasons: list[NotTodayReason] = []
    for index, raw in enumerate(raw_reasons, start=1):
        entry = f"not_today #{index}"
        if not isinstance(raw, dict):
            raise check.fail(entry, "-", "must be a table")
        reason_id = check.ident(raw, entry)
        entry = f"not_today '{reason_id}'"
        if any(r.id == reason_id for r in reasons):
            raise check.fail(entry, "id", "duplicate id")
        label = check.string(raw, entry, "label", max_chars=BUTTON_MAX_CHARS)
        if "response" not in raw:
            raise check.fail(entry, "response", "is missing")
        responses = _variants(check, raw["response"], entry)
        reasons.append(NotTodayReason(reason_id, label, responses))
    missing = [rid for rid in NOT_TODAY_IDS if rid not in {r.id for r in reasons}]
    if missing:
        raise check.fail("not_today", "id", f"missing reason {missing[0]!r}")

    return CheckinText(
        variants_by_key=MappingProxyType(variants),
        buttons=MappingProxyType(buttons),
        not_today=tuple(reasons),
    )


SAFETY_REQUIRED: tuple[str, ...] = (
    "followup.urgent",
    "followup.emergency",
    "answer.seen",
    "answer.noted",
    "answer.cleared",
    "answer.not_cleared",
    "answer.not_yet",
    "answer.need_help",
    "answer.undo",
    "answer.ask_advice",
    "answer.advice_saved",
    "hold.urgent",
    "hold.watch",
    "watch.logged",
    "watch.low_pain",
    "watch.morning",
    "hold.status",
    "hold.emergency",
    "escalation.very_high",
    "escalation.ceiling_twice",
    "escalation.worse_mornings",
    "escalation.rising",
    "escalation.settled",
    "escalation.still",
    "escalation_run.very_high",
    "escalation_run.ceiling_twice",
    "escalation_run.worse_mornings",
    "escalation_run.rising",
    "escalation_run.still",
)
SAFETY_BUTTONS: tuple[str, ...] = (
    "seen",
    "not_yet",
    "need_help",
    "cleared",
    "not_cleared",
    "undo",
    "pt_adjusted",
    "advice",
)


def parse_safety(data: Mapping[str, Any], path: Path) -> CheckinText:
    """Validate the safety wording (same shape as the check-in file: keys and buttons)."""
    check = _Checker(path)
    body = {k: v for k, v in data.items() if k != "buttons"}
    variants: dict[str, tuple[str, ...]] = {}
    _flatten(check, body, "", variants)
    for key in SAFETY_REQUIRED:
        if key not in variants:
            raise check.fail(key, "text", "is missing")
    raw_buttons = data.get("buttons")
    if not isinstance(raw_buttons, dict):
        raise check.fail("buttons", "-", "a [buttons] table is required")
    buttons = {
        key: check.string(raw_buttons, "buttons", key, max_chars=BUTTON_MAX_CHARS)
        for key in SAFETY_BUTTONS
    }
    return CheckinText(
        variants_by_key=MappingProxyType(variants),
        buttons=MappingProxyType(buttons),
        not_today=(),
    )
