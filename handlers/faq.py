"""Free-text questions and /faq: safety triage first, then the knowledge base.

A red flag always wins: the user gets a calm message to contact their physical therapist or
doctor, the report is recorded, and motivational nudges hold until the user confirms they
have spoken to a clinician. Otherwise the FAQ answers, offers close matches, or says
honestly that it does not know.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.cli_faq import UNKNOWN
from bot.db.models import FaqQuestion, User
from bot.domain import callbacks
from bot.domain.callbacks import ButtonFamily, SafetyAction
from bot.domain.faq import FaqEntry
from bot.services import safety
from bot.services.outcome import Outcome
from bot.services.users import get_user
from handlers.common import (
    Context,
    answer_query,
    edit_or_reply,
    keyboard,
    render,
    reply,
    services,
)
from handlers.router import Incoming, register_legacy_free_text

QUESTION_MAX = 1000
SMALL_TALK = {
    "greeting": (
        re.compile(r"^\W*(hi|hello|hey|hiya|good (morning|afternoon|evening)|yo)\W*$", re.I),
        "Hi! Ask me anything about stopping running or physical therapy, or send /checkin to log "
        "today's exercises. /help lists everything.",
    ),
    "thanks": (
        re.compile(r"^\W*(thanks|thank you|thx|ty|cheers|great|ok|okay|cool|👍)\W*$", re.I),
        "You're welcome! I'm here whenever you need me.",
    ),
}


def _entry(index: object, entry_id: str) -> FaqEntry | None:
    for entry in index.entries:  # type: ignore[attr-defined]
        if entry.id == entry_id:
            return entry  # type: ignore[no-any-return]
    return None


def _answer_text(entry: FaqEntry) -> str:
    sources = "; ".join(entry.sources[:3])
    return f"{entry.title}\n\n{entry.answer}\n\nSources: {sources}"


def _answer_buttons(
    entry: FaqEntry, question_id: int | None, index: object
) -> list[list[tuple[str, str]]]:
    rows: list[list[tuple[str, str]]] = []
    if question_id is not None:
        rows.append(
            [("👍 Helpful", f"fb:{question_id}:y"), ("👎 Not helpful", f"fb:{question_id}:n")]
        )
    related = [e for e in (_entry(index, rid) for rid in entry.related[:3]) if e is not None]
    rows += [[("→ " + e.title[:48], f"faq:e:{e.id}")] for e in related]
    return rows


async def _log_question(
    session: AsyncSession,
    user: User | None,
    text: str,
    decision: str,
    entry_id: str | None,
    confidence: float,
    now: datetime,
) -> int | None:
    if user is None:  # nothing is stored for someone who has not accepted the terms
        return None
    row = FaqQuestion(
        user_id=user.id,
        text=text[:QUESTION_MAX],
        decision=decision,
        entry_id=entry_id,
        confidence=round(confidence, 4),
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row.id


async def on_free_text(
    update: Update, context: Context, session: AsyncSession, user: User | None, incoming: Incoming
) -> None:
    if incoming.text is None:
        what = incoming.other or "that"
        await reply(
            update,
            context,
            f"I can't read a {what}, sorry. Type your question in words, "
            "or use /help to see what I can do."
            if incoming.location is None
            else "Thanks, but I only use your location while setting your timezone (/settings).",
        )
        return
    text = incoming.text.strip()
    now = services(context).clock.now()
    if not text:
        await reply(update, context, "That message looks empty. Type a question, or see /help.")
        return
    for _, (pattern, answer) in SMALL_TALK.items():
        if pattern.match(text):
            await reply(update, context, answer)
            return
    if len(text) > QUESTION_MAX:
        await reply(
            update,
            context,
            f"That's a long message! Could you ask it in under {QUESTION_MAX} characters?",
        )
        return
    index = services(context).faq
    result = index.answer(text)
    if result.decision == "answer" and result.best is not None:
        qid = await _log_question(
            session, user, text, "answer", result.best.id, result.confidence, now
        )
        await reply(
            update,
            context,
            _answer_text(result.best),
            keyboard(_answer_buttons(result.best, qid, index)),
        )
        return
    if result.decision == "suggest" and result.suggestions:
        qid = await _log_question(session, user, text, "suggest", None, result.confidence, now)
        rows = [[(e.title[:60], f"faq:e:{e.id}")] for e in result.suggestions[:3]]
        rows.append([("None of these", f"faq:none:{qid or 0}")])
        await reply(
            update,
            context,
            "I'm not completely sure what you mean. Did you mean one of these?",
            keyboard(rows),
        )
        return
    await _log_question(session, user, text, "unknown", None, result.confidence, now)
    await reply(update, context, UNKNOWN, keyboard([[("Browse topics", "faq:topics")]]))


# --- /faq browsing --------------------------------------------------------------------------


def _topics(index: object) -> list[str]:
    seen: list[str] = []
    for entry in index.entries:  # type: ignore[attr-defined]
        if entry.topic not in seen:
            seen.append(entry.topic)
    return seen


async def faq_command(update: Update, context: Context) -> None:
    index = services(context).faq
    rows = [[(topic, f"faq:t:{i}")] for i, topic in enumerate(_topics(index))]
    await reply(
        update, context, "Pick a topic, or just type your question any time.", keyboard(rows)
    )


async def on_faq_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_user
    svc = services(context)
    index = svc.faq
    parts = query.data.split(":", 2)
    action = parts[1] if len(parts) > 1 else ""
    arg = parts[2] if len(parts) > 2 else ""
    if action == "topics":
        await answer_query(update)
        rows = [[(topic, f"faq:t:{i}")] for i, topic in enumerate(_topics(index))]
        await edit_or_reply(update, context, "Pick a topic:", keyboard(rows))
    elif action == "t" and arg.isdigit() and int(arg) < len(_topics(index)):
        topic = _topics(index)[int(arg)]
        entries = [e for e in index.entries if e.topic == topic]
        rows = [[(e.title[:60], f"faq:e:{e.id}")] for e in entries] + [
            [("« All topics", "faq:topics")]
        ]
        await answer_query(update)
        await edit_or_reply(update, context, f"{topic}:", keyboard(rows))
    elif action == "e" and _entry(index, arg) is not None:
        entry = _entry(index, arg)
        assert entry is not None
        await answer_query(update)
        async with svc.sessions() as session:
            user = await get_user(session, update.effective_user.id)
            qid = await _log_question(
                session, user, f"[browsed] {entry.title}", "answer", entry.id, 1.0, svc.clock.now()
            )
            await session.commit()
        rows = [*_answer_buttons(entry, qid, index), [("« Topics", "faq:topics")]]
        await reply(update, context, _answer_text(entry), keyboard(rows))
    elif action == "none":
        await answer_query(update)
        await edit_or_reply(update, context, UNKNOWN, keyboard([[("Browse topics", "faq:topics")]]))
    else:
        await answer_query(update, "That button has expired.")


async def on_feedback(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_user
    parts = query.data.split(":")
    if len(parts) != 3 or not parts[1].isdigit() or parts[2] not in ("y", "n"):
        await answer_query(update, "That button has expired.")
        return
    svc = services(context)
    async with svc.sessions() as session:
        user = await get_user(session, update.effective_user.id)
        row = await session.get(FaqQuestion, int(parts[1]))
        if user is None or row is None or row.user_id != user.id:
            await answer_query(update, "That button has expired.")
            return
        row.helpful = parts[2] == "y"
        await session.commit()
    await answer_query(
        update,
        "Thanks for the feedback!"
        if parts[2] == "y"
        else "Thanks, that helps us improve the answers.",
    )


async def on_safety_button(update: Update, context: Context) -> None:
    """The clinician follow-up and hold buttons (and ``rf:ok`` on older safety messages)."""
    assert update.effective_user
    query = update.callback_query
    assert query is not None
    try:
        decoded = callbacks.decode(query.data)
        action = (
            SafetyAction.SEEN
            if decoded.family is ButtonFamily.LEGACY_CLINICIAN
            else SafetyAction(decoded.part(0) or "")
        )
    except ValueError:
        await answer_query(update, "That button has expired.")
        return
    svc = services(context)
    async with svc.sessions() as session:
        user = await get_user(session, update.effective_user.id)
        if user is None:
            outcome = Outcome.nothing("That button has expired.")
        else:
            outcome = await safety.answer(session, user, action, svc.clock.now())
            await session.commit()
    await answer_query(update, outcome.toast)
    await render(update, context, outcome)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("faq", faq_command))
    app.add_handler(CallbackQueryHandler(on_faq_button, pattern=r"^faq:"))
    app.add_handler(CallbackQueryHandler(on_feedback, pattern=r"^fb:"))
    app.add_handler(
        CallbackQueryHandler(
            on_safety_button,
            pattern=callbacks.pattern(ButtonFamily.SAFETY, ButtonFamily.LEGACY_CLINICIAN),
        )
    )
    register_legacy_free_text(on_free_text)
