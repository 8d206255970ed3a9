"""Return-to-running use cases: clearance, logging a run, the morning answer, a PT's plan.

The ladder and the progression rule are in ``bot.domain.return_to_run`` (numbers from
``bot.domain.pain``); the safety state is ``bot.services.safety``'s. Each use case is one
short transaction and returns an ``Outcome``; buttons use the ``rr`` callback family.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import RehabProfile, RunLog, User
from bot.domain import pain as pain_model
from bot.domain.callbacks import ButtonFamily, encode
from bot.domain.content import load_checkin_text
from bot.domain.enums import MorningResponse, RunStatus
from bot.domain.kinds import MessageKind
from bot.domain.return_to_run import (
    Decision,
    Ladder,
    LadderError,
    Move,
    Position,
    RunReport,
    Stage,
    decide,
    load_ladder,
    next_run_day,
    pain_day,
    parse_custom_stages,
)
from bot.domain.safety import SafetyState
from bot.domain.wording import day_month, human_date, pain_detail, weekday_name
from bot.services import menus, safety
from bot.services.context import Readiness, UserContext, load, not_ready_text
from bot.services.dialogs import clear_dialog, get_dialog, set_dialog
from bot.services.menus import offer_menu
from bot.services.outcome import ButtonRows, Outcome, Reply
from bot.services.outgoing_checkin import plan_morning_question
from bot.services.planner import sent_since
from bot.services.small_talk import step_small_talk

PLAN_FLOW = "run_plan"
REFUSED = "refused"
"""``Outcome.extra["result"]`` when clearance is refused because a safety concern is open."""
OPEN_DAYS = 1  # a run can be logged on its day or the day after
ESCALATION_WINDOW = 6  # recent runs the pain model's escalation rule looks at

STATUS_CODES = {"d": RunStatus.DONE, "c": RunStatus.CUT_SHORT, "s": RunStatus.SKIPPED}
# The next-morning answers after a run: the same words as the check-in's morning buttons.
MORNING_ANSWERS = ("better", "same", "worse")


def _b(*parts: object) -> str:
    return encode(ButtonFamily.RUN, *parts)


def _day(day: date) -> str:
    return day.strftime("%Y%m%d")


def parse_day(text: str) -> date | None:
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


def ladder_for(profile: RehabProfile) -> Ladder:
    ladder = load_ladder()
    if profile.run_plan:
        return ladder.with_stages([Stage(**s) for s in profile.run_plan])
    return ladder


def _position(profile: RehabProfile) -> Position:
    return Position(profile.run_stage or 0, profile.run_good_sessions or 0)


async def _ready(session: AsyncSession, telegram_id: int, now: datetime) -> UserContext | str:
    ctx = await load(session, telegram_id, now)
    if ctx is None:
        return not_ready_text(Readiness.UNKNOWN)
    if not ctx.ready or ctx.profile is None:
        return not_ready_text(Readiness.ONBOARDING)
    return ctx


def _clearance_offer() -> ButtonRows:
    return (((load_ladder().text("buttons.cleared"), _b("clr")),),)


def clearance_offer(profile: RehabProfile | None, state: SafetyState) -> ButtonRows:
    """The "my PT cleared me" button for other messages (after a PT session): only in rehab,
    and never while a safety hold or pain escalation is open."""
    if profile is None or profile.returning_to_run or state.active:
        return ()
    return _clearance_offer()


async def offer_if_cleared(session: AsyncSession, user: User, text: str) -> Reply | None:
    """A typed reply (the note after a check-in or a PT session) that says the user's
    clinician cleared them to run gets the clearance offer; the same guards as the button
    (rehab phase only, never while a safety concern is open)."""
    ladder = load_ladder()
    if not ladder.mentions_clearance(text):
        return None
    profile = await session.get(RehabProfile, user.id)
    buttons = clearance_offer(profile, safety.state_of(user))
    if not buttons:
        return None
    return Reply(ladder.text("clearance_noticed"), buttons)


def _refused(ctx: UserContext) -> Outcome:
    ladder = load_ladder()
    return Outcome(
        (Reply(ladder.text("clearance_refused"), safety.seen_button()),),
        extra={"result": REFUSED},
    )


def _log_buttons(day: date) -> ButtonRows:
    d = _day(day)
    ladder = load_ladder()
    return (
        (
            (ladder.text("buttons.done"), _b("log", d, "d")),
            (ladder.text("buttons.cut_short"), _b("log", d, "c")),
        ),
        ((ladder.text("buttons.skipped"), _b("log", d, "s")),),
    )


def _pain_buttons(*prefix: object) -> ButtonRows:
    row1 = tuple((str(n), _b(*prefix, n)) for n in range(0, 6))
    row2 = tuple((str(n), _b(*prefix, n)) for n in range(6, 11))
    return (row1, row2)


def morning_buttons(day: date) -> ButtonRows:
    labels = load_checkin_text()
    return (tuple((labels.button(key), _b("mo", _day(day), key)) for key in MORNING_ANSWERS),)


async def _last_log(session: AsyncSession, user_id: int) -> RunLog | None:
    return (
        await session.execute(
            select(RunLog)
            .where(RunLog.user_id == user_id, RunLog.status != RunStatus.SKIPPED)
            .order_by(RunLog.local_date.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def _stage_text(session: AsyncSession, ctx: UserContext) -> Reply:
    assert ctx.profile is not None
    profile = ctx.profile
    ladder = ladder_for(profile)
    at = _position(profile)
    stage = ladder.stage(at.stage)
    last = await _last_log(session, ctx.user.id)
    if last is not None and last.decision == Move.WAIT and last.local_date < ctx.today:
        return Reply(ladder.text("morning_ask"), morning_buttons(last.local_date))
    nxt = next_run_day(last.local_date if last else None, ctx.today, ladder.rest_days_between)
    lines = [
        ladder.text(
            "stage_header", stage=at.stage + 1, stages=len(ladder.stages), whose=_whose(profile)
        ),
        ladder.text("this_stage", stage=stage.describe(), good=at.good, needed=stage.sessions),
        ladder.text("rules"),
    ]
    set_stages = ((ladder.text("buttons.set_stages"), _b("plan")),)
    if nxt > ctx.today:
        lines.append(ladder.text("next_run", day=weekday_name(nxt)))
        return Reply("\n\n".join(lines), (set_stages,))
    lines.append(ladder.text("ask_run"))
    return Reply("\n\n".join(lines), (*_log_buttons(ctx.today), set_stages))


def _whose(profile: RehabProfile) -> str:
    """ " (your PT’s plan)" after the stage count when the stages are the PT's own."""
    return " " + load_ladder().text("whose_pt") if profile.run_plan else ""


async def open_running(session: AsyncSession, telegram_id: int, now: datetime) -> Outcome:
    """/running: the plan and today's run, or the clearance offer while in rehab."""
    ctx = await _ready(session, telegram_id, now)
    if isinstance(ctx, str):
        return Outcome.say(ctx)
    assert ctx.profile is not None
    if ctx.profile.returning_to_run:
        menu = await _stage_text(session, ctx)
    elif ctx.safety.active:
        return _refused(ctx)
    else:
        menu = Reply(load_ladder().text("rehab_phase"), _clearance_offer())
    await offer_menu(session, ctx.user.id, MENU_FLOW, menu.buttons, now)
    return Outcome((menu,))


MENU_FLOW = "run_menu"
"""The /running menu is open: its buttons' words typed work as their taps."""


async def typed_menu_choice(
    session: AsyncSession, telegram_id: int, text: str | None, now: datetime
) -> str | None:
    """The /running button (its callback data) typed ``text`` picks, or None (the menu has
    closed, the text goes on as with no step)."""
    return await menus.typed_menu_choice(session, telegram_id, MENU_FLOW, text, now)


async def request_clearance(session: AsyncSession, telegram_id: int, now: datetime) -> Outcome:
    """ "My PT cleared me": asks to confirm it was the clinician's decision; refused while a
    safety hold or pain escalation is open."""
    ctx = await _ready(session, telegram_id, now)
    if isinstance(ctx, str):
        return Outcome.say(ctx)
    ladder = load_ladder()
    assert ctx.profile is not None
    if ctx.profile.returning_to_run:
        return Outcome.say(ladder.text("already_returning"))
    if ctx.safety.active:
        return _refused(ctx)
    text = f"{ladder.text('clearance_ask')}\n\n{ladder.readiness_text()}"
    buttons = (
        ((ladder.text("buttons.confirm_cleared"), _b("yes")),),
        ((ladder.text("buttons.not_yet"), _b("no")),),
    )
    await offer_menu(session, ctx.user.id, MENU_FLOW, buttons, now)  # typed as it reads
    return Outcome.say(text, buttons)


async def confirm_clearance(session: AsyncSession, telegram_id: int, now: datetime) -> Outcome:
    ctx = await _ready(session, telegram_id, now)
    if isinstance(ctx, str):
        return Outcome.say(ctx)
    ladder = load_ladder()
    profile = ctx.profile
    assert profile is not None
    if profile.returning_to_run:
        return Outcome.say(ladder.text("already_returning"))
    if ctx.safety.active:
        return _refused(ctx)
    profile.returning_to_run = True
    profile.run_cleared_on = ctx.today
    profile.run_stage = 0
    profile.run_good_sessions = 0
    ctx.user.updated_at = now
    stage = ladder_for(profile).stage(0)
    text = "\n\n".join(
        (
            ladder.text("clearance_done"),
            ladder.text("rules"),
            ladder.text("first_stage", stage=stage.describe()),
        )
    )
    return Outcome.say(text, _log_buttons(ctx.today))


async def decline_clearance(session: AsyncSession, telegram_id: int, now: datetime) -> Outcome:
    return Outcome.say(load_ladder().text("not_cleared"), edit=True)


def ask_pain(day: date, code: str, during: int | None = None) -> Outcome:
    """The pain questions of a run, one after the other (the answers ride on the buttons)."""
    if during is None:
        return Outcome.say(
            load_ladder().text("ask_pain_during"), _pain_buttons("pd", _day(day), code)
        )
    key = "ask_pain_after_stop" if pain_model.needs_professional(during) else "ask_pain_after"
    return Outcome.say(
        load_ladder().text(key, during=during),
        _pain_buttons("pa", _day(day), code, during),
    )


PAIN_FLOW = "run_pain"
"""The dialog while a run's pain question is shown, so a typed score works like a tap."""


async def ask_run_pain(
    session: AsyncSession,
    telegram_id: int,
    day: date,
    code: str,
    during: int | None,
    now: datetime,
) -> Outcome:
    """Ask a run's pain question and wait for a tap or a typed score ("3", "about a 4")."""
    ctx = await _ready(session, telegram_id, now)
    if isinstance(ctx, str):
        return Outcome.say(ctx)
    data: dict[str, object] = {"day": day.isoformat(), "code": code}
    if during is not None:
        data["during"] = during
    await set_dialog(session, ctx.user.id, PAIN_FLOW, "pain", data, now)
    return ask_pain(day, code, during)


async def typed_run_pain(
    session: AsyncSession,
    telegram_id: int,
    data: Mapping[str, object],
    text: str | None,
    now: datetime,
    *,
    flagged: bool = False,
) -> Outcome:
    """A run's pain score typed instead of tapped. Text that is not a score leaves the step
    (the buttons still work) and comes back unhandled (no replies, ``changed=False``) for the
    free-text path; a red flag (already answered by the router) keeps the step waiting."""
    score = pain_model.parse_typed_pain(text) if text is not None else None
    code = str(data.get("code", ""))
    status = STATUS_CODES.get(code)
    ctx = await _ready(session, telegram_id, now)
    aside = step_small_talk(text, unread=True) if score is None and not flagged else None
    if aside is not None and status is not None and not isinstance(ctx, str):
        # "thanks", "ok": a word back, and the same pain question again (the step stays)
        during_ = data.get("during")
        asked = ask_pain(
            date.fromisoformat(str(data["day"])),
            code,
            int(str(during_)) if during_ is not None else None,
        )
        return Outcome((*aside, *asked.replies), changed=False)
    if isinstance(ctx, str) or score is None or status is None:
        if not flagged and not isinstance(ctx, str):
            await clear_dialog(session, ctx.user.id)
        return Outcome.nothing()
    day = date.fromisoformat(str(data["day"]))
    during = data.get("during")
    if during is None:
        return await ask_run_pain(session, telegram_id, day, code, score, now)
    await clear_dialog(session, ctx.user.id)
    outcome = await log_run(session, telegram_id, day, status, int(str(during)), score, now)
    # Typed: the answers are new messages (there is no pressed message to edit).
    return Outcome(tuple(dataclasses.replace(r, edit=False) for r in outcome.replies))


async def _escalate(session: AsyncSession, ctx: UserContext, now: datetime) -> tuple[Reply, ...]:
    """The pain model's escalation rule over the user's recent runs."""
    rows = (
        await session.execute(
            select(RunLog)
            .where(RunLog.user_id == ctx.user.id, RunLog.status != RunStatus.SKIPPED)
            .order_by(RunLog.local_date.desc())
            .limit(ESCALATION_WINDOW)
        )
    ).scalars()
    days = [pain_day(_report(r)) for r in reversed(list(rows))]
    reason = pain_model.escalation(days)
    if reason is None:
        return ()
    detail = pain_detail(days, on_runs=True)
    return (await safety.raise_for_pain(session, ctx.user, reason, now, detail=detail, run=True),)


def _report(row: RunLog) -> RunReport:
    return RunReport(
        RunStatus(row.status),
        row.pain_during,
        row.pain_after,
        MorningResponse(row.morning_response) if row.morning_response else None,
    )


async def _triggers(
    session: AsyncSession, ctx: UserContext, day: date, run: RunReport, now: datetime
) -> None:
    """The nudge triggers a run feeds, as a check-in does: a flare (the pain model's), or a
    run day toward a streak milestone."""
    from bot.services import nudge_triggers

    flare = None
    if pain_model.is_flare(run.peak, run.morning.value if run.morning else None):
        above = pain_model.above_ceiling(run.peak)
        flare = f"run pain {run.peak}" if above else "worse the morning after a run"
    await nudge_triggers.on_run(
        session, ctx.user, day, flare, run.status is not RunStatus.SKIPPED, now
    )


def _apply(profile: RehabProfile, decision: Decision) -> None:
    profile.run_stage = decision.position.stage
    profile.run_good_sessions = decision.position.good


async def log_run(
    session: AsyncSession,
    telegram_id: int,
    day: date,
    status: RunStatus,
    pain_during: int | None,
    pain_after: int | None,
    now: datetime,
) -> Outcome:
    """A run: done as planned / cut short / skipped, pain during and right after."""
    ctx = await _ready(session, telegram_id, now)
    if isinstance(ctx, str):
        return Outcome.say(ctx)
    profile = ctx.profile
    assert profile is not None
    dialog = await get_dialog(session, ctx.user.id)
    if dialog is not None and dialog.flow == PAIN_FLOW:
        await clear_dialog(session, ctx.user.id)
    if not profile.returning_to_run:
        return Outcome.say(load_ladder().text("not_returning"))
    if not ctx.today - timedelta(days=OPEN_DAYS) <= day <= ctx.today:
        return Outcome.nothing(load_ladder().text("expired"))
    if status is not RunStatus.SKIPPED:
        if pain_during is None or pain_after is None:
            return Outcome.nothing(load_ladder().text("expired"))
        pain_model.check_score(pain_during)
        pain_model.check_score(pain_after)
    existing = (
        await session.execute(
            select(RunLog).where(RunLog.user_id == ctx.user.id, RunLog.local_date == day)
        )
    ).scalar_one_or_none()
    if existing is not None:
        return Outcome.say(load_ladder().text("already_logged"))
    ladder = ladder_for(profile)
    report = RunReport(status, pain_during, pain_after)
    decision = decide(ladder, _position(profile), report, may_progress=not ctx.safety.active)
    session.add(
        RunLog(
            user_id=ctx.user.id,
            local_date=day,
            stage=profile.run_stage or 0,
            status=status,
            pain_during=pain_during,
            pain_after=pain_after,
            decision=decision.move,
            created_at=now,
            updated_at=now,
        )
    )
    _apply(profile, decision)
    await session.flush()
    await _triggers(session, ctx, day, report, now)
    text = decision.explanation
    if decision.move is Move.WAIT:
        text = ladder.text("logged_wait", during=pain_during, after=pain_after)
        if ctx.user.timezone:
            await plan_morning_question(session, ctx.user, day, now, kind=MessageKind.RUN_MORNING)
    replies: tuple[Reply, ...] = (Reply(text, edit=True),)
    replies += await _escalate(session, ctx, now)
    hold = safety.hold_reply(ctx.safety)
    if hold is not None and ctx.safety.on_hold:
        replies += (hold,)
    return Outcome(replies, extra={"move": decision.move.value})


async def open_morning_question(session: AsyncSession, user_id: int, today: date) -> date | None:
    """The run day whose morning-after question went out (today or yesterday) and still
    waits for its answer, else None: what a typed "better" or "worse" answers."""
    sent = await sent_since(session, user_id, MessageKind.RUN_MORNING, today - timedelta(days=1))
    for _, payload in sent:
        about = date.fromisoformat(str(payload.get("about")))
        run = (
            await session.execute(
                select(RunLog.decision).where(RunLog.user_id == user_id, RunLog.local_date == about)
            )
        ).scalar_one_or_none()
        if run == Move.WAIT:
            return about
    return None


async def answer_morning(
    session: AsyncSession, telegram_id: int, day: date, morning: MorningResponse, now: datetime
) -> Outcome:
    """The morning after a run: better / same / worse decides the stage."""
    ctx = await _ready(session, telegram_id, now)
    if isinstance(ctx, str):
        return Outcome.say(ctx)
    profile = ctx.profile
    assert profile is not None
    row = (
        await session.execute(
            select(RunLog).where(RunLog.user_id == ctx.user.id, RunLog.local_date == day)
        )
    ).scalar_one_or_none()
    if row is None or row.decision != Move.WAIT or not profile.returning_to_run:
        return Outcome.nothing(load_ladder().text("already_noted"))
    row.morning_response = morning
    row.updated_at = now
    decision = decide(
        ladder_for(profile), _position(profile), _report(row), may_progress=not ctx.safety.active
    )
    row.decision = decision.move
    _apply(profile, decision)
    await session.flush()
    await _triggers(session, ctx, day, _report(row), now)
    replies: tuple[Reply, ...] = (Reply(decision.explanation, edit=True),)
    replies += await _escalate(session, ctx, now)
    return Outcome(replies, extra={"move": decision.move.value})


async def start_custom_plan(session: AsyncSession, telegram_id: int, now: datetime) -> Outcome:
    ctx = await _ready(session, telegram_id, now)
    if isinstance(ctx, str):
        return Outcome.say(ctx)
    await set_dialog(session, ctx.user.id, PLAN_FLOW, "stages", {}, now)
    return Outcome.say(load_ladder().text("ask_plan"))


async def save_custom_plan(
    session: AsyncSession, telegram_id: int, text: str | None, now: datetime
) -> Outcome:
    """The stages the user's PT gave them replace the template; they start at stage 1."""
    ctx = await _ready(session, telegram_id, now)
    if isinstance(ctx, str):
        return Outcome.say(ctx)
    profile = ctx.profile
    assert profile is not None
    aside = step_small_talk(text, buttons=False)  # "thanks" is not a plan: the question again
    if aside is not None:
        return Outcome((*aside, Reply(load_ladder().text("ask_plan"))))
    try:
        stages = parse_custom_stages(text or "")
    except LadderError as exc:
        ladder = load_ladder()
        problem = ladder.text(exc.key, **exc.values)
        return Outcome.say(ladder.text("plan_unreadable", problem=problem))
    profile.run_plan = [
        {
            "run_minutes": s.run_minutes,
            "walk_minutes": s.walk_minutes,
            "repeats": s.repeats,
            "sessions": s.sessions,
        }
        for s in stages
    ]
    profile.run_stage = 0
    profile.run_good_sessions = 0
    await clear_dialog(session, ctx.user.id)
    listed = "\n".join(f"{i}. {s.describe()}" for i, s in enumerate(stages, start=1))
    return Outcome.say(load_ladder().text("plan_saved", stages=listed))


# --- seeing it: /progress, the PT report, the weekly summary ----------------------------------


@dataclass(frozen=True)
class RunLine:
    day: date
    stage: int  # 1-based
    status: str
    pain_during: int | None
    pain_after: int | None
    morning: str | None
    decision: str | None

    @property
    def flare(self) -> bool:
        """The pain model's flare (above the ceiling, or worse the next morning)."""
        scores = [p for p in (self.pain_during, self.pain_after) if p is not None]
        return pain_model.is_flare(max(scores) if scores else None, self.morning)


def _line(r: RunLog) -> RunLine:
    return RunLine(
        r.local_date,
        r.stage + 1,
        r.status,
        r.pain_during,
        r.pain_after,
        r.morning_response,
        r.decision,
    )


async def run_flare_since(session: AsyncSession, user_id: int, since: date) -> bool:
    """Whether a run since ``since`` was a flare: the nudges then keep to gentle themes."""
    rows = (
        await session.execute(
            select(RunLog).where(RunLog.user_id == user_id, RunLog.local_date >= since)
        )
    ).scalars()
    return any(_line(r).flare for r in rows)


@dataclass(frozen=True)
class LadderView:
    """The ladder as the user (and their PT) sees it: where they are and every run."""

    headline: str
    runs: tuple[RunLine, ...]  # oldest first
    ladder: Ladder
    stage: int  # 1-based, where the user is now

    def _score(self, value: int | None) -> str:
        return "–" if value is None else f"{value}/10"

    def lines(self) -> tuple[str, ...]:
        """One sentence per run, latest first (the PT report)."""
        out = []
        for r in reversed(self.runs):
            skipped = r.status == RunStatus.SKIPPED
            out.append(
                self.ladder.text(
                    "run_line",
                    day=human_date(r.day),
                    stage=r.stage,
                    status=self.ladder.label(r.status),
                    during=self._score(r.pain_during),
                    after=self._score(r.pain_after),
                    morning=self.ladder.label("skipped" if skipped else r.morning or "no_morning"),
                    decision=self.ladder.label(r.decision or "wait"),
                )
            )
        return tuple(out)

    def pain_per_run(self, last: int = 6) -> str | None:
        """The last runs' pain during/after in one line (/progress)."""
        shown = [r for r in self.runs if r.status != RunStatus.SKIPPED][-last:]
        if not shown:
            return None
        runs = ", ".join(
            self.ladder.text(
                "run_short", day=day_month(r.day), during=r.pain_during, after=r.pain_after
            )
            for r in shown
        )
        return self.ladder.text("pain_per_run", runs=runs)

    def progress_text(self) -> str:
        per_run = self.pain_per_run()
        return self.headline if per_run is None else f"{self.headline}\n{per_run}"


async def ladder_view(
    session: AsyncSession,
    user_id: int,
    profile: RehabProfile | None,
    start: date | None = None,
    end: date | None = None,
) -> LadderView | None:
    """The ladder and the runs between ``start`` and ``end`` (all when omitted); None for a
    user who has not started the return to running."""
    if profile is None or not profile.returning_to_run:
        return None
    query = select(RunLog).where(RunLog.user_id == user_id)
    if start is not None:
        query = query.where(RunLog.local_date >= start)
    if end is not None:
        query = query.where(RunLog.local_date <= end)
    rows = list((await session.execute(query.order_by(RunLog.local_date))).scalars())
    ladder = ladder_for(profile)
    at = _position(profile)
    stage = ladder.stage(at.stage)
    headline = ladder.text(
        "progress_headline",
        stage=at.stage + 1,
        stages=len(ladder.stages),
        whose=_whose(profile),
        plan=stage.describe(),
        good=at.good,
        needed=stage.sessions,
        runs=sum(1 for r in rows if r.status != RunStatus.SKIPPED),
    )
    runs = tuple(_line(r) for r in rows)
    return LadderView(headline, runs, ladder, at.stage + 1)


def weekly_runs_text(view: LadderView, today: date) -> tuple[str | None, bool]:
    """The weekly summary's line about runs, and whether a run this week was a flare (then
    the summary does not cheer)."""
    week = [r for r in view.runs if today - timedelta(days=6) <= r.day <= today]
    ran = [r for r in week if r.status != RunStatus.SKIPPED]
    stepped_back = any(r.flare for r in week)
    if not ran:
        return None, stepped_back
    peaks = [p for r in ran for p in (r.pain_during, r.pain_after) if p is not None]
    text = view.ladder.text(
        "weekly_runs",
        runs=len(ran),
        stage=view.stage,
        stages=len(view.ladder.stages),
        peak=f"{max(peaks)}/10" if peaks else "–",
    )
    return text, stepped_back
