"""After a physical therapy session: record it, and what the therapist changed.

What the therapist changed is saved on the day's ``PtSession`` row, so it shows up in the
progress chart and the report for the next session. The prompt's buttons work for a few
days, then the session is history. A typed note is triaged like every other message (by the
router, before it reaches the note step).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import PtSession, ScheduledMessage, User
from bot.domain.enums import MessageStatus
from bot.domain.kinds import MessageKind
from bot.domain.parsing import read_menu_choice
from bot.domain.wording import say
from bot.services.context import today_of
from bot.services.dialogs import clear_dialog, set_dialog
from bot.services.outcome import Outcome, Reply
from bot.services.planner import sent_since
from bot.services.return_to_run import offer_if_cleared
from bot.services.small_talk import reads_as_note, step_small_talk
from bot.services.users import get_user

FLOW = "pt_note"
NOTE_MAX = 1000
OPEN_DAYS = 3  # the prompt's buttons work for a few days, then the session is history


class PtAction(StrEnum):
    NOTE = "note"
    PLAN = "plan"
    SAME = "same"


@dataclass(frozen=True)
class NoteStep:
    """The note step's typed state: which session day the note belongs to."""

    day: date

    def data(self) -> dict[str, Any]:
        return {"day": self.day.isoformat()}

    @classmethod
    def read(cls, data: Any) -> NoteStep:
        return cls(date.fromisoformat(str(data.get("day"))))


async def save_session(
    session: AsyncSession, user: User, day: date, now: datetime, note: str | None = None
) -> PtSession:
    """One row per session day; a second note on the same day is added to the first."""
    row = (
        await session.execute(
            select(PtSession).where(PtSession.user_id == user.id, PtSession.session_date == day)
        )
    ).scalar_one_or_none()
    if row is None:
        row = PtSession(user_id=user.id, session_date=day, note=note, created_at=now)
        try:
            async with session.begin_nested():
                session.add(row)
            return row
        except IntegrityError:
            row = (
                await session.execute(
                    select(PtSession).where(
                        PtSession.user_id == user.id, PtSession.session_date == day
                    )
                )
            ).scalar_one()
    if note:
        row.note = f"{row.note}\n{note}" if row.note and note not in row.note else note
    return row


async def answer_prompt(
    session: AsyncSession, telegram_id: int, day: date | None, action: str, now: datetime
) -> Outcome:
    """A button under the after-session prompt: the session is recorded whichever it is;
    "note" also opens the note step. The reply replaces the prompt."""
    user = await get_user(session, telegram_id)
    if user is None or day is None or action not in set(PtAction) or not user.timezone:
        return Outcome.nothing(say("common.expired"))
    if not day <= today_of(user, now) <= day + timedelta(days=OPEN_DAYS):
        return Outcome((), toast=say("pt_session.closed"), changed=False, extra={"alert": True})
    await save_session(session, user, day, now)
    chosen = PtAction(action)
    if chosen is PtAction.NOTE:
        await set_dialog(session, user.id, FLOW, "note", NoteStep(day).data(), now)
        return Outcome.say(say("pt_session.ask_note"), edit=True)
    return Outcome.say(
        say("pt_session.update_plan" if chosen is PtAction.PLAN else "pt_session.nothing_changed"),
        edit=True,
    )


async def add_note(
    session: AsyncSession, user_id: int, step: NoteStep, text: str | None, now: datetime
) -> Outcome:
    """The typed note: saved on the session day, and the note step ends."""
    if text is None:
        return Outcome.say(say("pt_session.not_text"))
    note = text.strip()
    if not note:
        return Outcome.say(say("pt_session.empty"))
    if len(note) > NOTE_MAX:
        return Outcome.say(say("pt_session.too_long", max=NOTE_MAX, length=len(note)))
    aside = step_small_talk(note, buttons=False)  # "thanks" is not what the therapist changed
    if aside is not None:
        return Outcome((*aside, Reply(say("pt_session.ask_note"))))
    user = await session.get(User, user_id)
    if user is None:  # erased meanwhile
        return Outcome.nothing()
    await clear_dialog(session, user_id)
    await save_session(session, user, step.day, now, note)
    saved = Reply(say("pt_session.note_saved") + "\n\n" + say("pt_session.plan_hint"))
    offer = await offer_if_cleared(session, user, note)
    return Outcome((saved, offer) if offer is not None else (saved,))


async def _open_after_prompt(session: AsyncSession, user: User, today: date) -> date | None:
    """The session day whose after-session prompt went out today or yesterday and has not
    been answered (no session recorded for it yet), else None."""
    sent = await sent_since(session, user.id, MessageKind.PT_AFTER, today - timedelta(days=1))
    for day, _ in sent:
        recorded = await session.scalar(
            select(PtSession.id).where(PtSession.user_id == user.id, PtSession.session_date == day)
        )
        if recorded is None:
            return day
    return None


_CHECKIN_PROMPTS = (MessageKind.CHECKIN, MessageKind.FOLLOWUP, MessageKind.SNOOZE)


async def _checkin_asked_since(session: AsyncSession, user_id: int, day: date) -> bool:
    """Whether a check-in prompt went out after the session day's after-PT prompt: then the
    user's typed words answer that later question ("I only did the wall sits" the next
    evening) and never become the session's note."""
    sent = ScheduledMessage.status == MessageStatus.SENT
    mine = ScheduledMessage.user_id == user_id
    prompt = await session.scalar(
        select(func.max(ScheduledMessage.sent_at)).where(
            mine,
            sent,
            ScheduledMessage.kind == MessageKind.PT_AFTER,
            ScheduledMessage.local_date == day,
        )
    )
    later = await session.scalar(
        select(func.max(ScheduledMessage.sent_at)).where(
            mine, sent, ScheduledMessage.kind.in_(_CHECKIN_PROMPTS)
        )
    )
    return prompt is not None and later is not None and later > prompt


async def typed_after_prompt(
    session: AsyncSession, telegram_id: int, text: str, now: datetime
) -> Outcome | None:
    """Typed while the evening's "How was physical therapy?" prompt is unanswered: a
    button's words ("nothing changed", "update my plan") as that button; otherwise a few
    words that are not a question and not small talk ("she added side planks and said slow
    down the lowering") are what the prompt asked for, and are saved as the session's note.
    None for anything else (a question goes to the FAQ, a "thanks" to small talk)."""
    user = await get_user(session, telegram_id)
    if user is None or not user.timezone:
        return None
    day = await _open_after_prompt(session, user, today_of(user, now))
    if day is None or await _checkin_asked_since(session, user.id, day):
        return None
    labels = {action.value: say(f"pt_session.buttons.{action.value}") for action in PtAction}
    chosen = None if text.strip().isdecimal() else read_menu_choice(text, labels)
    if chosen is not None:
        return await answer_prompt(session, telegram_id, day, chosen, now)
    if not reads_as_note(text):
        return None
    return await add_note(session, user.id, NoteStep(day), text, now)
