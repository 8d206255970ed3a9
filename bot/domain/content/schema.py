"""What the editable content is made of: the entry types, their limits and vocabularies.

A physical therapist edits the TOML files in ``bot/content``; these dataclasses are what
the rest of the bot reads from them, already validated (see ``parsing``).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from bot.domain.content.rendering import render_template

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

# What a nudge may require of the user's situation (``requires`` in nudges.toml); every tag
# is decided from the user's own records by ``bot.domain.nudges.Situation``.
SITUATIONS: tuple[str, ...] = (
    "has_checkins",  # at least one answered check-in
    "exercising",  # exercised on most planned days of the last two weeks
    "recent_pain",  # a pain score above the comfortable band in the last week
    "no_recent_pain",  # no score above the comfortable band in the last week
    "flare_score",  # pain_flare only: the flare is a score above the ceiling
    "flare_morning",  # pain_flare only: the flare is "worse" the next morning
)
# Tags that exclude each other: a nudge requiring both could never be sent.
SITUATION_CONFLICTS: tuple[frozenset[str], ...] = (
    frozenset({"recent_pain", "no_recent_pain"}),
    frozenset({"flare_score", "flare_morning"}),
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
WEEK_KINDS: tuple[str, ...] = ("great", "good", "tough", "empty", "pain_flare", "held")


class ContentError(ValueError):
    """A content file is missing, unparseable or has an invalid entry."""

    def __init__(self, file: Path | str, entry: str, field: str, problem: str) -> None:
        self.file = str(file)
        self.entry = entry
        self.field = field
        self.problem = problem
        super().__init__(f"{Path(self.file).name}: {entry}: field '{field}': {problem}")


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
    areas: tuple[str, ...] = ()  # injury areas it fits; empty: every area
    not_areas: tuple[str, ...] = ()  # injury areas it never goes to
    requires: tuple[str, ...] = ()  # situation tags (SITUATIONS) that must all hold

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
    # Words that name the area in a question ("heel", "shin"), beyond its label and phrase:
    # the FAQ uses them to tell a question about this area from one about the user's own.
    words: tuple[str, ...] = ()

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

    def template_for(
        self, area_id: str | None, template_id: str | None, name: str
    ) -> ExerciseTemplate | None:
        """The template an exercise of the plan came from, or one of the same name: first in
        the user's own area (the same exercise may carry area-specific cues), then anywhere."""
        key = " ".join(name.casefold().split())
        areas = sorted(self.areas, key=lambda a: a.id != area_id)
        for area in areas:
            for item in area.templates:
                if template_id is not None and item.id == template_id and area.id == area_id:
                    return item
        for area in areas:
            for item in area.templates:
                if " ".join(item.name.casefold().split()) == key:
                    return item
        return None


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


def week_kind(
    done_days: int, planned_days: int = 7, *, pain_flare: bool = False, held: bool = False
) -> str:
    """Which weekly_summary line fits: a flare or an open safety concern outranks the count, so
    we never cheer over pain; "pain was higher" only when the scores say so (``pain_flare``),
    and a hold without such scores gets its own, calmer line. The count is read against the
    days that were planned, so a user three days in with three sessions has a great week."""
    if pain_flare:
        return "pain_flare"
    if held:
        return "held"
    if done_days == 0 or planned_days == 0:
        return "empty"
    share = done_days / planned_days
    if share >= 6 / 7:
        return "great"
    if share >= 4 / 7:
        return "good"
    return "tough"


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
