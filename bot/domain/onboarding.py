"""The onboarding conversation as a pure state machine: its steps, the answers collected so
far, what each answer means and which step comes next. No Telegram, no database.

A step's answer is read into a typed value (``read_*`` / ``*_from_button``; an
``InputError`` carries the correction the user sees) and ``apply`` turns the answers so far
and that value into the next ``Transition``. The answers are stored as JSON in the
``dialogs`` table (``Answers.to_data`` / ``Answers.from_data``, the keys kept from before the
types, so a conversation in progress survives an upgrade).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from enum import StrEnum
from typing import Any, Literal

from rapidfuzz import fuzz, process

from bot.domain.content import ExerciseTemplate, InjuryArea, load_exercise_templates
from bot.domain.parsing import (
    InputError,
    choice_key,
    matches_choice,
    parse_exercise,
    parse_stop_date,
    parse_time_of_day,
    parse_times_a_week,
    parse_weekdays,
)
from bot.domain.timezones import resolve_timezone
from bot.domain.wording import button, describe_exercise, format_dose, hhmm, t, weekday_short

FLOW = "onboarding"
MAX_EXERCISES = 15
MAX_OTHER_AREA = 80
CHECKIN_TIMES = (time(7), time(8), time(12), time(18), time(19), time(20))
PT_TIMES = (time(8), time(12), time(17), time(18))
STOP_BUTTONS = (("stop_today", 0), ("stop_few_days", 3), ("stop_week", 7))
DEFAULT_CHECKIN = time(19)


class Step(StrEnum):
    AREA = "area"
    AREA_OTHER = "area_other"
    STOP = "stop"
    PT_COUNT = "pt_count"
    PT_DAYS = "pt_days"
    PT_TIME = "pt_time"
    EXERCISES = "exercises"
    CHECKIN_TIME = "checkin_time"
    TIMEZONE = "timezone"
    SUMMARY = "summary"

    @classmethod
    def of(cls, raw: str) -> Step:
        try:
            return cls(raw)
        except ValueError:
            return cls.AREA


ORDER = (
    Step.AREA,
    Step.STOP,
    Step.PT_COUNT,
    Step.PT_DAYS,
    Step.PT_TIME,
    Step.EXERCISES,
    Step.CHECKIN_TIME,
    Step.TIMEZONE,
    Step.SUMMARY,
)
# Which steps a button action belongs to: pressed at any other step, it is out of date.
ACTION_STEPS: dict[str, frozenset[Step]] = {
    "area": frozenset({Step.AREA, Step.AREA_OTHER}),
    "stop": frozenset({Step.STOP}),
    "pt": frozenset({Step.PT_COUNT}),
    "ptd": frozenset({Step.PT_DAYS}),
    "ptt": frozenset({Step.PT_TIME}),
    "ex": frozenset({Step.EXERCISES}),
    "ct": frozenset({Step.CHECKIN_TIME}),
    "tz": frozenset({Step.TIMEZONE}),
    "chg": frozenset({Step.SUMMARY}),
    "done": frozenset({Step.SUMMARY}),
}
CHANGE_TARGETS = {
    "area": Step.AREA,
    "stop": Step.STOP,
    "pt": Step.PT_COUNT,
    "ex": Step.EXERCISES,
    "ct": Step.CHECKIN_TIME,
    "tz": Step.TIMEZONE,
}


@dataclass(frozen=True)
class ExerciseDraft:
    """One exercise of the plan before it is saved: from a template or typed by the user."""

    name: str
    sets: int | None = None
    reps: int | None = None
    seconds: int | None = None
    per_side: bool = False
    template_id: str | None = None

    @property
    def label(self) -> str:
        return describe_exercise(
            self.name, format_dose(self.sets, self.reps, self.seconds, self.per_side)
        )


def _time_or_none(raw: object) -> time | None:
    return time.fromisoformat(raw) if isinstance(raw, str) and raw else None


@dataclass(frozen=True)
class Answers:
    """Everything the user has answered so far (and the few facts of the conversation)."""

    area: str | None = None
    other: str | None = None
    stop: date | None = None
    stop_ago: int | None = None  # a relative stop date, to re-anchor once the zone is known
    pt_count: int = 0
    pt_days: tuple[int, ...] = ()
    pt_time: time | None = None
    picks: tuple[int, ...] = ()  # indexes into the area's templates
    own: tuple[ExerciseDraft, ...] = ()
    checkin_time: time | None = None
    timezone: str | None = None
    candidates: tuple[str, ...] = ()  # zones offered as buttons
    review: bool = False  # changing one answer from the summary
    area_changed: bool = False

    @classmethod
    def from_data(cls, data: Mapping[str, Any] | None) -> Answers:
        d = dict(data or {})
        return cls(
            area=d.get("area"),
            other=d.get("other"),
            stop=date.fromisoformat(d["stop"]) if d.get("stop") else None,
            stop_ago=int(d["stop_ago"]) if d.get("stop_ago") is not None else None,
            pt_count=int(d.get("ptn") or 0),
            pt_days=tuple(int(x) for x in d.get("ptd") or ()),
            pt_time=_time_or_none(d.get("ptt")),
            picks=tuple(int(x) for x in d.get("picks") or ()),
            own=tuple(ExerciseDraft(**own) for own in d.get("own") or ()),
            checkin_time=_time_or_none(d.get("ct")),
            timezone=d.get("tz"),
            candidates=tuple(d.get("cands") or ()),
            review=bool(d.get("review")),
            area_changed=bool(d.get("area_changed")),
        )

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "area": self.area,
            "other": self.other,
            "ptn": self.pt_count,
            "ptd": list(self.pt_days),
            "ptt": hhmm(self.pt_time) if self.pt_time else None,
            "picks": list(self.picks),
            "own": [
                {
                    "name": o.name,
                    "sets": o.sets,
                    "reps": o.reps,
                    "seconds": o.seconds,
                    "per_side": o.per_side,
                }
                for o in self.own
            ],
        }
        if self.stop is not None:
            data["stop"] = self.stop.isoformat()
        if self.stop_ago is not None:
            data["stop_ago"] = self.stop_ago
        if self.checkin_time is not None:
            data["ct"] = hhmm(self.checkin_time)
        if self.timezone:
            data["tz"] = self.timezone
        if self.candidates:
            data["cands"] = list(self.candidates)
        if self.review:
            data["review"] = True
        if self.area_changed:
            data["area_changed"] = True
        return data

    # --- derived facts ----------------------------------------------------------------------

    def injury_area(self) -> InjuryArea:
        return load_exercise_templates().area(self.area or "other")

    def picked_templates(self) -> list[ExerciseTemplate]:
        templates = self.injury_area().templates
        return [templates[i] for i in self.picks if 0 <= i < len(templates)]

    def drafts(self) -> list[ExerciseDraft]:
        drafts = [
            ExerciseDraft(tpl.name, tpl.sets, tpl.reps, tpl.seconds, tpl.per_side, tpl.id)
            for tpl in self.picked_templates()
        ]
        return [*drafts, *self.own][:MAX_EXERCISES]


# --- the answers, typed ----------------------------------------------------------------------


@dataclass(frozen=True)
class AreaChosen:
    area: str
    other: str | None = None


@dataclass(frozen=True)
class AskOtherArea:
    """ "Other" was pressed: the area is asked as free text next."""


@dataclass(frozen=True)
class StopChosen:
    stop: date
    relative: bool  # "yesterday", "3 weeks ago", a button: moves with the user's today


@dataclass(frozen=True)
class PtCountChosen:
    count: int
    or_more: bool = False  # the "4+" button


@dataclass(frozen=True)
class PtDayToggled:
    day: int


@dataclass(frozen=True)
class PtDaysChosen:
    days: tuple[int, ...] | None  # None: keep the toggled ones (the "done" button)
    skip: bool = False
    at: time | None = None  # typed with the days ("Tue and Thu at 5pm"): the time step is done


@dataclass(frozen=True)
class PtTimeChosen:
    at: time | None


@dataclass(frozen=True)
class TemplateToggled:
    index: int


@dataclass(frozen=True)
class OwnExerciseAdded:
    exercise: ExerciseDraft


@dataclass(frozen=True)
class OwnExerciseRemoved:
    index: int


@dataclass(frozen=True)
class ExercisesConfirmed:
    pass


@dataclass(frozen=True)
class CheckinTimeChosen:
    at: time


@dataclass(frozen=True)
class ZoneCandidates:
    zones: tuple[str, ...]


@dataclass(frozen=True)
class ZoneChosen:
    zone: str
    today: date  # the user's today in that zone (re-anchors a relative stop date)


@dataclass(frozen=True)
class ChangeRequested:
    target: Step


Answer = (
    AreaChosen
    | AskOtherArea
    | StopChosen
    | PtCountChosen
    | PtDayToggled
    | PtDaysChosen
    | PtTimeChosen
    | TemplateToggled
    | OwnExerciseAdded
    | OwnExerciseRemoved
    | ExercisesConfirmed
    | CheckinTimeChosen
    | ZoneCandidates
    | ZoneChosen
    | ChangeRequested
)


@dataclass(frozen=True)
class Transition:
    answers: Answers
    step: Step


# --- reading answers (typed text and buttons) -----------------------------------------------


def read_other_area(text: str | None) -> AreaChosen:
    cleaned = (text or "").strip()
    if text is None or not cleaned:
        raise InputError(t("area.other_not_text"))
    if len(cleaned) > MAX_OTHER_AREA:
        raise InputError(t("area.other_too_long", length=len(cleaned)))
    return AreaChosen("other", " ".join(cleaned.split()))


def area_names(area: InjuryArea) -> list[str]:
    """Every way a button's area may be typed: "Achilles / calf" is also "achilles", "calf"."""
    names = [area.label, area.id]
    if area.id != "other":  # its phrase is the generic "injury"
        names.append(area.phrase)
    for name in (area.label, area.phrase):
        names += [part for part in name.replace(" or ", "/").split("/") if part.strip()]
    return names


AREA_TYPO_SCORE = 80
"""How close (rapidfuzz ratio, 0-100) a typed area must be to one of an area's names."""


def read_area(text: str | None) -> AreaChosen | AskOtherArea | None:
    """A typed injury area that says what a button says ("knee", "my knee"), or one of the
    area's other words ("kneecap"), or a near miss of one of them ("achilis"), else None
    (also when a near miss is as near to two areas)."""
    areas = load_exercise_templates().areas
    for area in areas:
        labels = area_names(area) + ([button("other")] if area.id == "other" else [])
        if matches_choice(text, *labels):
            return AskOtherArea() if area.id == "other" else AreaChosen(area.id)
    key = choice_key(text or "")
    names: dict[str, str] = {}
    for area in areas:
        if area.id != "other":
            names.update((choice_key(n), area.id) for n in (*area_names(area), *area.words))
    names.pop("", None)
    if key in names:
        return AreaChosen(names[key])
    if len(key) < 4:  # too short to tell a typo from another word
        return None
    close = process.extract(key, list(names), scorer=fuzz.ratio, limit=None)
    ids = {names[name] for name, score, _ in close if score >= AREA_TYPO_SCORE}
    if len(ids) == 1:
        return AreaChosen(ids.pop())
    mentioned = area_mentioned(key, names)
    return AreaChosen(mentioned) if mentioned is not None else None


def area_mentioned(key: str, names: dict[str, str]) -> str | None:
    """The one area a longer answer names ("it's my knee, runner's knee they said": knee), or
    None when it names none or two ("my hip and now my knee"). A name inside a longer one
    counts as the longer one: "the outside of my knee" is the IT band, not the knee."""
    found: list[tuple[int, int, str]] = []
    for name, area_id in names.items():
        found.extend(
            (m.start(), m.end(), area_id) for m in re.finditer(rf"\b{re.escape(name)}\b", key)
        )
    kept = {
        area_id
        for start, end, area_id in found
        if not any(s <= start and end <= e and (e - s) > (end - start) for s, e, _ in found)
    }
    return kept.pop() if len(kept) == 1 else None


def area_from_button(arg: str) -> AreaChosen | AskOtherArea | None:
    if arg not in load_exercise_templates().area_ids:
        return None
    return AskOtherArea() if arg == "other" else AreaChosen(arg)


_AGO_IN_STORY = re.compile(
    r"\b(?:(?:about|around|roughly|nearly|almost)\s+)?"
    r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a couple of|"
    r"a few)\s+(?:days?|weeks?|wks?|months?)\s+ago\b|\b(?:yesterday|last week|last month)\b",
    re.IGNORECASE,
)


def _stop_in_story(text: str | None, today: date) -> str | None:
    """The one "6 weeks ago" in a longer message ("6 weeks ago, I was training for a half
    when my Achilles..."), or None when there is none or more than one."""
    found = {m.group(0).lower() for m in _AGO_IN_STORY.finditer(text or "")}
    if len(found) != 1:
        return None
    phrase = found.pop()
    try:
        parse_stop_date(phrase, today)
    except InputError:
        return None
    return phrase


def read_stop(text: str | None, today: date) -> StopChosen:
    for key, days in STOP_BUTTONS:  # typed as a button reads: "a few days ago"
        if matches_choice(text, button(key)):
            return StopChosen(today - timedelta(days=days), True)
    try:
        stop = parse_stop_date(text, today)
    except InputError:
        phrase = _stop_in_story(text, today)
        if phrase is None:
            raise
        text, stop = phrase, parse_stop_date(phrase, today)
    # "yesterday" or "3 weeks ago" moves with today; "10 November" does not (read against
    # tomorrow, a past calendar date stays where it is).
    try:
        relative = parse_stop_date(text, today + timedelta(days=1)) != stop
    except InputError:
        relative = False
    return StopChosen(stop, relative)


def stop_from_button(arg: str, today: date) -> StopChosen | None:
    days = {str(d): d for _, d in STOP_BUTTONS}.get(arg)
    return None if days is None else StopChosen(today - timedelta(days=days), True)


def read_pt_count(text: str | None) -> PtCountChosen:
    return PtCountChosen(parse_times_a_week(text, 7, t("input.what_sessions")))


def pt_count_from_button(arg: str) -> PtCountChosen | None:
    if arg not in {"0", "1", "2", "3", "4"}:
        return None
    return PtCountChosen(int(arg), or_more=arg == "4")


_DAYS_THEN_TIME = re.compile(r"^(?P<days>.+?)\s*,?\s*(?:\b(?:at|around|from)\b|@)\s*(?P<time>.*)$")


def read_pt_days(text: str | None) -> PtDaysChosen:
    """Session days, and the time too when it is said with them ("tuesdays and thursdays at
    5pm"). What follows "at" may be no time ("Tue at the clinic"): then the days are kept and
    the time is asked next, as after days alone."""
    match = _DAYS_THEN_TIME.match((text or "").strip())
    if match is None:
        return PtDaysChosen(tuple(sorted(parse_weekdays(text))))
    days = tuple(sorted(parse_weekdays(match["days"])))
    try:
        return PtDaysChosen(days, at=parse_time_of_day(match["time"]))
    except InputError:
        return PtDaysChosen(days)


def pt_days_from_button(arg: str) -> PtDayToggled | PtDaysChosen | None:
    if arg in ("done", "skip"):
        return PtDaysChosen(None, skip=arg == "skip")
    if arg.isdecimal() and 0 <= int(arg) <= 6:
        return PtDayToggled(int(arg))
    return None


def read_time(text: str | None) -> time:
    return parse_time_of_day(text)


def time_from_data(raw: str) -> time | None:
    """The "0730" of a time button; None if it was tampered with."""
    if len(raw) != 4 or not raw.isdecimal() or int(raw[:2]) > 23 or int(raw[2:]) > 59:
        return None
    return time(int(raw[:2]), int(raw[2:]))


_CONSENT = re.compile(
    r"(?:ok |okay |yes |yeah |great )?(?:yes|yes please|yeah|yep|sure|sounds good|"
    r"lets (?:start|go|do (?:it|this)|begin|set (?:it|things) up)|start|begin|go|ready|"
    r"i agree|agree(?:d)?|i consent|set me up)"
)
_DECLINE = re.compile(r"(?:no|nope|nah|not now|no thanks|no thank you|not yet|maybe later)")


def read_consent(text: str | None) -> bool | None:
    """A typed reply to the welcome's "Shall we set things up?": True for yes (its button's
    words, "sounds good", "let's start"), False for "not now", None for anything else."""
    key = choice_key(text or "")
    if not key:
        return None
    if key == choice_key(button("consent")) or _CONSENT.fullmatch(key):
        return True
    if key == choice_key(button("decline")) or _DECLINE.fullmatch(key):
        return False
    return None


TypedIntent = Literal["exercise", "question", "place", "time", "chat"]

_QUESTION_START = re.compile(
    r"^(?:should|can|could|how|what|why|when|where|which|who|whom|is|are|am|do|does|did|"
    r"will|would|may|might|shall|u|r|ur|are u|is it|isnt|isn't|arent|aren't|wont|won't)\b",
    re.IGNORECASE,
)
_CHAT = re.compile(
    r"^(?:hi|hello|hey|hiya|yo|thanks|thank you|thx|ok|okay|k|yes|yeah|yep|no|nope|nah|"
    r"help|idk|i don'?t know|not sure|none|nothing|done|finished|that'?s it|next|skip|cancel|"
    r"stop|menu|start|back)\W*$",
    re.IGNORECASE,
)
_HAS_DOSE = re.compile(r"\d")


def is_question(text: str | None) -> bool:
    """Typed text that asks something ("Can I cycle?", "should i ice it"): answered by the FAQ
    wherever the bot waits for an answer, never taken as the answer."""
    cleaned = " ".join((text or "").split())
    return bool(cleaned) and (cleaned.endswith("?") or bool(_QUESTION_START.match(cleaned)))


_CLOCK_TIME = re.compile(r"^(?:at\s+)?\d{1,2}(?:[:.h]\d{2})?\s*(?:[ap]\.?\s*m\.?)?$", re.IGNORECASE)


def _looks_like_a_time(text: str) -> bool:
    """ "7.30pm", "19:00", "at 7pm": a time of day, typed ahead of the check-in time step. A
    bare number ("10") is a time only with a clock mark, never a dose or a count."""
    if not _CLOCK_TIME.match(text) or not re.search(r"[:.h]|[ap]\.?\s*m", text, re.IGNORECASE):
        return False
    try:
        parse_time_of_day(text.removeprefix("at ").removeprefix("At "))
    except InputError:
        return False
    return True


def typed_intent(text: str | None) -> TypedIntent:
    """What typed text means where the bot waits for an answer: a question to answer, a place
    (the user is ahead of the time-zone step), small talk, or the answer itself. A dose
    ("3x10") always makes it an exercise."""
    cleaned = " ".join((text or "").split())
    if not cleaned:
        return "exercise"
    if is_question(cleaned):
        return "question"
    if _looks_like_a_time(cleaned):
        return "time"
    if _HAS_DOSE.search(cleaned):
        return "exercise"
    if _CHAT.match(cleaned):
        return "chat"
    try:
        place = resolve_timezone(cleaned)
    except InputError:
        return "exercise"
    exact = place.confident and place.matches and place.matches[0].score >= 100
    return "place" if exact else "exercise"


def read_own_exercise(text: str | None, answers: Answers) -> OwnExerciseAdded:
    if text is None:
        raise InputError(t("exercises.not_text"))
    parsed = parse_exercise(text)
    if len(answers.drafts()) >= MAX_EXERCISES:
        raise InputError(t("exercises.too_many", max=MAX_EXERCISES))
    return OwnExerciseAdded(
        ExerciseDraft(parsed.name, parsed.sets, parsed.reps, parsed.seconds, parsed.per_side)
    )


class PlanFull(Exception):
    """A template cannot be added: the plan already holds ``MAX_EXERCISES``."""


_PLAN_DONE = re.compile(
    r"^(?:(?:ok(?:ay)?|yes|yep|great|no|nope|right|i think|so)\W*\s+)*"
    r"(?:confirm|confirmed|confirm (?:it|them|the plan|my plan)|done|i'?m done|all done|"
    r"all set|all good|finished|i'?m finished|"
    r"(?:that'?s|that is|those are|these are) (?:it|all|everything|my plan|the lot|them)|"
    r"no more|nothing else|nothing more|save(?: it)?)"
    r"(?:\W*\s*(?:of them|of my exercises|my exercises|the exercises|for now|now|thanks?|"
    r"thank you|i have|i do|exercises))*"
    r"\W*$",
    re.IGNORECASE,
)
"""What "the list is complete" reads like when it is typed at the exercise step."""


def read_exercises_done(text: str | None) -> ExercisesConfirmed | None:
    """The exercise list typed as finished ("confirm", "done", "that's all", or the Confirm
    button's own words), as the Confirm button would say it; None for anything else."""
    cleaned = " ".join((text or "").replace("\u2019", "'").split())
    if matches_choice(cleaned, button("confirm_plan")) or _PLAN_DONE.match(cleaned):
        return ExercisesConfirmed()
    return None


def exercise_from_button(
    args: list[str], answers: Answers
) -> TemplateToggled | OwnExerciseRemoved | ExercisesConfirmed | None:
    kind = args[0] if args else ""
    if kind == "ok":
        return ExercisesConfirmed()
    index = int(args[1]) if len(args) > 1 and args[1].isdecimal() else -1
    if kind == "t" and 0 <= index < len(answers.injury_area().templates):
        if index not in answers.picks and len(answers.drafts()) >= MAX_EXERCISES:
            raise PlanFull
        return TemplateToggled(index)
    if kind == "o" and 0 <= index < len(answers.own):
        return OwnExerciseRemoved(index)
    return None


def change_from_button(arg: str) -> ChangeRequested | None:
    target = CHANGE_TARGETS.get(arg)
    return None if target is None else ChangeRequested(target)


CHANGE_BUTTONS = {
    "area": "change_area",
    "stop": "change_stop",
    "pt": "change_pt",
    "ex": "change_exercises",
    "ct": "change_checkin",
    "tz": "change_timezone",
}
"""The summary's change buttons: each one's step (``CHANGE_TARGETS``) and its label key."""

SummaryChoice = ChangeRequested | Literal["all_set"]


def read_summary(text: str | None) -> SummaryChoice | None:
    """A summary button typed as it reads ("all set", "change time zone"); None otherwise."""
    if matches_choice(text, button("all_set")):
        return "all_set"
    for arg, key in CHANGE_BUTTONS.items():
        if matches_choice(text, button(key)):
            return change_from_button(arg)
    return None


# --- the machine ----------------------------------------------------------------------------


def next_step(done: Step, answers: Answers) -> Step:
    """The step after ``done``: PT days and time only when there are PT sessions (and days);
    while reviewing from the summary, back to the summary unless the change needs a follow-up
    question (a new area needs its exercises)."""
    if answers.review:
        if done is Step.AREA and answers.area_changed:
            return Step.EXERCISES
        if done is Step.PT_COUNT and answers.pt_count > 0:
            return Step.PT_DAYS
        if done is Step.PT_DAYS and answers.pt_days:
            return Step.PT_TIME
        return Step.SUMMARY
    index = ORDER.index(done) + 1
    while (ORDER[index] is Step.PT_DAYS and answers.pt_count == 0) or (
        ORDER[index] is Step.PT_TIME and (answers.pt_count == 0 or not answers.pt_days)
    ):
        index += 1
    return ORDER[index]


def _arrive(answers: Answers, step: Step) -> Transition:
    if step is Step.SUMMARY:
        answers = replace(answers, review=False, area_changed=False)
    return Transition(answers, step)


def _advance(answers: Answers, done: Step) -> Transition:
    return _arrive(answers, next_step(done, answers))


def apply(answers: Answers, step: Step, answer: Answer, today: date) -> Transition:
    """The answers and the step after ``answer`` was given at ``step`` on the user's
    ``today`` (the default zone's until the user has chosen theirs)."""
    a = answers
    match answer:
        case AskOtherArea():
            return Transition(a, Step.AREA_OTHER)
        case AreaChosen(area=area, other=other):
            if a.area != area:
                a = replace(a, picks=(), area_changed=a.area_changed or a.area is not None)
            a = replace(a, area=area, other=other if area == "other" else None)
            return _advance(a, Step.AREA)
        case StopChosen(stop=stop, relative=relative):
            ago = (today - stop).days if relative and not a.timezone else None
            return _advance(replace(a, stop=stop, stop_ago=ago), Step.STOP)
        case PtCountChosen(count=count):
            if count == 0:
                a = replace(a, pt_count=0, pt_days=(), pt_time=None)
            else:
                a = replace(a, pt_count=count)
            return _advance(a, Step.PT_COUNT)
        case PtDayToggled(day=day):
            return Transition(replace(a, pt_days=tuple(sorted(set(a.pt_days) ^ {day}))), step)
        case PtDaysChosen(days=days, skip=skip, at=at):
            if skip:
                a = replace(a, pt_days=(), pt_time=None)
            elif days is not None:
                a = replace(a, pt_days=days)
            if at is not None and a.pt_days:  # the time came with the days
                return _advance(replace(a, pt_time=at), Step.PT_TIME)
            return _advance(a, Step.PT_DAYS)
        case PtTimeChosen(at=at):
            return _advance(replace(a, pt_time=at), Step.PT_TIME)
        case TemplateToggled(index=index):
            picks = [p for p in a.picks if p != index]
            if index not in a.picks:
                picks.append(index)
            return Transition(replace(a, picks=tuple(picks)), Step.EXERCISES)
        case OwnExerciseAdded(exercise=exercise):
            return _arrive(replace(a, own=(*a.own, exercise)), Step.EXERCISES)
        case OwnExerciseRemoved(index=index):
            return Transition(
                replace(a, own=tuple(o for i, o in enumerate(a.own) if i != index)),
                Step.EXERCISES,
            )
        case ExercisesConfirmed():
            return _advance(a, Step.EXERCISES)
        case CheckinTimeChosen(at=at):
            return _advance(replace(a, checkin_time=at), Step.CHECKIN_TIME)
        case ZoneCandidates(zones=zones):
            return Transition(replace(a, candidates=zones), Step.TIMEZONE)
        case ZoneChosen(zone=zone, today=zone_today):
            a = replace(a, timezone=zone, candidates=())
            if a.stop_ago is not None:
                # The stop date was asked before the time zone and given relative to "today":
                # count it from the user's own today, which may differ by a day.
                a = replace(a, stop=zone_today - timedelta(days=a.stop_ago))
            return _advance(a, Step.TIMEZONE)
        case ChangeRequested(target=target):
            return Transition(replace(a, review=True), target)
    raise TypeError(f"not an onboarding answer: {answer!r}")


def describe_weekdays(days: tuple[int, ...] | list[int]) -> str:
    return ", ".join(weekday_short(d) for d in sorted(days)) or t("pt.none")


def describe_pt(count: int, days: tuple[int, ...] | list[int], at: str | None) -> str:
    if count <= 0:
        return t("pt.none")
    parts = [t("pt.count_word", count=count)]
    if days:
        parts.append(describe_weekdays(days))
    if at:
        parts.append(at)
    return ", ".join(parts)


def area_label(area_id: str | None, other: str | None) -> str:
    if area_id is None:
        return "-"
    if area_id == "other":
        return other or button("other")
    try:
        return load_exercise_templates().area(area_id).label
    except KeyError:
        return area_id
