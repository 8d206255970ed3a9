"""Pydantic models of every file in ``bot/content``: what each may contain, and the checks
across fields and files a physical therapist's edit must pass.

Every model refuses unknown fields (a misspelt key is an error, not silently ignored) and is
frozen. Files are read through ``bot.domain.content.loading.load``, which turns the first
problem into one line naming file, entry and field. Cross-file facts (the injury areas of
exercises.toml, the red-flag concepts) reach a validator through the validation context.

The check-in, safety, onboarding and return-to-run wordings are text tables: their keys and
the placeholders each text may use are declared in ``bot.domain.content.texts``; the models
for them are built from that declaration (``text_table_model``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from bot.domain import pain as pain_model
from bot.domain.content.loading import Problem
from bot.domain.content.rendering import placeholders_in, render_text
from bot.domain.content.schema import (
    BUTTON_MAX_CHARS,
    EQUIPMENT,
    EXERCISE_HOW_MAX_CHARS,
    EXERCISE_NAME_MAX_CHARS,
    MILESTONE_STREAKS,
    NOT_TODAY_IDS,
    NUDGE_MAX_CHARS,
    NUDGE_PLACEHOLDERS,
    PHASES,
    REASON_PLACEHOLDERS,
    SITUATION_CONFLICTS,
    SITUATIONS,
    THEMES,
    TRIGGERS,
)

_ID_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
LEVELS: tuple[str, ...] = ("emergency", "urgent", "contact")


class Frozen(BaseModel):
    """Base of every content model: unknown fields refused, values immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# ------------------------------------------------------------------------ field types


def _nonempty(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must be a non-empty string")
    return value


def _ident(value: str) -> str:
    if not _ID_RE.match(value):
        raise ValueError(f"{value!r} must be lowercase letters, digits, - or _")
    return value


def limit(max_chars: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        if len(value) > max_chars:
            raise ValueError(f"is {len(value)} characters, limit is {max_chars}")
        return value

    return check


def one_of(allowed: Sequence[str]) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"unknown value {value!r}; allowed: {', '.join(allowed)}")
        return value

    return check


def placeholders(allowed: frozenset[str], max_chars: int | None = None) -> Callable[[str], str]:
    """A text whose ``{placeholders}`` must all be in ``allowed``."""

    def check(value: str) -> str:
        if max_chars is not None and len(value) > max_chars:
            raise ValueError(f"is {len(value)} characters, limit is {max_chars}")
        try:
            names = placeholders_in(value)
        except ValueError as exc:
            raise ValueError(f"broken placeholder braces ({exc})") from None
        unknown = sorted(names - allowed)
        if unknown:
            hint = (
                "allowed: " + ", ".join("{" + n + "}" for n in sorted(allowed))
                if allowed
                else "this text takes no placeholders"
            )
            raise ValueError(f"placeholder {{{unknown[0]}}} is not allowed here; {hint}")
        return value

    return check


def _as_list(value: object) -> object:
    return [value] if isinstance(value, str) else value


def _dedupe(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _lower(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(v.lower() for v in values)


Text = Annotated[str, Strict(), AfterValidator(_nonempty)]
Ident = Annotated[str, Strict(), AfterValidator(_nonempty), AfterValidator(_ident)]
Label = Annotated[str, Strict(), AfterValidator(_nonempty), AfterValidator(limit(BUTTON_MAX_CHARS))]
Words = tuple[Annotated[str, Strict()], ...]
Count = Annotated[int, Strict()]


def variants(allowed: frozenset[str], max_chars: int, minimum: int = 1) -> Any:
    """A text with one or more variants (a string, or a list of strings)."""

    def enough(value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("must be a string or a non-empty list of strings")
        if len(value) < minimum:
            raise ValueError(f"needs at least {minimum} variants")
        return value

    item = Annotated[
        str, Strict(), AfterValidator(_nonempty), AfterValidator(placeholders(allowed, max_chars))
    ]
    return Annotated[tuple[item, ...], BeforeValidator(_as_list), AfterValidator(enough)]


def single_text(allowed: frozenset[str], max_chars: int | None = None) -> Any:
    return Annotated[
        str, Strict(), AfterValidator(_nonempty), AfterValidator(placeholders(allowed, max_chars))
    ]


def _unique_ids(items: Sequence[Any], what: str = "duplicate id") -> None:
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item.id in seen:
            raise Problem((index, "id"), what)
        seen.add(item.id)


def _known_tags(values: tuple[str, ...], allowed: Sequence[str] | None) -> tuple[str, ...]:
    for index, item in enumerate(values):
        if allowed is None:
            try:
                _ident(item)
            except ValueError as exc:
                raise Problem(index, str(exc)) from None
        elif item not in allowed:
            raise Problem(index, f"unknown value {item!r}; allowed: {', '.join(allowed)}")
    return values


# --------------------------------------------------------------------------- nudges


class Nudge(Frozen):
    """One motivational message and the situations it suits."""

    id: Ident
    theme: Annotated[str, Strict(), AfterValidator(one_of(THEMES))]
    phases: Annotated[
        tuple[Annotated[str, Strict(), AfterValidator(one_of(PHASES))], ...],
        Field(min_length=1),
        AfterValidator(_dedupe),
    ]
    trigger: Annotated[str, Strict(), AfterValidator(one_of(TRIGGERS))]
    text: Annotated[
        str,
        Strict(),
        AfterValidator(_nonempty),
        AfterValidator(placeholders(NUDGE_PLACEHOLDERS, NUDGE_MAX_CHARS)),
    ]
    source: Text
    streak: Count | None = None  # milestone nudges only: the streak length they celebrate
    areas: Annotated[Words, AfterValidator(_dedupe)] = ()  # injury areas; empty: every area
    not_areas: Annotated[Words, AfterValidator(_dedupe)] = ()  # areas it never goes to
    requires: Annotated[Words, AfterValidator(_dedupe)] = ()  # SITUATIONS that must all hold

    @field_validator("areas", "not_areas")
    @classmethod
    def _areas_exist(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        # Area tags must name the injury areas users can pick (exercises.toml).
        return _known_tags(value, (info.context or {}).get("area_ids"))

    @field_validator("requires")
    @classmethod
    def _situations_exist(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _known_tags(value, SITUATIONS)

    @model_validator(mode="after")
    def _consistent(self) -> Nudge:
        if self.trigger == "milestone":
            if self.streak not in MILESTONE_STREAKS:
                raise Problem(
                    "streak",
                    "milestone nudges need the streak they celebrate, one of "
                    + ", ".join(map(str, MILESTONE_STREAKS)),
                )
        elif self.streak is not None:
            raise Problem("streak", "only milestone nudges have a streak")
        if set(self.areas) & set(self.not_areas):
            raise Problem("not_areas", "an area cannot be both fitting and excluded")
        for conflict in SITUATION_CONFLICTS:
            if conflict <= set(self.requires):
                raise Problem("requires", f"{' and '.join(sorted(conflict))} exclude each other")
        if self.trigger != "pain_flare" and {"flare_score", "flare_morning"} & set(self.requires):
            raise Problem("requires", "flare_score/flare_morning are for pain_flare")
        return self

    def render(self, **fields: object) -> str:
        return render_text(self.text, **fields)


class NudgeFile(Frozen):
    nudge: Annotated[tuple[Nudge, ...], Field(min_length=1)]

    @field_validator("nudge")
    @classmethod
    def _unique(cls, value: tuple[Nudge, ...]) -> tuple[Nudge, ...]:
        _unique_ids(value)
        return value


# ------------------------------------------------------------------------ exercises


class ExerciseTemplate(Frozen):
    """A starting-point exercise a user can pick before their PT's own list is entered."""

    id: Ident
    name: Annotated[Text, AfterValidator(limit(EXERCISE_NAME_MAX_CHARS))]
    sets: Annotated[Count, Field(ge=1, le=10)]
    reps: Annotated[Count, Field(ge=1, le=100)] | None = None
    seconds: Annotated[Count, Field(ge=1, le=600)] | None = None
    per_side: Annotated[bool, Strict()] = False
    equipment: Annotated[str, Strict(), AfterValidator(one_of(EQUIPMENT))] = "none"
    how: Annotated[Text, AfterValidator(limit(EXERCISE_HOW_MAX_CHARS))]

    @model_validator(mode="after")
    def _one_dose(self) -> ExerciseTemplate:
        if (self.reps is None) == (self.seconds is None):
            raise Problem("reps", "give exactly one of reps or seconds")
        return self

    @property
    def dose(self) -> str:
        """Short dose label for buttons and summaries, e.g. '3 × 15' or '3 × 30 s'."""
        amount = f"{self.reps}" if self.reps is not None else f"{self.seconds} s"
        label = f"{self.sets} × {amount}"
        return f"{label} each side" if self.per_side else label


class InjuryArea(Frozen):
    """An injury area: button label, phrase used inside sentences, and its templates."""

    id: Ident
    label: Label
    phrase: Label
    templates: Annotated[tuple[ExerciseTemplate, ...], Field(alias="exercise", min_length=1)]
    # Words that name the area in a question ("heel", "shin"), beyond its label and phrase:
    # the FAQ uses them to tell a question about this area from one about the user's own.
    words: Annotated[tuple[Text, ...], AfterValidator(_lower)] = ()

    @field_validator("templates")
    @classmethod
    def _unique(cls, value: tuple[ExerciseTemplate, ...]) -> tuple[ExerciseTemplate, ...]:
        _unique_ids(value, "duplicate id within this area")
        return value

    def template(self, template_id: str) -> ExerciseTemplate:
        for item in self.templates:
            if item.id == template_id:
                return item
        raise KeyError(f"no template {template_id!r} in area {self.id!r}")


class ExerciseCatalog(Frozen):
    """All injury areas in display order plus the 'your PT comes first' note."""

    note: Text
    areas: Annotated[tuple[InjuryArea, ...], Field(alias="area", min_length=1)]

    @field_validator("areas")
    @classmethod
    def _unique(cls, value: tuple[InjuryArea, ...]) -> tuple[InjuryArea, ...]:
        _unique_ids(value)
        return value

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


# ---------------------------------------------------------------------- text tables


class NotTodayReason(Frozen):
    """A 'not today' button and the replies that fit that reason."""

    id: Ident
    label: Label
    responses: Annotated[
        variants(REASON_PLACEHOLDERS, 600),  # type: ignore[valid-type]
        Field(alias="response"),
    ]


def text_table_model(
    name: str,
    spec: Mapping[str, TextSpec],
    *,
    multi: bool,
    max_chars: int | None,
    base: type[Frozen] = Frozen,
    extra_fields: Mapping[str, Any] | None = None,
) -> type[Frozen]:
    """A model for a table of texts keyed like ``pain_response.high``: every key in
    ``spec`` is required, no other key is allowed, and each text may use only its own
    placeholders. ``multi``: a text may have several variants (a list)."""
    groups: dict[str, dict[str, TextSpec]] = {}
    leaves: dict[str, TextSpec] = {}
    for key, item in spec.items():
        head, _, rest = key.partition(".")
        if rest:
            groups.setdefault(head, {})[rest] = item
        else:
            leaves[key] = item
    fields: dict[str, Any] = dict(extra_fields or {})
    for key, item in leaves.items():
        kind = (
            variants(item.placeholders, max_chars or 10_000, item.minimum)
            if multi
            else single_text(item.placeholders, max_chars)
        )
        fields[key] = (kind, ...)
    for head, sub in groups.items():
        fields[head] = (
            text_table_model(f"{name}_{head}", sub, multi=multi, max_chars=max_chars),
            ...,
        )
    return create_model(name, __base__=base, **fields)


class TextSpec(Frozen):
    """What one text key needs: how many variants, which placeholders it may use."""

    minimum: int = 1
    placeholders: frozenset[str] = frozenset()


def flatten(model: BaseModel, prefix: str = "") -> dict[str, Any]:
    """A validated text table as ``{"pain_response.high": value}``."""
    out: dict[str, Any] = {}
    for key in type(model).model_fields:
        value = getattr(model, key)
        dotted = f"{prefix}{key}"
        if isinstance(value, BaseModel):
            out.update(flatten(value, f"{dotted}."))
        elif isinstance(value, Mapping):
            out.update({f"{dotted}.{k}": v for k, v in value.items()})
        else:
            out[dotted] = value
    return out


class CheckinBase(Frozen):
    not_today: Annotated[tuple[NotTodayReason, ...], Field(min_length=1)]

    @field_validator("not_today")
    @classmethod
    def _reasons(cls, value: tuple[NotTodayReason, ...]) -> tuple[NotTodayReason, ...]:
        _unique_ids(value)
        ids = {r.id for r in value}
        missing = [rid for rid in NOT_TODAY_IDS if rid not in ids]
        if missing:
            raise ValueError(f"missing reason {missing[0]!r}")
        return value


_PAIN_LIMITS: Mapping[str, int] = {
    # How the report names the pain model's escalations: the number must be the model's.
    "pain-very_high": pain_model.SEE_PROFESSIONAL_ABOVE,
    "pain-ceiling_twice": pain_model.ACCEPTABLE_MAX,
}


class SeenWords(Frozen):
    """safety.toml [seen_words]: how a typed message says a clinician has seen the user."""

    clinician: tuple[Text, ...] = ()
    seen: tuple[Text, ...] = ()
    negation: tuple[Text, ...] = ()
    not_yet: tuple[Text, ...] = ()
    """Whole answers that mean "not yet" to "were you able to see someone?" ("no", "nope")."""
    plans: tuple[Text, ...] = ()
    """A visit still ahead ("I'll see", "booked", "tomorrow"), with a clinician or a visit."""
    visits: tuple[Text, ...] = ()
    """An appointment without a clinician named ("appointment", "appt")."""
    reported: tuple[Text, ...] = ()
    """What a clinician already said or did ("said", "told me"): no plan is read then."""


class SafetyBase(Frozen):
    # Keyed by a red-flag id of red_flags.toml, or "pain-<reason>" of the pain model.
    report_labels: dict[Annotated[str, AfterValidator(_ident)], Text] = {}
    seen_words: SeenWords = SeenWords()

    @field_validator("report_labels")
    @classmethod
    def _every_sign_named(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        # The PT report names every warning sign in plain words: each red flag of
        # red_flags.toml (given by the loader as context) and each pain escalation needs a
        # label, and a label for an id that does not exist is a typo or a removed flag.
        flag_ids = (info.context or {}).get("red_flag_ids")
        if flag_ids is None:
            return value
        pain_ids = [pain_model.pain_flag(reason) for reason in pain_model.EscalationReason]
        for key in value:
            if key not in flag_ids and key not in pain_ids:
                raise Problem(
                    key,
                    "names no red flag in red_flags.toml and no pain escalation "
                    "(check the spelling, or remove the label of a removed flag)",
                )
        for key in (*flag_ids, *pain_ids):
            if key not in value:
                what = (
                    "the pain escalation" if key in pain_ids else "the red flag in red_flags.toml"
                )
                raise Problem(
                    key, f"is missing: {what} needs a plain-words label for the PT report"
                )
        return value

    @field_validator("report_labels")
    @classmethod
    def _pain_numbers(cls, value: dict[str, str]) -> dict[str, str]:
        for key, limit_ in _PAIN_LIMITS.items():
            label = value.get(key)
            numbers = re.findall(r"(\d+)/10", label or "")
            if numbers and int(numbers[0]) != limit_:
                raise Problem(
                    key,
                    f"says {numbers[0]}/10, but the pain model's limit is {limit_}/10 "
                    "(bot/domain/pain.py)",
                )
        return value


# ------------------------------------------------------------------- return to run


class LadderPlan(Frozen):
    name: Text | None = None
    rest_days_between: Annotated[Count, Field(ge=0, le=6)] = 1
    sources: Annotated[tuple[Text, ...], Field(min_length=1)]


class LadderStage(Frozen):
    run_minutes: Annotated[Count, Field(ge=1, le=120)]
    walk_minutes: Annotated[Count, Field(ge=0, le=120)] = 0
    repeats: Annotated[Count, Field(ge=1, le=20)] = 1
    sessions: Annotated[Count, Field(ge=1, le=10)] = 2

    @model_validator(mode="after")
    def _length(self) -> LadderStage:
        total = (self.run_minutes + self.walk_minutes) * self.repeats
        if total > 120:
            raise Problem("repeats", f"the stage lasts {total} minutes, limit is 120")
        return self


LADDER_NUMBERS: frozenset[str] = frozenset({"run_max", "ceiling"})


class Readiness(Frozen):
    title: Text = "Checks to do with your PT"
    checks: tuple[single_text(LADDER_NUMBERS), ...] = ()  # type: ignore[valid-type]


class ClearanceWords(Frozen):
    clinician: tuple[Text, ...] = ()
    cleared: tuple[Text, ...] = ()
    running: tuple[Text, ...] = ()
    negation: tuple[Text, ...] = ()


class LadderBase(Frozen):
    plan: LadderPlan
    stage: Annotated[tuple[LadderStage, ...], Field(min_length=1, max_length=20)]
    readiness: Readiness = Readiness()
    clearance_words: ClearanceWords = ClearanceWords()
    labels: dict[str, Text] = {}


# ------------------------------------------------------------------------ red flags


class RedFlagEntry(Frozen):
    id: Ident
    level: Annotated[str, Strict(), AfterValidator(one_of(LEVELS))]
    message: Text
    message_running: Text | None = None  # for a user back to running; else ``message``
    rules: Annotated[tuple[Annotated[Words, Field(min_length=1)], ...], Field(min_length=1)]
    unless: Words = ()
    unless_cancelled_by: Words = ()
    same_clause: Annotated[bool, Strict()] = False


class Clauses(Frozen):
    breaks: Words = ()


class Negation(Frozen):
    negators: Words = ()
    scope: Annotated[Count, Field(ge=1, le=20)] = 4
    breakers: Words = ()
    exempt_next: Words = ()


class Typos(Frozen):
    targets: Words = ()
    protect: Words = ()


class Idioms(Frozen):
    phrases: Words = ()


class Resolution(Frozen):
    phrases: Words = ()
    then: Words = ()
    relapse: Words = ()


class History(Frozen):
    markers: Words = ()
    stops: Words = ()
    present: Words = ()
    keep: Words = ()
    year_after: Words = ()


class Recovery(Frozen):
    phrases: Words = ()
    keep: Words = ()
    neutral: Words = ()


class RedFlagsFile(Frozen):
    concepts: Annotated[dict[str, Words], Field(min_length=1)]
    flag: Annotated[tuple[RedFlagEntry, ...], Field(min_length=1)]
    negation: Negation = Negation()
    clauses: Clauses = Clauses()
    typo: Typos = Typos()
    idioms: Idioms = Idioms()
    resolution: Resolution = Resolution()
    history: History = History()
    recovery: Recovery = Recovery()

    @field_validator("flag")
    @classmethod
    def _unique(cls, value: tuple[RedFlagEntry, ...]) -> tuple[RedFlagEntry, ...]:
        _unique_ids(value)
        return value

    @model_validator(mode="after")
    def _concepts_exist(self) -> RedFlagsFile:
        for index, flag in enumerate(self.flag):
            for field in ("rules", "unless", "unless_cancelled_by"):
                value = getattr(flag, field)
                names = [c for rule in value for c in rule] if field == "rules" else value
                for name in names:
                    if name not in self.concepts:
                        raise Problem(("flag", index, field), f"unknown concept {name!r}")
        for table, field in (("history", "keep"), ("recovery", "keep"), ("recovery", "neutral")):
            for name in getattr(getattr(self, table), field):
                if name not in self.concepts:
                    raise Problem((table, field), f"unknown concept {name!r}")
        return self


# ------------------------------------------------------------------------- synonyms


class WordList(Frozen):
    words: Words = ()


class OfftopicList(WordList):
    # declined topics as short descriptions, compared by meaning (sentence embeddings)
    topics: Words = ()


class SynonymsFile(Frozen):
    synonyms: dict[str, Words] = {}
    broader: dict[str, Words] = {}
    offtopic: OfftopicList = OfftopicList()
    domain: WordList = WordList()


# ------------------------------------------------------------------------------ FAQ


class FaqEntry(Frozen):
    id: Text
    title: Text
    topic: Text
    questions: Annotated[tuple[Text, ...], Field(min_length=1)]
    answer: Text
    sources: Annotated[tuple[Text, ...], Field(min_length=1)]
    related: tuple[Text, ...] = ()
    # Injury-area ids (as in exercises.toml) the entry is specifically about; empty for
    # entries about running injuries in general. Used for the asker's context only.
    areas: tuple[Text, ...] = ()

    @field_validator("areas")
    @classmethod
    def _areas_exist(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        known = (info.context or {}).get("faq_area_ids")
        return value if known is None else _known_tags(value, known)


class FaqFile(Frozen):
    entry: tuple[FaqEntry, ...] = ()

    @field_validator("entry")
    @classmethod
    def _unique(cls, value: tuple[FaqEntry, ...]) -> tuple[FaqEntry, ...]:
        _unique_ids(value)
        return value
