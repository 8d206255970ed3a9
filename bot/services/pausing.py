"""Pausing and resuming reminders.

``paused_until`` is the last paused local day (inclusive), the same convention as
``Pause.end_date``: the dispatcher resumes a user once their local date is past it. Every
pause is also a ``Pause`` row, so streak and adherence maths treat those days as neither done
nor missed.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import Pause, User
from bot.domain.callbacks import ButtonFamily, encode
from bot.domain.enums import UserStatus
from bot.domain.parsing import InputError, looks_like_a_length, parse_pause, read_typed_choice
from bot.domain.wording import describe_when, human_date, say, t
from bot.services.context import today_of
from bot.services.dialogs import clear_dialog, get_dialog, set_dialog
from bot.services.outcome import ButtonRows, Outcome
from bot.services.planner import cancel_user_schedule, schedule_user
from bot.services.profile import next_checkin_due
from bot.services.users import get_user

log = logging.getLogger(__name__)


async def open_pause(session: AsyncSession, user_id: int, today: date) -> Pause | None:
    """The pause covering today or later, if any (open-ended, or ending today or after)."""
    rows = (
        await session.execute(
            select(Pause).where(Pause.user_id == user_id).order_by(Pause.start_date.desc())
        )
    ).scalars()
    for row in rows:
        if row.end_date is None or row.end_date >= today:
            return row
    return None


async def pause_user(
    session: AsyncSession, user: User, until: date | None, now: datetime, settings: Settings
) -> None:
    """Stop everything for ``user`` through ``until`` (inclusive), or until /resume if None.

    Pausing again while paused moves the end of the current pause instead of stacking rows.
    """
    today = today_of(user, now)
    pause = await open_pause(session, user.id, today)
    if pause is None:
        pause = Pause(user_id=user.id, start_date=today)
        session.add(pause)
    pause.end_date = until
    user.status = UserStatus.PAUSED
    user.paused_until = until
    user.updated_at = now
    await session.flush()
    await cancel_user_schedule(session, user.id)


async def resume_user(session: AsyncSession, user: User, now: datetime, settings: Settings) -> None:
    """Back to active: close the pause at the last day it really covered, then re-plan."""
    today = today_of(user, now)
    pause = await open_pause(session, user.id, today - timedelta(days=1))
    if pause is not None:
        end = today - timedelta(days=1)
        if user.paused_until is not None:
            end = min(end, user.paused_until)
        pause.end_date = max(end, pause.start_date)
    user.status = UserStatus.ACTIVE
    user.paused_until = None
    user.updated_at = now
    await session.flush()
    await schedule_user(session, user, now, settings)


async def is_still_paused(
    session: AsyncSession, user: User, now: datetime, settings: Settings
) -> bool:
    """Whether a pause covers today: used when a user who blocked the bot comes back."""
    today = today_of(user, now)
    if user.paused_until is not None:
        return user.paused_until >= today
    return await open_pause(session, user.id, today) is not None


# --- use cases: /pause and /resume ----------------------------------------------------------


PAUSE_CHOICES: tuple[str, ...] = ("3", "7", "14", "open")
FLOW = "pause"
ASKED = "length"  # the bare /pause question is open: a typed length or choice answers it


def pause_choices(*, paused: bool = False) -> ButtonRows:
    """The lengths to pick from; the last button keeps things as they are ("keep reminders
    on", or for someone paused already "keep it as it is")."""

    def choice(key: str, label: str | None = None) -> tuple[str, str]:
        return (t(label or f"pause.choice_{key}"), encode(ButtonFamily.PAUSE, key))

    return (
        tuple(choice(key) for key in PAUSE_CHOICES[:3]),
        (choice("open"),),
        (choice("no", "pause.choice_keep_paused" if paused else None),),
    )


def _already_paused(user: User) -> str:
    if user.paused_until is None:
        return t("pause.already_paused_open")
    return t("pause.already_paused_until", resume=human_date(user.paused_until + timedelta(days=1)))


async def pause(
    session: AsyncSession,
    telegram_id: int,
    args: str,
    now: datetime,
    settings: Settings,
    *,
    open_ended: bool = False,
) -> Outcome:
    """/pause [N days | until date]: stop reminders and nudges through that day. A bare
    /pause asks how long (pausing until /resume is one of the choices, ``open_ended``)."""
    user = await get_user(session, telegram_id)
    if user is None or user.status == UserStatus.ONBOARDING:
        return Outcome.say(t("pause.not_active"))
    if not args.strip() and not open_ended:
        await set_dialog(session, user.id, FLOW, ASKED, {}, now)
        if user.status == UserStatus.PAUSED:
            return Outcome.say(_already_paused(user), pause_choices(paused=True))
        return Outcome.say(t("pause.ask_how_long"), pause_choices())
    await _close_question(session, user)
    try:
        resume_on = None if open_ended else parse_pause(args, today_of(user, now))
    except InputError as exc:
        return Outcome.say(exc.message)
    until = resume_on - timedelta(days=1) if resume_on is not None else None
    await pause_user(session, user, until, now, settings)
    log.info("user paused", extra={"user_id": user.id})
    if resume_on is None or until is None:
        return Outcome.say(t("pause.paused_open"), edit=open_ended)
    return Outcome.say(
        t("pause.paused_until", date=human_date(until), resume=human_date(resume_on)),
        edit=True,
    )


async def pause_button(
    session: AsyncSession, telegram_id: int, choice: str, now: datetime, settings: Settings
) -> Outcome:
    """A choice under the bare /pause question (edits that question: its buttons close)."""
    if choice == "no":
        user = await get_user(session, telegram_id)
        if user is not None:
            await _close_question(session, user)
        paused = user is not None and user.status == UserStatus.PAUSED
        return Outcome.say(t("pause.kept_paused" if paused else "pause.kept"), edit=True)
    if choice == "open":
        return await pause(session, telegram_id, "", now, settings, open_ended=True)
    if choice not in PAUSE_CHOICES:
        return Outcome.nothing(say("common.expired"))
    return await pause(session, telegram_id, choice, now, settings)


async def _close_question(session: AsyncSession, user: User) -> None:
    dialog = await get_dialog(session, user.id)
    if dialog is not None and dialog.flow == FLOW:
        await clear_dialog(session, user.id)


def _choice_labels(paused: bool) -> dict[str, str]:
    """What each button under the /pause question reads, by its choice."""
    labels = {key: t(f"pause.choice_{key}") for key in PAUSE_CHOICES}
    return {**labels, "no": t("pause.choice_keep_paused" if paused else "pause.choice_no")}


async def typed_length(
    session: AsyncSession, telegram_id: int, text: str | None, now: datetime, settings: Settings
) -> Outcome:
    """Text typed under the bare /pause question: a button's words ("1 week", "keep reminders
    on") or a length /pause reads ("10 days", "until friday") answer it as a tap would; a
    length it cannot use says why. Anything else closes the question and comes back
    unhandled (no replies, unchanged), for wherever it would have gone (the FAQ)."""
    user = await get_user(session, telegram_id)
    if user is None:
        return Outcome.nothing()
    choice = read_typed_choice(text, _choice_labels(user.status == UserStatus.PAUSED))
    if choice is not None:
        return await pause_button(session, telegram_id, choice, now, settings)
    try:
        parse_pause(text, today_of(user, now))
    except InputError as exc:
        if looks_like_a_length(text):
            return Outcome.say(exc.message)  # the question stays open
        await _close_question(session, user)
        return Outcome.nothing()
    return await pause(session, telegram_id, text or "", now, settings)


async def resume(
    session: AsyncSession, telegram_id: int, now: datetime, settings: Settings
) -> Outcome:
    """/resume: back to active, and when the next check-in comes."""
    user = await get_user(session, telegram_id)
    if user is None or user.status == UserStatus.ONBOARDING:
        return Outcome.say(t("pause.not_active"))
    zone = user.timezone or settings.schedule.default_timezone
    if user.status != UserStatus.PAUSED:
        due = await next_checkin_due(session, user.id)
        return Outcome.say(t("pause.already_active", when=describe_when(due, zone, now)))
    await _close_question(session, user)
    await resume_user(session, user, now, settings)
    due = await next_checkin_due(session, user.id)
    log.info("user resumed", extra={"user_id": user.id})
    return Outcome.say(t("pause.resumed", when=describe_when(due, zone, now)))
