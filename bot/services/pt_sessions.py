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

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import PtSession, User
from bot.services.context import today_of
from bot.services.dialogs import clear_dialog, set_dialog
from bot.services.outcome import Outcome, Reply
from bot.services.return_to_run import offer_if_cleared
from bot.services.users import get_user

FLOW = "pt_note"
NOTE_MAX = 1000
OPEN_DAYS = 3  # the prompt's buttons work for a few days, then the session is history

ASK_NOTE = (
    "What did your therapist change or tell you? Type it in one message: new exercises, "
    "different doses, advice on running or form. /cancel to leave it."
)
NOTE_SAVED = "Saved with today's session. It will be in your progress chart and your report."
UPDATE_PLAN = (
    "Open /exercises to add, change or remove exercises so your check-ins follow the new plan. "
    "If you'd like, tap “Note what changed” too, to keep a record of why."
)
NOTHING_CHANGED = (
    "Got it: same plan as before. Keep going with your home exercises as your PT set them."
)
PLAN_HINT = (
    "Changed exercises or doses? Open /exercises to update your plan so your check-ins match."
)
CLOSED = "That session prompt has closed. Send /exercises to change your plan any time."
EXPIRED = "That button has expired."
NOT_TEXT = "I can only save a typed note. Type what changed, or /cancel."
EMPTY = "That note looks empty. Type what changed, or /cancel."


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
        return Outcome.nothing(EXPIRED)
    if not day <= today_of(user, now) <= day + timedelta(days=OPEN_DAYS):
        return Outcome((), toast=CLOSED, changed=False, extra={"alert": True})
    await save_session(session, user, day, now)
    chosen = PtAction(action)
    if chosen is PtAction.NOTE:
        await set_dialog(session, user.id, FLOW, "note", NoteStep(day).data(), now)
        return Outcome.say(ASK_NOTE, edit=True)
    return Outcome.say(UPDATE_PLAN if chosen is PtAction.PLAN else NOTHING_CHANGED, edit=True)


async def add_note(
    session: AsyncSession, user_id: int, step: NoteStep, text: str | None, now: datetime
) -> Outcome:
    """The typed note: saved on the session day, and the note step ends."""
    if text is None:
        return Outcome.say(NOT_TEXT)
    note = text.strip()
    if not note:
        return Outcome.say(EMPTY)
    if len(note) > NOTE_MAX:
        return Outcome.say(
            f"Please keep the note under {NOTE_MAX} characters; it is {len(note)} now."
        )
    user = await session.get(User, user_id)
    if user is None:  # erased meanwhile
        return Outcome.nothing()
    await clear_dialog(session, user_id)
    await save_session(session, user, step.day, now, note)
    saved = Reply(f"{NOTE_SAVED}\n\n{PLAN_HINT}")
    offer = await offer_if_cleared(session, user, note)
    return Outcome((saved, offer) if offer is not None else (saved,))
