"""Return to running: the walk-run ladder and the rule that moves a user along it.

The ladder is content (``bot/content/return_to_run.toml``, editable by a physical
therapist); the pain numbers are the one pain model's (``bot.domain.pain``):

* a run is **good** when it was done as planned, pain stayed at or below ``RUN_MAX`` during
  and right after, and the next morning was not worse;
* pain above ``RUN_MAX`` but within ``ACCEPTABLE_MAX`` (acceptable, not comfortable), or a run
  cut short, means **repeat** the stage;
* pain above the ceiling (``above_ceiling``), or a worse next morning, means **step back**
  one stage and tell the physical therapist;
* after the stage's number of good sessions the user **moves on**; never while a safety
  concern is open (the caller says so with ``may_progress``).

Nothing here knows Telegram or the database.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path

from bot.domain import pain as pain_model
from bot.domain.content import CONTENT_DIR, load, render_text
from bot.domain.content.models import LadderBase, flatten
from bot.domain.content.texts import LadderTexts
from bot.domain.enums import MorningResponse as Morning
from bot.domain.enums import RunStatus
from bot.domain.textnorm import fold, tokenize

CONTENT_FILE = CONTENT_DIR / "return_to_run.toml"
MAX_STAGES = 20
MAX_MINUTES = 120


class LadderError(ValueError):
    """A PT's custom plan is not usable. ``key`` names the text of return_to_run.toml that
    says why (``problem_line``, ``problem_count``, ``problem_limits``) and ``values`` fills it.
    (Mistakes in the ladder file raise ``ContentError`` like every content file.)"""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(f"{key} {values}")
        self.key = key
        self.values = values


class Verdict(StrEnum):
    """How one run went under the pain model."""

    GOOD = "good"
    REPEAT = "repeat"
    STEP_BACK = "step_back"
    PENDING = "pending"  # not bad so far: the next morning decides
    SKIPPED = "skipped"


class Move(StrEnum):
    """What the ladder does after a run's verdict."""

    STAY = "stay"  # a good session, more needed at this stage
    PROGRESS = "progress"
    FINISHED = "finished"  # the last stage is done
    REPEAT = "repeat"
    STEP_BACK = "step_back"
    HELD = "held"  # would progress, but a safety concern is open
    WAIT = "wait"  # waiting for the morning answer
    NONE = "none"  # skipped: nothing changes


@dataclass(frozen=True)
class Stage:
    run_minutes: int
    walk_minutes: int = 0
    repeats: int = 1
    sessions: int = 2

    @property
    def continuous(self) -> bool:
        return self.walk_minutes == 0 and self.repeats == 1

    @property
    def total_minutes(self) -> int:
        return (self.run_minutes + self.walk_minutes) * self.repeats

    def describe(self) -> str:
        """The stage in words ("run 1 min, walk 2 min, 6 times (18 min)"), from the [text]
        table of return_to_run.toml."""
        ladder = load_ladder()
        if self.continuous:
            return ladder.text("stage_continuous", run=self.run_minutes)
        return ladder.text(
            "stage_intervals",
            run=self.run_minutes,
            walk=self.walk_minutes,
            repeats=self.repeats,
            total=self.total_minutes,
        )


@dataclass(frozen=True)
class Ladder:
    stages: tuple[Stage, ...]
    rest_days_between: int
    readiness_title: str
    readiness: tuple[str, ...]
    sources: tuple[str, ...]
    texts: dict[str, str]
    clearance_words: dict[str, tuple[str, ...]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    def label(self, key: str) -> str:
        """A short word for a run's status, morning answer or decision (``[labels]``)."""
        return self.labels.get(key, key.replace("_", " "))

    def stage(self, index: int) -> Stage:
        return self.stages[max(0, min(index, len(self.stages) - 1))]

    def text(self, key: str, **values: object) -> str:
        return render_text(self.texts[key], **_NUMBERS, **values)

    def with_stages(self, stages: Sequence[Stage]) -> Ladder:
        """The same ladder with a PT's own stages instead of the template's."""
        return replace(self, stages=_checked_stages(stages))

    def mentions_clearance(self, text: str) -> bool:
        """Whether a typed message says a clinician cleared the user to run ("my physio
        cleared me to start running"). Only ever used to *offer* the clearance step, which
        still asks the user to confirm; a negation ("not yet", "hasn't") offers nothing."""
        words = self.clearance_words
        if not words:
            return False
        folded = " " + " ".join(tokenize(text)) + " "

        def has(group: str) -> bool:
            return any(f" {fold(w)} " in folded for w in words.get(group, ()))

        return has("clinician") and has("cleared") and has("running") and not has("negation")

    def readiness_text(self) -> str:
        lines = [self.text("readiness_heading", title=self.readiness_title)]
        lines += [f"• {render_text(c, **_NUMBERS)}" for c in self.readiness]
        return "\n".join(lines)


_NUMBERS = {"run_max": pain_model.RUN_MAX, "ceiling": pain_model.ACCEPTABLE_MAX}


def _checked_stages(stages: Sequence[Stage]) -> tuple[Stage, ...]:
    if not 1 <= len(stages) <= MAX_STAGES:
        raise LadderError("problem_count", most=MAX_STAGES, count=len(stages))
    for s in stages:
        if s.total_minutes > MAX_MINUTES or s.run_minutes < 1 or s.sessions < 1:
            raise LadderError("problem_limits", stage=s.describe())
    return tuple(stages)


class LadderFile(LadderBase):
    """return_to_run.toml: the plan, its stages, readiness checks, words and texts."""

    text: LadderTexts  # type: ignore[valid-type]


@functools.cache
def load_ladder(path: Path = CONTENT_FILE) -> Ladder:
    """The ladder of ``return_to_run.toml``; a mistake raises ``ContentError`` naming the
    entry and field."""
    data = load(path, LadderFile)
    return Ladder(
        stages=tuple(Stage(**s.model_dump()) for s in data.stage),
        rest_days_between=data.plan.rest_days_between,
        readiness_title=data.readiness.title,
        readiness=data.readiness.checks,
        sources=data.plan.sources,
        texts=flatten(data.text),
        labels=dict(data.labels),
        clearance_words={k: v for k, v in data.clearance_words.model_dump().items() if v},
    )


_STAGE_RE = re.compile(
    r"^\s*run\s+(\d+)(?:\s*min\w*)?(?:\s*,?\s*walk\s+(\d+)(?:\s*min\w*)?)?"
    r"(?:\s*[x×]\s*(\d+))?\s*$",
    re.IGNORECASE,
)


def parse_custom_stages(text: str, sessions: int = 2) -> tuple[Stage, ...]:
    """A PT's own plan, one stage a line: ``run 1 walk 2 x 6`` or ``run 20``."""
    stages = []
    for n, line in enumerate((ln for ln in text.splitlines() if ln.strip()), start=1):
        match = _STAGE_RE.match(line)
        if match is None:
            raise LadderError("problem_line", line=n)
        run, walk, times = match.groups()
        stages.append(
            Stage(int(run), int(walk or 0), int(times or 1) if walk else 1, sessions=sessions)
        )
    return _checked_stages(stages)


@dataclass(frozen=True)
class RunReport:
    """One logged run (``morning`` is filled in the next day)."""

    status: RunStatus
    pain_during: int | None = None
    pain_after: int | None = None
    morning: Morning | None = None

    @property
    def peak(self) -> int | None:
        scores = [p for p in (self.pain_during, self.pain_after) if p is not None]
        return max(scores) if scores else None


def verdict(run: RunReport) -> Verdict:
    """The pain model applied to one run."""
    if run.status is RunStatus.SKIPPED:
        return Verdict.SKIPPED
    peak = run.peak
    if pain_model.above_ceiling(peak) or run.morning is Morning.WORSE:
        return Verdict.STEP_BACK
    if run.morning is None:
        return Verdict.PENDING
    if peak is not None and peak > pain_model.RUN_MAX:
        return Verdict.REPEAT
    if run.status is RunStatus.CUT_SHORT:
        return Verdict.REPEAT
    return Verdict.GOOD


@dataclass(frozen=True)
class Position:
    """Where a user is on the ladder: the stage (0-based) and good sessions done there."""

    stage: int = 0
    good: int = 0


@dataclass(frozen=True)
class Decision:
    move: Move
    verdict: Verdict
    position: Position  # after the run
    tell_pt: bool
    explanation: str


def decide(ladder: Ladder, at: Position, run: RunReport, *, may_progress: bool = True) -> Decision:
    """What the ladder does after ``run`` at position ``at``, explained from the user's own
    pain reports. ``may_progress`` is False while a safety concern is open."""
    v = verdict(run)
    stage = ladder.stage(at.stage)
    peak = run.peak if run.peak is not None else 0
    if v is Verdict.SKIPPED:
        return Decision(Move.NONE, v, at, False, ladder.text("skipped", plan=stage.describe()))
    if v is Verdict.PENDING:
        return Decision(Move.WAIT, v, at, False, ladder.text("morning_ask"))
    if v is Verdict.STEP_BACK:
        back = Position(max(0, at.stage - 1), 0)
        if at.stage == 0:
            above = pain_model.above_ceiling(run.peak)
            why = ladder.text("why_pain" if above else "why_morning", peak=peak)
            text = ladder.text("step_back_first", why=why)
        else:
            key = "step_back_pain" if pain_model.above_ceiling(run.peak) else "step_back_morning"
            text = ladder.text(
                key, peak=peak, stage=back.stage + 1, plan=ladder.stage(back.stage).describe()
            )
        return Decision(Move.STEP_BACK, v, back, True, text)
    if v is Verdict.REPEAT:
        if peak > pain_model.RUN_MAX:
            text = ladder.text("repeat_pain", peak=peak)
        else:
            text = ladder.text("repeat_cut", plan=stage.describe())
        return Decision(Move.REPEAT, v, at, False, text)
    good = min(at.good + 1, stage.sessions)
    said = ladder.text("good", peak=peak, good=good, needed=stage.sessions)
    if good < stage.sessions:
        return Decision(Move.STAY, v, Position(at.stage, good), False, said)
    if not may_progress:
        return Decision(
            Move.HELD, v, Position(at.stage, good), False, f"{said} {ladder.text('held')}"
        )
    if at.stage >= len(ladder.stages) - 1:
        return Decision(
            Move.FINISHED,
            v,
            Position(at.stage, good),
            False,
            f"{said} {ladder.text('finished', plan=stage.describe())}",
        )
    nxt = Position(at.stage + 1, 0)
    text = ladder.text(
        "progress",
        needed=stage.sessions,
        stage=nxt.stage + 1,
        plan=ladder.stage(nxt.stage).describe(),
    )
    return Decision(Move.PROGRESS, v, nxt, False, f"{said} {text}")


def next_run_day(last_run: date | None, today: date, rest_days_between: int) -> date:
    """The next day to run: after ``rest_days_between`` rest days since the last run."""
    if last_run is None:
        return today
    return max(today, last_run + timedelta(days=rest_days_between + 1))


def pain_day(run: RunReport) -> pain_model.PainDay:
    """A run as the pain model's escalation rule sees it."""
    return pain_model.PainDay(run.peak, run.morning.value if run.morning else None)
