"""Loaders and validation for the editable content files in ``bot/content``.

The wording of nudges, exercise templates and the daily check-in lives in TOML so that
a physical therapist can change it without touching Python. Because those files are
edited by hand, every loader validates strictly and raises :class:`ContentError` that
names the file, the entry and the field, so a typo fails at start-up with a message the
editor can act on, instead of a user seeing a broken message at 7 pm.
"""

from __future__ import annotations

import functools
import random
import re
import string
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
NUDGES_FILE = CONTENT_DIR / "nudges.toml"
EXERCISES_FILE = CONTENT_DIR / "exercises.toml"
CHECKIN_FILE = CONTENT_DIR / "checkin.toml"
SAFETY_FILE = CONTENT_DIR / "safety.toml"

THEMES: tuple[str, ...] = (
    "patience",
    "commitment",
    "frequency",
    "applying",
    "pain_perspective",
    "celebrating",
)
PHASES: tuple[str, ...] = ("first_week", "weeks_2_4", "month_2_plus", "return_to_running")
TRIGGERS: tuple[str, ...] = (
    "scheduled",
    "missed_days",
    "pain_flare",
    "plateau",
    "milestone",
    "after_pt_session",
)
EQUIPMENT: tuple[str, ...] = (
    "none",
    "resistance band",
    "stability ball",
    "foam roller",
    "step",
)

NUDGE_PLACEHOLDERS: frozenset[str] = frozenset({"first_name", "day", "injury"})
# The check-in also needs a few runtime values (snooze delay, weekly counts, session time).
CHECKIN_PLACEHOLDERS: frozenset[str] = NUDGE_PLACEHOLDERS | frozenset(
    {"delay", "done", "planned", "when"}
)

NUDGE_MAX_CHARS = 350
CHECKIN_MAX_CHARS = 600
EXERCISE_NAME_MAX_CHARS = 30
EXERCISE_HOW_MAX_CHARS = 200
BUTTON_MAX_CHARS = 30

MILESTONE_STREAKS: tuple[int, ...] = (3, 7, 14, 30, 60)
WEEK_KINDS: tuple[str, ...] = ("great", "good", "tough", "empty", "pain_flare")

_ID_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")


class ContentError(ValueError):
    """A content file is missing, unparseable or has an invalid entry."""

    def __init__(self, file: Path | str, entry: str, field: str, problem: str) -> None:
        self.file = str(file)
        self.entry = entry
        self.field = field
        self.problem = problem
        super().__init__(f"{Path(self.file).name}: {entry}: field '{field}': {problem}")


# --------------------------------------------------------------------------- rendering


class _KeepMissing(dict[str, Any]):
    """Leaves ``{unknown}`` visible so a missing field shows up in review, not as a crash."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render_template(template: str, **fields: object) -> str:
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


# ------------------------------------------------------------------------------- nudges


@dataclass(frozen=True)
class Nudge:
    """One motivational message and the situations it suits."""

    id: str
    theme: str
    phases: tuple[str, ...]
    trigger: str
    text: str
    source: str
    streak: int | None = None  # milestone nudges only: the streak length they celebrate

    def render(self, **fields: object) -> str:
        return render_template(self.text, **fields)


# ---------------------------------------------------------------------------- exercises


@dataclass(frozen=True)
class ExerciseTemplate:
    """A starting-point exercise a user can pick before their PT's own list is entered."""

    id: str
    name: str
    sets: int
    reps: int | None
    seconds: int | None
    per_side: bool
    equipment: str
    how: str

    @property
    def dose(self) -> str:
        """Short dose label for buttons and summaries, e.g. '3 × 15' or '3 × 30 s'."""
        amount = f"{self.reps}" if self.reps is not None else f"{self.seconds} s"
        label = f"{self.sets} × {amount}"
        return f"{label} each side" if self.per_side else label


@dataclass(frozen=True)
class InjuryArea:
    """An injury area: button label, phrase used inside sentences, and its templates."""

    id: str
    label: str
    phrase: str
    templates: tuple[ExerciseTemplate, ...]

    def template(self, template_id: str) -> ExerciseTemplate:
        for item in self.templates:
            if item.id == template_id:
                return item
        raise KeyError(f"no template {template_id!r} in area {self.id!r}")


@dataclass(frozen=True)
class ExerciseCatalog:
    """All injury areas in display order plus the 'your PT comes first' note."""

    note: str
    areas: tuple[InjuryArea, ...]

    @property
    def area_ids(self) -> tuple[str, ...]:
        return tuple(area.id for area in self.areas)

    def area(self, area_id: str) -> InjuryArea:
        for area in self.areas:
            if area.id == area_id:
                return area
        raise KeyError(f"unknown injury area {area_id!r}")


# ----------------------------------------------------------------------------- check-in


@dataclass(frozen=True)
class NotTodayReason:
    """A 'not today' button and the replies that fit that reason."""

    id: str
    label: str
    responses: tuple[str, ...]


@dataclass(frozen=True)
class CheckinText:
    """All check-in wording, addressed by dotted keys such as ``pain_response.high``.

    Every key holds one or more variants so repeated days do not read the same.
    """

    variants_by_key: Mapping[str, tuple[str, ...]]
    buttons: Mapping[str, str]
    not_today: tuple[NotTodayReason, ...]

    def variants(self, key: str) -> tuple[str, ...]:
        try:
            return self.variants_by_key[key]
        except KeyError:
            raise KeyError(f"checkin.toml has no text key {key!r}") from None

    def pick(self, key: str, rng: random.Random | None = None) -> str:
        """One raw variant; the first when no rng is given (stable for tests and previews)."""
        options = self.variants(key)
        return options[0] if rng is None else rng.choice(options)

    def render(self, key: str, rng: random.Random | None = None, **fields: object) -> str:
        return render_template(self.pick(key, rng), **fields)

    def button(self, key: str) -> str:
        try:
            return self.buttons[key]
        except KeyError:
            raise KeyError(f"checkin.toml has no button {key!r}") from None

    def reason(self, reason_id: str) -> NotTodayReason:
        for item in self.not_today:
            if item.id == reason_id:
                return item
        raise KeyError(f"unknown not-today reason {reason_id!r}")

    def render_reason(
        self, reason_id: str, rng: random.Random | None = None, **fields: object
    ) -> str:
        responses = self.reason(reason_id).responses
        chosen = responses[0] if rng is None else rng.choice(responses)
        return render_template(chosen, **fields)


def week_kind(done_days: int, pain_flare: bool = False) -> str:
    """Which weekly_summary line fits: a flare outranks the count so we never cheer over pain."""
    if pain_flare:
        return "pain_flare"
    if done_days >= 6:
        return "great"
    if done_days >= 4:
        return "good"
    if done_days >= 1:
        return "tough"
    return "empty"


# The keys every check-in file must define, with the minimum number of variants.
CHECKIN_REQUIRED: Mapping[str, int] = MappingProxyType(
    {
        "prompt": 3,
        "followup": 2,
        "done_all": 2,
        "did_some": 2,
        "ask_which": 1,
        "ask_pain": 1,
        "ask_note": 1,
        "note_saved": 1,
        "pain_response.low": 2,
        "pain_response.moderate": 2,
        "pain_response.high": 2,
        "ask_reason": 1,
        "morning_question": 1,
        "morning_response.better": 1,
        "morning_response.same": 1,
        "morning_response.worse": 1,
        "rising_pain_warning": 1,
        "snooze_ack": 1,
        "closed": 1,
        "already_today": 1,
        "weekly_header": 1,
        **{f"weekly_summary.{kind}": 1 for kind in WEEK_KINDS},
        "pt_session_reminder": 1,
    }
)
CHECKIN_BUTTONS: tuple[str, ...] = (
    "done_all",
    "did_some",
    "not_today",
    "snooze",
    "skip",
    "better",
    "same",
    "worse",
    "update_today",
    "keep_today",
)
NOT_TODAY_IDS: tuple[str, ...] = ("no_time", "pain", "forgot", "unmotivated", "other")


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


def parse_nudges(data: Mapping[str, Any], path: Path) -> tuple[Nudge, ...]:
    """Validate the ``[[nudge]]`` array of an already-parsed TOML document."""
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
        nudges.append(
            Nudge(
                id=nudge_id,
                theme=theme,
                phases=tuple(dict.fromkeys(phases_raw)),
                trigger=trigger,
                text=text,
                source=source,
                streak=streak,
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
        areas.append(InjuryArea(area_id, label, phrase, tuple(templates)))
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


# ------------------------------------------------------------------------------ loaders


@functools.cache
def load_nudges(path: Path = NUDGES_FILE) -> tuple[Nudge, ...]:
    return parse_nudges(_read_toml(path), path)


@functools.cache
def load_exercise_templates(path: Path = EXERCISES_FILE) -> ExerciseCatalog:
    return parse_exercises(_read_toml(path), path)


@functools.cache
def load_checkin_text(path: Path = CHECKIN_FILE) -> CheckinText:
    return parse_checkin(_read_toml(path), path)


@functools.cache
def load_safety_text(path: Path = SAFETY_FILE) -> CheckinText:
    return parse_safety(_read_toml(path), path)


def clear_content_cache() -> None:
    """Forget loaded files, e.g. after a therapist edits content and the bot reloads."""
    load_nudges.cache_clear()
    load_exercise_templates.cache_clear()
    load_checkin_text.cache_clear()
    load_safety_text.cache_clear()
