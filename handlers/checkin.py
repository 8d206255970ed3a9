"""The check-in conversation: done / some / not today / later, pain 0-10, an optional note,
and the next-morning question. Also /checkin (any time) and /today.

Buttons carry the day they belong to (``ci:20261127:done``), never who may press them: the
user is always the one Telegram says pressed. A button from an earlier day answers "closed"
and changes nothing; pressing the same button twice records once.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.db.models import CheckIn, Dialog, RehabProfile, ScheduledMessage, User
from bot.domain import pain as pain_model
from bot.domain.content import load_checkin_text
from bot.domain.kinds import MessageKind
from bot.domain.timing import in_quiet_hours, local_date
from bot.reports import stats
from bot.services import checkins
from bot.services.checkin_prompt import open_checkin
from bot.services.context import NOT_SET_UP, rehab_day, today_of
from bot.services.dialogs import clear_dialog, get_dialog, set_dialog
from bot.services.history import load_days
from bot.services.outgoing_checkin import checkin_buttons, day_code, plan_morning_question
from bot.services.planner import cancel_pending, upsert_message
from bot.services.users import get_user
from handlers.common import (
    Context,
    answer_query,
    chunk,
    edit_or_reply,
    keyboard,
    render,
    reply,
    run_use_case,
    services,
)
from handlers.router import Incoming, register_legacy_flow

FLOW = "checkin"
NOTE_MAX = 1000
SNOOZE_MINUTES = (30, 60, 180)


def _text() -> object:
    return load_checkin_text()


def _rng() -> random.Random:
    return random.Random()


def _parse_day(code: str) -> date | None:
    try:
        return datetime.strptime(code, "%Y%m%d").date()
    except ValueError:
        return None


def _delay_words(minutes: int) -> str:
    return (
        f"{minutes} minutes"
        if minutes < 60
        else ("1 hour" if minutes == 60 else f"{minutes // 60} hours")
    )


def pain_keyboard(day: date) -> list[list[tuple[str, str]]]:
    d = day_code(day)
    return chunk([(str(n), f"ci:{d}:p:{n}") for n in range(11)], 6)


async def _injury_phrase(session: AsyncSession, user: User) -> str:
    from bot.domain.content import load_exercise_templates

    profile = await session.get(RehabProfile, user.id)
    if profile is None:
        return "injury"
    try:
        return load_exercise_templates().area(profile.injury_area).phrase
    except KeyError:
        return "injury"


# --- /checkin and /today ---------------------------------------------------------------------


async def checkin_command(update: Update, context: Context) -> None:
    assert update.effective_user
    outcome = await run_use_case(
        context, open_checkin, update.effective_user.id, services(context).clock.now()
    )
    await render(update, context, outcome)


async def today_command(update: Update, context: Context) -> None:
    svc = services(context)
    assert update.effective_user
    async with svc.sessions() as session:
        user = await get_user(session, update.effective_user.id)
        if user is None or not user.timezone:
            await reply(update, context, NOT_SET_UP)
            return
        today = today_of(user, svc.clock.now())
        days = await load_days(session, user, today - timedelta(days=27), today)
        checkin = await checkins.get_checkin(session, user.id, today)
        profile = await session.get(RehabProfile, user.id)
    await reply(update, context, render_today(user, profile, checkin, days, today))


def render_today(
    user: User,
    profile: RehabProfile | None,
    checkin: CheckIn | None,
    days: list,
    today: date,  # type: ignore[type-arg]
) -> str:
    if checkin is None or checkin.status == "missed":
        status = "Not logged yet. Send /checkin when you've done your exercises."
    elif checkin.status == "done":
        status = "All exercises done ✅"
    elif checkin.status == "partial":
        status = f"Some exercises done ({len(checkin.exercises_done)})"
    else:
        status = "Not today"
    if checkin is not None and checkin.pain is not None:
        status += f" · pain {checkin.pain}/10"
    lines = [
        f"Today (day {rehab_day(profile, today)} of your rehab): {status}",
        f"Streak: {stats.plural(stats.streak(days, today), 'day')}",
        f"Adherence: {stats.percent(stats.adherence(days, today, 7))} over 7 days, "
        f"{stats.percent(stats.adherence(days, today, 28))} over 28 days",
    ]
    if user.status == "paused":
        until = f" until {user.paused_until:%d %b}" if user.paused_until else ""
        lines.append(f"Reminders are paused{until}; paused days never break your streak. /resume")
    return "\n".join(lines)


# --- buttons --------------------------------------------------------------------------------


class Press(NamedTuple):
    """One press of a check-in button: who pressed (from Telegram, never from the button),
    for which day, with which argument, in which transaction."""

    update: Update
    context: Context
    session: AsyncSession
    user: User
    day: date
    arg: str | None
    now: datetime


async def on_checkin_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_user
    parts = query.data.split(":")
    day = _parse_day(parts[1]) if len(parts) >= 3 else None
    action, arg = (parts[2], parts[3] if len(parts) > 3 else None) if day else ("", None)
    svc = services(context)
    text = load_checkin_text()
    async with svc.sessions() as session:
        user = await get_user(session, update.effective_user.id)
        now = svc.clock.now()
        if user is None or day is None or not user.timezone:
            await answer_query(update, "That check-in is closed.")
            return
        if day != today_of(user, now):
            await answer_query(update, text.pick("closed", _rng()), alert=True)
            return
        press = Press(update, context, session, user, day, arg, now)
        await _CHECKIN_ACTIONS.get(action, _unknown)(press)
        await session.commit()


async def _unknown(press: Press) -> None:
    await answer_query(press.update, "That button has expired.")


async def _ask_pain(update: Update, context: Context, lead: str, day: date) -> None:
    text = load_checkin_text()
    await edit_or_reply(
        update, context, f"{lead}\n\n{text.pick('ask_pain', _rng())}", keyboard(pain_keyboard(day))
    )


async def _done(press: Press) -> None:
    plan = await checkins.plan_exercises(press.session, press.user.id)
    await checkins.record(
        press.session,
        press.user,
        press.day,
        press.now,
        status="done",
        exercises_done=[e.name for e in plan],
    )
    await clear_dialog(press.session, press.user.id)
    await cancel_pending(press.session, press.user.id, (MessageKind.FOLLOWUP, MessageKind.SNOOZE))
    await answer_query(press.update)
    text = load_checkin_text()
    lead = text.render(
        "done_all",
        _rng(),
        first_name=press.user.first_name,
        injury=await _injury_phrase(press.session, press.user),
    )
    await _ask_pain(press.update, press.context, lead, press.day)


def _toggle_rows(plan: list, selected: set[int], day: date) -> list[list[tuple[str, str]]]:  # type: ignore[type-arg]
    d = day_code(day)
    rows = [[(("✅ " if e.id in selected else "▫️ ") + e.name, f"ci:{d}:t:{e.id}")] for e in plan]
    rows.append([(load_checkin_text().button("done"), f"ci:{d}:ok")])
    return rows


async def _some(press: Press) -> None:
    plan = await checkins.plan_exercises(press.session, press.user.id)
    await answer_query(press.update)
    if not plan:
        await _done(press._replace(arg=None))
        return
    await set_dialog(
        press.session,
        press.user.id,
        FLOW,
        "which",
        {"day": press.day.isoformat(), "selected": []},
        press.now,
    )
    await edit_or_reply(
        press.update,
        press.context,
        load_checkin_text().pick("ask_which", _rng()),
        keyboard(_toggle_rows(plan, set(), press.day)),
    )


async def _toggle(press: Press) -> None:
    dialog = await get_dialog(press.session, press.user.id)
    plan = await checkins.plan_exercises(press.session, press.user.id)
    if (
        dialog is None
        or dialog.flow != FLOW
        or dialog.step != "which"
        or not press.arg
        or not press.arg.isdigit()
    ):
        await answer_query(press.update, "That list is closed. Send /checkin to log again.")
        return
    exercise_id = int(press.arg)
    if exercise_id not in {e.id for e in plan}:
        await answer_query(press.update, "That exercise is no longer in your plan.")
        return
    selected = set(dialog.data.get("selected", []))
    selected ^= {exercise_id}
    await set_dialog(
        press.session,
        press.user.id,
        FLOW,
        "which",
        {"day": press.day.isoformat(), "selected": sorted(selected)},
        press.now,
    )
    await answer_query(press.update)
    await edit_or_reply(
        press.update,
        press.context,
        load_checkin_text().pick("ask_which"),
        keyboard(_toggle_rows(plan, selected, press.day)),
    )


async def _confirm_some(press: Press) -> None:
    dialog = await get_dialog(press.session, press.user.id)
    if dialog is None or dialog.flow != FLOW or dialog.step != "which":
        await answer_query(press.update, "Already saved.")
        return
    plan = await checkins.plan_exercises(press.session, press.user.id)
    selected = set(dialog.data.get("selected", []))
    names = [e.name for e in plan if e.id in selected]
    if not names:
        await answer_query(
            press.update,
            "Tap at least one exercise, or go back and choose “Not today”.",
            alert=True,
        )
        return
    status = "done" if len(names) == len(plan) else "partial"
    await checkins.record(
        press.session, press.user, press.day, press.now, status=status, exercises_done=names
    )
    await clear_dialog(press.session, press.user.id)
    await cancel_pending(press.session, press.user.id, (MessageKind.FOLLOWUP, MessageKind.SNOOZE))
    await answer_query(press.update)
    text = load_checkin_text()
    key = "done_all" if status == "done" else "did_some"
    lead = text.render(
        key,
        _rng(),
        first_name=press.user.first_name,
        injury=await _injury_phrase(press.session, press.user),
    )
    await _ask_pain(press.update, press.context, lead, press.day)


async def _not_today(press: Press) -> None:
    text = load_checkin_text()
    d = day_code(press.day)
    rows = chunk([(r.label, f"ci:{d}:r:{r.id}") for r in text.not_today], 2)
    await answer_query(press.update)
    await edit_or_reply(
        press.update,
        press.context,
        text.render("ask_reason", _rng(), first_name=press.user.first_name),
        keyboard(rows),
    )


async def _reason(press: Press) -> None:
    text = load_checkin_text()
    if press.arg not in {r.id for r in text.not_today}:
        await answer_query(press.update, "That button has expired.")
        return
    existing = await checkins.get_checkin(press.session, press.user.id, press.day)
    await answer_query(press.update)
    if existing is not None and existing.status == "skipped" and existing.skip_reason == press.arg:
        return  # a double press: already recorded
    await checkins.record(
        press.session, press.user, press.day, press.now, status="skipped", skip_reason=press.arg
    )
    await clear_dialog(press.session, press.user.id)
    await cancel_pending(press.session, press.user.id, (MessageKind.FOLLOWUP, MessageKind.SNOOZE))
    response = text.render_reason(
        press.arg,
        _rng(),
        first_name=press.user.first_name,
        injury=await _injury_phrase(press.session, press.user),
    )
    await edit_or_reply(press.update, press.context, response)


async def _later(press: Press) -> None:
    d = day_code(press.day)
    rows = [
        [(_delay_words(m).replace(" minutes", " min"), f"ci:{d}:z:{m}") for m in SNOOZE_MINUTES]
    ]
    await answer_query(press.update)
    await edit_or_reply(press.update, press.context, "When should I ask again?", keyboard(rows))


async def _snooze(press: Press) -> None:
    if press.arg is None or not press.arg.isdigit() or int(press.arg) not in SNOOZE_MINUTES:
        await answer_query(press.update, "That button has expired.")
        return
    assert press.user.timezone
    minutes = int(press.arg)
    due = press.now + timedelta(minutes=minutes)
    await answer_query(press.update)
    if local_date(due, press.user.timezone) != press.day or in_quiet_hours(
        due, press.user.timezone, press.user.quiet_start, press.user.quiet_end
    ):
        await edit_or_reply(
            press.update,
            press.context,
            "That would land in your quiet hours, so I won't ping you then. "
            "Send /checkin whenever you're ready today.",
        )
        return
    planned = await upsert_message(
        press.session,
        user_id=press.user.id,
        kind=MessageKind.SNOOZE,
        day=press.day,
        due_at=due,
        now=press.now,
    )
    if planned is None:  # an earlier snooze already went out today: reuse its row
        from sqlalchemy import select

        row = (
            await press.session.execute(
                select(ScheduledMessage).where(
                    ScheduledMessage.user_id == press.user.id,
                    ScheduledMessage.kind == MessageKind.SNOOZE,
                    ScheduledMessage.local_date == press.day,
                )
            )
        ).scalar_one()
        row.status, row.due_at, row.attempts = "pending", due, 0
    await cancel_pending(press.session, press.user.id, (MessageKind.FOLLOWUP,))
    await edit_or_reply(
        press.update,
        press.context,
        load_checkin_text().render("snooze_ack", _rng(), delay=_delay_words(minutes)),
    )


async def _pain(press: Press) -> None:
    checkin = await checkins.get_checkin(press.session, press.user.id, press.day)
    if press.arg is None or not press.arg.isdigit() or not 0 <= int(press.arg) <= 10:
        await answer_query(press.update, "That button has expired.")
        return
    if checkin is None or checkin.status not in ("done", "partial"):
        await answer_query(press.update, "Log today's exercises first with /checkin.")
        return
    pain = int(press.arg)
    await answer_query(press.update)
    if checkin.pain == pain and checkin.updated_at == press.now:
        return  # a double press
    checkin.pain = pain
    checkin.updated_at = press.now
    text = load_checkin_text()
    parts = [
        text.render(
            f"pain_response.{pain_model.band(pain)}",
            _rng(),
            first_name=press.user.first_name,
            injury=await _injury_phrase(press.session, press.user),
        )
    ]
    if pain > 0:
        await plan_morning_question(press.session, press.user, press.day, press.now)
    await press.session.flush()
    if pain_model.rising(await checkins.recent_pains(press.session, press.user.id, press.day)):
        parts.append(text.render("rising_pain_warning", _rng(), first_name=press.user.first_name))
    await _after_pain_hooks(press.session, press.user, checkin, press.now)
    await edit_or_reply(
        press.update, press.context, f"Pain during exercise: {pain}/10\n\n" + "\n\n".join(parts)
    )
    await set_dialog(
        press.session, press.user.id, FLOW, "note", {"day": press.day.isoformat()}, press.now
    )
    d = day_code(press.day)
    await reply(
        press.update,
        press.context,
        text.pick("ask_note", _rng()),
        keyboard([[(text.button("skip"), f"ci:{d}:nonote")]]),
    )


async def _after_pain_hooks(
    session: AsyncSession, user: User, checkin: CheckIn, now: datetime
) -> None:
    """Adaptive nudges (pain flare, milestones) react to a completed check-in."""
    from bot.services import nudge_triggers

    await nudge_triggers.on_checkin(session, user, checkin, now)


async def _skip_note(press: Press) -> None:
    dialog = await get_dialog(press.session, press.user.id)
    await answer_query(press.update)
    if dialog is not None and dialog.flow == FLOW:
        await clear_dialog(press.session, press.user.id)
        await edit_or_reply(press.update, press.context, "OK, no note today. See you tomorrow!")


async def _update_today(press: Press) -> None:
    await answer_query(press.update)
    profile = await press.session.get(RehabProfile, press.user.id)
    prompt = load_checkin_text().render(
        "prompt",
        _rng(),
        first_name=press.user.first_name,
        day=rehab_day(profile, press.day),
        injury=await _injury_phrase(press.session, press.user),
    )
    await edit_or_reply(press.update, press.context, prompt, keyboard(checkin_buttons(press.day)))


async def _keep_today(press: Press) -> None:
    await answer_query(press.update)
    await edit_or_reply(press.update, press.context, "Kept as it was. /today shows your status.")


_CHECKIN_ACTIONS = {
    "done": _done,
    "some": _some,
    "t": _toggle,
    "ok": _confirm_some,
    "no": _not_today,
    "r": _reason,
    "later": _later,
    "z": _snooze,
    "p": _pain,
    "nonote": _skip_note,
    "upd": _update_today,
    "keep": _keep_today,
}


# --- the note step (free text while in the check-in flow) ------------------------------------


async def on_note_text(
    update: Update,
    context: Context,
    session: AsyncSession,
    user: User,
    dialog: Dialog,
    incoming: Incoming,
) -> None:
    svc = services(context)
    now = svc.clock.now()
    if dialog.step != "note":
        await reply(update, context, "Tap the exercises you did above, then Done. Or /cancel.")
        return
    if incoming.text is None:
        await reply(
            update, context, "I can only save a typed note. Type a few words, or tap Skip above."
        )
        return
    note = incoming.text.strip()
    if not note:
        await reply(update, context, "That note looks empty. Type a few words, or tap Skip above.")
        return
    if len(note) > NOTE_MAX:
        await reply(
            update,
            context,
            f"That note is {len(note)} characters; please keep it under {NOTE_MAX}. "
            "Try a shorter version.",
        )
        return
    day = date.fromisoformat(dialog.data["day"])
    checkin = await checkins.get_checkin(session, user.id, day)
    await clear_dialog(session, user.id)
    if checkin is None or today_of(user, now) != day:
        await reply(update, context, load_checkin_text().pick("closed"))
        return
    checkin.note = note
    checkin.updated_at = now
    await reply(update, context, load_checkin_text().pick("note_saved", _rng()))


# --- the next-morning question ---------------------------------------------------------------


async def on_morning_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_user
    parts = query.data.split(":")
    about = _parse_day(parts[1]) if len(parts) == 3 else None
    answer = parts[2] if len(parts) == 3 else ""
    svc = services(context)
    text = load_checkin_text()
    async with svc.sessions() as session:
        user = await get_user(session, update.effective_user.id)
        now = svc.clock.now()
        if (
            user is None
            or about is None
            or answer not in ("better", "same", "worse")
            or not user.timezone
        ):
            await answer_query(update, "That question is closed.")
            return
        today = today_of(user, now)
        checkin = await checkins.get_checkin(session, user.id, about)
        if checkin is None or not (about < today <= about + timedelta(days=2)):
            await answer_query(update, "That question is closed.", alert=True)
            return
        await answer_query(update)
        if checkin.morning_response is not None:
            return  # answered already (double press)
        checkin.morning_response = answer
        checkin.updated_at = now
        from bot.services import nudge_triggers

        await nudge_triggers.on_morning_response(session, user, checkin, now)
        injury = await _injury_phrase(session, user)
        await session.commit()
    reply_text = text.render(
        f"morning_response.{answer}", _rng(), first_name=user.first_name, injury=injury
    )
    await edit_or_reply(update, context, reply_text)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("checkin", checkin_command))
    app.add_handler(CommandHandler("today", today_command))
    app.add_handler(CallbackQueryHandler(on_checkin_button, pattern=r"^ci:"))
    app.add_handler(CallbackQueryHandler(on_morning_button, pattern=r"^mo:"))
    register_legacy_flow(FLOW, on_note_text)
