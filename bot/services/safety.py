"""Safety use cases: triage a user's text, record a red flag, raise or resolve the hold.

The rules are in ``bot.domain.safety`` (levels and the gate), ``bot.domain.triage`` (what
counts as a red flag) and ``bot.domain.pain`` (when pain escalates). This module is the one
place that changes a user's safety state, so every path (free text, a step's typed answer,
a pain score, the follow-up buttons) behaves the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import RedFlagReport, RehabProfile, User
from bot.domain import callbacks
from bot.domain.callbacks import ButtonFamily, SafetyAction, parts_of
from bot.domain.content import load_safety_text
from bot.domain.kinds import MessageKind
from bot.domain.pain import PAIN_FLAG_PREFIX, EscalationReason, pain_flag
from bot.domain.parsing import read_menu_choice
from bot.domain.safety import (
    SafetyLevel,
    SafetyState,
    level_for_triage,
    says_no,
    says_not_seen_yet,
    says_seen,
)
from bot.domain.timing import local_date, next_outside_quiet_hours
from bot.domain.triage import TriageResult, triage
from bot.domain.wording import say
from bot.services.dialogs import clear_dialog, set_dialog
from bot.services.outcome import ButtonRows, Outcome, Reply
from bot.services.planner import cancel_pending, upsert_message
from bot.services.small_talk import step_small_talk
from bot.services.users import get_user

TEXT_MAX = 1000
"""How much of a flagged message is kept for the user's report."""


def state_of(user: User) -> SafetyState:
    return SafetyState(
        level=SafetyLevel(user.safety_level or SafetyLevel.NONE),
        since=user.safety_since,
        resolved_at=user.safety_resolved_at,
        followups_sent=user.safety_followups or 0,
        seen_at=user.safety_seen_at,
    )


def _store(user: User, state: SafetyState, now: datetime) -> None:
    user.safety_level = state.level.value
    user.safety_since = state.since
    user.safety_resolved_at = state.resolved_at
    user.safety_followups = state.followups_sent
    user.safety_seen_at = state.seen_at
    user.updated_at = now


def _button(key: str, action: SafetyAction) -> tuple[str, str]:
    return (load_safety_text().button(key), callbacks.safety(action))


def seen_button() -> ButtonRows:
    """The one button that releases a hold, under every hold explanation."""
    return ((_button("seen", SafetyAction.SEEN),),)


def followup_buttons() -> ButtonRows:
    """Under "were you able to see someone?" during a hold."""
    return (
        (_button("seen", SafetyAction.SEEN),),
        (_button("not_yet", SafetyAction.NOT_YET), _button("need_help", SafetyAction.NEED_HELP)),
    )


def escalation_buttons() -> ButtonRows:
    """Under a pain escalation's advice: the PT adjusted the plan, or a clinician saw me."""
    return ((_button("pt_adjusted", SafetyAction.PT_ADJUSTED), _button("seen", SafetyAction.SEEN)),)


def clearance_buttons() -> ButtonRows:
    """After "a clinician has seen me" during a hold: did they clear the user to carry on?"""
    return (
        (
            _button("cleared", SafetyAction.CLEARED),
            _button("not_cleared", SafetyAction.NOT_CLEARED),
        ),
    )


def hold_reply(state: SafetyState) -> Reply | None:
    """What a prompt for exercise says instead while a concern is open (None: no concern)."""
    text = load_safety_text()
    if state.awaiting_clearance:  # seen: the way out now is the clinician's go-ahead
        return Reply(text.render("hold.awaiting_clearance"), clearance_buttons())
    if state.level is SafetyLevel.EMERGENCY:  # emergency wording first, always
        return Reply(text.render("hold.emergency"), seen_button())
    if state.on_hold:
        return Reply(text.render("hold.urgent"), seen_button())
    if state.active:
        return Reply(text.render("hold.watch"), seen_button())
    return None


@dataclass(frozen=True)
class Triaged:
    """A flagged message: what to say, and the state after it."""

    result: TriageResult
    state: SafetyState
    outcome: Outcome


def check_text(text: str) -> TriageResult | None:
    """Pure triage of one message (None when it carries no red flag)."""
    result = triage(text)
    return result if result.is_red_flag else None


async def report_red_flag(
    session: AsyncSession,
    user: User | None,
    text: str,
    now: datetime,
    *,
    unless_reported: bool = False,
) -> Triaged | None:
    """Triage ``text``; if it is a red flag, record it, raise the user's state and plan the
    follow-up. The safety advice always goes out, also to someone not yet signed up (for
    whom nothing is stored). ``unless_reported`` (an edited message): words this user
    already reported make neither a second report nor a second reply."""
    result = check_text(text)
    if result is None:
        return None
    if user is None:
        return Triaged(result, SafetyState(), Outcome.say(result.message))
    profile = await session.get(RehabProfile, user.id)
    advice = result.message_for(bool(profile is not None and profile.returning_to_run))
    if unless_reported and await _already_reported(session, user.id, text, result.flag or ""):
        return None
    session.add(
        RedFlagReport(
            user_id=user.id,
            flag=result.flag or "",
            level=result.level or "contact",
            text=text[:TEXT_MAX],
            created_at=now,
        )
    )
    state = state_of(user).raised_to(level_for_triage(result.level), now)
    _store(user, state, now)
    await plan_followup(session, user, state, now)
    # No log line: which flag a user reported is health data (the metrics count flags).
    return Triaged(result, state, Outcome.say(advice, seen_button()))


async def _already_reported(session: AsyncSession, user_id: int, text: str, flag: str) -> bool:
    """An edit repeats a report when its words were reported already, or when it raises a
    sign this user reported and has not resolved yet (a typo fixed in the same message)."""
    found = await session.execute(
        select(RedFlagReport.id)
        .where(
            RedFlagReport.user_id == user_id,
            (RedFlagReport.text == text[:TEXT_MAX])
            | ((RedFlagReport.flag == flag) & RedFlagReport.resolved_at.is_(None)),
        )
        .limit(1)
    )
    return found.first() is not None


async def raise_for_pain(
    session: AsyncSession,
    user: User,
    reason: EscalationReason,
    now: datetime,
    *,
    detail: str = "",
    run: bool = False,
) -> Reply:
    """Pain escalated under the pain model: a watch-level concern, a line in the PT report
    (``detail`` says which scores, in the user's terms), and one clear message, worded for a
    run when ``run``. While that concern is open, further escalations bring its report line
    up to date and get a short reminder instead of the whole message again."""
    text = load_safety_text()
    section = "escalation_run" if run else "escalation"
    buttons = escalation_buttons()
    open_row = (
        await session.execute(
            select(RedFlagReport)
            .where(
                RedFlagReport.user_id == user.id,
                RedFlagReport.resolved_at.is_(None),
                RedFlagReport.flag.like(f"{PAIN_FLAG_PREFIX}%"),
            )
            .order_by(RedFlagReport.created_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if open_row is not None:
        open_row.text = detail[:TEXT_MAX]
        # A score above the see-a-professional line again is told to stop as firmly as the
        # first time; other escalations get the shorter reminder.
        still = "still_very_high" if reason is EscalationReason.VERY_HIGH else "still"
        return Reply(text.render(f"{section}.{still}"), buttons)
    state = state_of(user).raised_to(SafetyLevel.WATCH, now)
    _store(user, state, now)
    session.add(
        RedFlagReport(
            user_id=user.id,
            flag=pain_flag(reason),
            level="contact",
            text=detail[:TEXT_MAX],
            created_at=now,
        )
    )
    return Reply(text.render(f"{section}.{reason.value}"), buttons)


async def plan_followup(
    session: AsyncSession, user: User, state: SafetyState, now: datetime
) -> None:
    """Plan the next "were you able to see someone?" message (urgent and emergency only)."""
    due = state.next_followup_due()
    if due is None or not user.timezone:
        return
    due = max(due, now)
    due = next_outside_quiet_hours(due, user.timezone, user.quiet_start, user.quiet_end)
    await upsert_message(
        session,
        user_id=user.id,
        kind=MessageKind.SAFETY_FOLLOWUP,
        day=local_date(due, user.timezone),
        due_at=due,
        now=now,
        payload={"level": state.level.value},
    )


def followup_message(user: User) -> tuple[str, ButtonRows] | None:
    """The follow-up's words and choices, or None when there is no hold to ask about."""
    state = state_of(user)
    if not state.on_hold:
        return None
    text = load_safety_text()
    if state.awaiting_clearance:
        return text.render("followup.clearance", first_name=user.first_name), clearance_buttons()
    key = "followup.emergency" if state.level is SafetyLevel.EMERGENCY else "followup.urgent"
    return text.render(key, first_name=user.first_name), followup_buttons()


async def followup_sent(session: AsyncSession, user: User, now: datetime) -> None:
    state = state_of(user)
    state = replace(state, followups_sent=state.followups_sent + 1)  # keeps seen_at
    _store(user, state, now)
    await plan_followup(session, user, state, now)


async def answer(session: AsyncSession, user: User, action: SafetyAction, now: datetime) -> Outcome:
    """The user tapped one of the safety buttons. Confirmations are new messages: the
    safety advice they were tapped under stays in the chat."""
    text = load_safety_text()
    state = state_of(user)
    if action in (SafetyAction.SEEN, SafetyAction.PT_ADJUSTED):
        if not state.active:
            return Outcome.nothing(say("common.noted"))
        if state.on_hold and action is SafetyAction.SEEN:
            _store(user, state.seen(now), now)  # the follow-up now asks about the clearance
            return Outcome.say(text.render("answer.seen"), clearance_buttons())
        return await _release(session, user, now)
    if action is SafetyAction.CLEARED:
        if not state.active:
            return Outcome.nothing(say("common.noted"))
        return await _release(session, user, now)
    if action is SafetyAction.NOT_CLEARED:
        if state.on_hold:
            _store(user, state.seen(now), now)  # not cleared means they were seen
        return Outcome.say(
            text.render("answer.not_cleared"), ((_button("cleared", SafetyAction.CLEARED),),)
        )
    if action is SafetyAction.NOT_YET:
        emergency = state.level is SafetyLevel.EMERGENCY
        return Outcome.say(
            text.render("answer.not_yet_emergency" if emergency else "answer.not_yet")
        )
    if action is SafetyAction.NEED_HELP:
        return Outcome.say(text.render("answer.need_help"), seen_button())
    if action is SafetyAction.UNDO:
        return await _undo(session, user, now)
    if action is SafetyAction.ADVICE:
        if state.active or state.resolved_at is None:
            return Outcome.nothing(say("common.expired"))
        released = {"released": state.resolved_at.isoformat()}
        await set_dialog(session, user.id, ADVICE_FLOW, "advice", released, now)
        return Outcome.say(text.render("answer.ask_advice"))
    return Outcome.nothing(say("common.expired"))


async def typed_answer(
    session: AsyncSession, telegram_id: int, text: str, now: datetime
) -> Outcome | None:
    """Typed while a concern is open, with no step waiting, answered as the safety buttons
    on screen would be: "I saw my doctor today" as "A clinician has seen me" (which asks
    about the clearance and releases nothing); "no", "not yet", "I haven't seen anyone yet"
    or a visit still ahead ("I'll see the physio tomorrow", "booked for Friday") as "Not
    yet"; "no" to "did they clear you?" as "Not cleared yet"; a button's own words or a
    short form of them ("help me find care", "not cleared", "cleared to carry on" once they
    were asked about the clearance) as that button. A bare "yes" or "cleared" releases
    nothing (it fits more than one question), and a bare number picks nothing here (it may
    be a pain score). None otherwise."""
    user = await get_user(session, telegram_id)
    state = state_of(user) if user is not None else None
    if user is None or state is None or not state.active:
        return None
    words = load_safety_text()
    clinician, seen, negation, not_yet = (
        words.variants(f"seen_words.{group}")
        for group in ("clinician", "seen", "negation", "not_yet")
    )
    plans, visits, reported = (
        words.variants(f"seen_words.{group}") for group in ("plans", "visits", "reported")
    )
    if says_seen(text, clinician, seen, negation):
        return await answer(session, user, SafetyAction.SEEN, now)
    if state.awaiting_clearance:  # "cleared" alone fits both buttons, so it picks neither
        if says_no(text, not_yet):  # "no" to "did they clear you?" keeps the hold
            return await answer(session, user, SafetyAction.NOT_CLEARED, now)
        shown = clearance_buttons()
    elif state.on_hold:
        ahead = {"plans": plans, "visits": visits, "reported": reported}
        if says_not_seen_yet(text, clinician, seen, negation, not_yet, **ahead):
            return await answer(session, user, SafetyAction.NOT_YET, now)
        shown = followup_buttons()
    else:  # a pain escalation
        shown = escalation_buttons()
    if text.strip().isdecimal():
        return None
    chosen = read_menu_choice(text, {data: label for row in shown for label, data in row})
    action = parts_of(chosen, ButtonFamily.SAFETY)[:1]
    return await answer(session, user, SafetyAction(action[0]), now) if action else None


async def _release(session: AsyncSession, user: User, now: datetime) -> Outcome:
    previous = state_of(user)
    _store(user, previous.resolved(now), now)
    await session.execute(
        update(RedFlagReport)
        .where(RedFlagReport.user_id == user.id, RedFlagReport.resolved_at.is_(None))
        .values(resolved_at=now)
    )
    await cancel_pending(session, user.id, (MessageKind.SAFETY_FOLLOWUP,))
    key = "answer.cleared" if previous.on_hold else "answer.noted"
    return Outcome.say(
        load_safety_text().render(key),
        ((_button("advice", SafetyAction.ADVICE), _button("undo", SafetyAction.UNDO)),),
    )


ADVICE_FLOW = "safety_advice"
"""The step after "Note what they advised": the next typed message (triaged first, and never
saved when it is a red flag) is added to the reports the release resolved."""
ADVICE_MAX = 500


async def save_advice(
    session: AsyncSession,
    telegram_id: int,
    data: Mapping[str, object],
    text: str | None,
    now: datetime,
) -> Outcome:
    """What the clinician advised, in the user's words, added to the concern it resolved so
    the physical therapist reads it in the report next to the sign."""
    user = await get_user(session, telegram_id)
    if user is None:
        return Outcome.nothing()
    advice = (text or "").strip()
    if not advice:
        return Outcome.say(load_safety_text().render("answer.advice_empty"))
    if len(advice) > ADVICE_MAX:
        return Outcome.say(load_safety_text().render("answer.advice_too_long", max=ADVICE_MAX))
    aside = step_small_talk(advice, buttons=False)  # "thanks" is not what the clinician advised
    if aside is not None:
        return Outcome((*aside, Reply(load_safety_text().render("answer.ask_advice"))))
    await clear_dialog(session, user.id)
    released = data.get("released")
    if released:
        reports = (
            await session.execute(
                select(RedFlagReport).where(
                    RedFlagReport.user_id == user.id,
                    RedFlagReport.resolved_at == datetime.fromisoformat(str(released)),
                )
            )
        ).scalars()
        for report in reports:
            report.text = load_safety_text().render(
                "answer.advice_in_report", text=report.text, advice=advice
            )[:TEXT_MAX]
    return Outcome.say(load_safety_text().render("answer.advice_saved"))


async def _undo(session: AsyncSession, user: User, now: datetime) -> Outcome:
    """Put back the hold a mistaken "cleared" released: the latest resolved reports reopen."""
    state = state_of(user)
    if state.active or state.resolved_at is None:
        return Outcome.nothing(load_safety_text().render("answer.nothing_to_undo"))
    reports = list(
        (
            await session.execute(
                select(RedFlagReport).where(
                    RedFlagReport.user_id == user.id,
                    RedFlagReport.resolved_at == state.resolved_at,
                )
            )
        ).scalars()
    )
    level = max(
        (level_for_triage(r.level) for r in reports),
        key=lambda lv: lv.rank,
        default=SafetyLevel.WATCH,
    )
    since = min((r.created_at for r in reports), default=now)
    for report in reports:
        report.resolved_at = None
    restored = SafetyState(level, since=since, resolved_at=None, followups_sent=0)
    _store(user, restored, now)
    await plan_followup(session, user, restored, now)
    return Outcome.say(load_safety_text().render("answer.undo"), seen_button())


async def pain_settled(session: AsyncSession, user: User, now: datetime) -> Reply | None:
    """A watch that came from pain alone ends when the pain is back in the safe band: its
    escalations are marked resolved (they stay in the report). A red flag still open keeps
    the watch until the user says a clinician has seen them."""
    state = state_of(user)
    if state.level is not SafetyLevel.WATCH:
        return None
    open_red_flag = (
        await session.execute(
            select(RedFlagReport.id).where(
                RedFlagReport.user_id == user.id,
                RedFlagReport.resolved_at.is_(None),
                RedFlagReport.flag.not_like(f"{PAIN_FLAG_PREFIX}%"),
            )
        )
    ).first()
    if open_red_flag is not None:
        return None
    await session.execute(
        update(RedFlagReport)
        .where(RedFlagReport.user_id == user.id, RedFlagReport.resolved_at.is_(None))
        .values(resolved_at=now)
    )
    _store(user, state.resolved(now), now)
    return Reply(load_safety_text().render("escalation.settled"))
