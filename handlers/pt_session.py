"""The prompt after a physical therapy session: note what changed, or go update the plan.

What the therapist changed is saved on the day's ``PtSession`` row, so it shows up in the
progress chart and the report for the next session. A typed note is checked for warning signs
like every other message.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

# The PT, nudge and weekly-summary kinds must be registered before the first tick;
# bot.services.outgoing only loads its kind modules when its registry is still empty.
import bot.services.outgoing_nudges  # noqa: F401
from bot.db.models import Dialog, PtSession, User
from bot.services.context import today_of
from bot.services.dialogs import clear_dialog, set_dialog
from bot.services.users import get_user
from handlers.common import Context, answer_query, edit_or_reply, reply, services
from handlers.router import Incoming, register_legacy_flow

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


def _parse(data: str) -> tuple[date | None, str]:
    parts = data.split(":")
    if len(parts) != 3:
        return None, ""
    try:
        return datetime.strptime(parts[1], "%Y%m%d").date(), parts[2]
    except ValueError:
        return None, ""


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_user
    day, action = _parse(query.data)
    svc = services(context)
    now = svc.clock.now()
    async with svc.sessions() as session:
        user = await get_user(session, update.effective_user.id)
        if (
            user is None
            or day is None
            or action not in ("note", "plan", "same")
            or not user.timezone
        ):
            await answer_query(update, "That button has expired.")
            return
        if not day <= today_of(user, now) <= day + timedelta(days=OPEN_DAYS):
            await answer_query(update, CLOSED, alert=True)
            return
        await answer_query(update)
        await save_session(session, user, day, now)
        if action == "note":
            await set_dialog(session, user.id, FLOW, "note", {"day": day.isoformat()}, now)
            text = ASK_NOTE
        elif action == "plan":
            text = UPDATE_PLAN
        else:
            text = NOTHING_CHANGED
        await session.commit()
    await edit_or_reply(update, context, text)


async def on_note_text(
    update: Update,
    context: Context,
    session: AsyncSession,
    user: User,
    dialog: Dialog,
    incoming: Incoming,
) -> None:
    now = services(context).clock.now()
    if incoming.text is None:
        await reply(update, context, "I can only save a typed note. Type what changed, or /cancel.")
        return
    note = incoming.text.strip()
    if not note:
        await reply(update, context, "That note looks empty. Type what changed, or /cancel.")
        return
    if len(note) > NOTE_MAX:
        await reply(
            update,
            context,
            f"Please keep the note under {NOTE_MAX} characters; it is {len(note)} now.",
        )
        return
    day = date.fromisoformat(str(dialog.data.get("day")))
    await clear_dialog(session, user.id)
    await save_session(session, user, day, now, note)
    await reply(update, context, f"{NOTE_SAVED}\n\n{PLAN_HINT}")


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^pt:"))
    register_legacy_flow(FLOW, on_note_text)
