"""/settings: change check-in time, time zone, PT schedule, injury area, nudges, quiet hours.

Each change is one short exchange kept in the ``dialogs`` table (flow "settings"); a change
that moves the timing of messages re-plans the schedule at once (in ``bot.services.profile``),
so the very next check-in already follows it.
"""

from __future__ import annotations

import logging
from datetime import datetime, time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import ReplyKeyboardRemove, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.db.models import Dialog, User
from bot.domain.content import load_exercise_templates
from bot.domain.parsing import InputError, parse_int_in_range, parse_time_of_day, parse_weekdays
from bot.domain.timezones import describe_local_time
from bot.services import profile as profile_service
from bot.services.dialogs import clear_dialog, get_dialog, set_dialog
from bot.services.users import get_user
from handlers.common import (
    Button,
    Context,
    button_handler,
    edit_or_reply,
    keyboard,
    reply,
    services,
)
from handlers.onboarding import (
    CHECKIN_TIMES,
    MAX_OTHER_AREA,
    PT_TIMES,
    area_buttons,
    area_label,
    candidate_buttons,
    describe_pt,
    describe_weekdays,
    location_keyboard,
    pt_count_buttons,
    resolve_zone,
    send_plain,
    time_buttons,
    time_from_data,
    weekday_buttons,
)
from handlers.onboarding_text import button, describe_when, hhmm, t
from handlers.router import Incoming, register_legacy_flow

log = logging.getLogger(__name__)

FLOW = "settings"
QUIET_STARTS = (time(20), time(21), time(22), time(23))
QUIET_ENDS = (time(6), time(7), time(8), time(9))
MENU = ("ct", "tz", "pt", "area", "nudge", "quiet")
# Button action -> the settings step it answers; pressed at another step it is out of date.
ACTION_STEPS = {
    "ct": "ct",
    "tz": "tz",
    "pt": "pt_count",
    "ptd": "pt_days",
    "ptt": "pt_time",
    "area": "area",
    "qs": "quiet_start",
    "qe": "quiet_end",
}


def _is_set_up(user: User | None) -> bool:
    return user is not None and user.status in ("active", "paused", "blocked")


def _nudge_word(cadence: str) -> str:
    return t(f"settings.nudges_{cadence}") if cadence in ("off", "low", "normal") else cadence


async def menu_text(session: AsyncSession, user: User) -> str:
    profile = await profile_service.get_profile(session, user.id)
    pt = (
        describe_pt(
            profile.pt_sessions_per_week,
            list(profile.pt_weekdays or []),
            hhmm(profile.pt_time) if profile.pt_time else None,
        )
        if profile is not None
        else t("pt.none")
    )
    return t(
        "settings.menu",
        checkin_time=hhmm(user.checkin_time) if user.checkin_time else "-",
        timezone=user.timezone or "-",
        pt=pt,
        area=area_label(profile.injury_area, profile.injury_other) if profile else "-",
        nudges=_nudge_word(user.nudge_cadence),
        quiet_start=hhmm(user.quiet_start),
        quiet_end=hhmm(user.quiet_end),
    )


def menu_buttons() -> list[list[Button]]:
    labels = {
        "ct": "set_checkin",
        "tz": "set_timezone",
        "pt": "set_pt",
        "area": "set_area",
        "nudge": "set_nudges",
        "quiet": "set_quiet",
    }
    items = [(button(labels[key]), f"st:m:{key}") for key in MENU]
    return [items[0:2], items[2:4], items[4:6], [(button("set_close"), "st:close")]]


async def settings_command(update: Update, context: Context) -> None:
    tg_user = update.effective_user
    if tg_user is None:
        return
    async with services(context).sessions() as session:
        user = await get_user(session, tg_user.id)
        if not _is_set_up(user):
            await _not_set_up(update, context, user)
            return
        assert user is not None
        await clear_dialog(session, user.id)
        await reply(update, context, await menu_text(session, user), keyboard(menu_buttons()))
        await session.commit()


async def _not_set_up(update: Update, context: Context, user: User | None) -> None:
    if user is None:
        await reply(update, context, t("start.not_set_up"))
        return
    await reply(update, context, t("start.finish_first") + " /start")


async def _ask(
    update: Update, context: Context, step: str, data: dict[str, Any], prefix: str | None = None
) -> None:
    rows: list[list[Button]] = []
    if step == "ct":
        text, rows = t("checkin_time.ask"), time_buttons("st:ct", CHECKIN_TIMES)
    elif step == "tz":
        body = t("timezone.ask")
        await send_plain(
            update, context, f"{prefix}\n\n{body}" if prefix else body, location_keyboard()
        )
        return
    elif step == "pt_count":
        text, rows = t("pt.ask_count"), pt_count_buttons("st:pt")
    elif step == "pt_days":
        text, rows = t("pt.ask_days"), weekday_buttons("st:ptd", data.get("ptd", []))
    elif step == "pt_time":
        text = t("pt.ask_time")
        rows = [*time_buttons("st:ptt", PT_TIMES), [(button("skip"), "st:ptt:skip")]]
    elif step == "area":
        text, rows = t("area.ask"), area_buttons("st:area")
    elif step == "area_other":
        text = t("area.ask_other")
    elif step == "quiet_start":
        text, rows = t("settings.ask_quiet_start"), time_buttons("st:qs", QUIET_STARTS)
    elif step == "quiet_end":
        text, rows = t("settings.ask_quiet_end"), time_buttons("st:qe", QUIET_ENDS)
    else:
        text = t("settings.use_buttons")
    if prefix:
        text = f"{prefix}\n\n{text}"
    await reply(update, context, text, keyboard(rows) if rows else None)


async def _goto(
    update: Update,
    context: Context,
    session: AsyncSession,
    user: User,
    step: str,
    data: dict[str, Any],
    prefix: str | None = None,
) -> None:
    await set_dialog(session, user.id, FLOW, step, data, services(context).clock.now())
    await _ask(update, context, step, data, prefix)


# --- saving --------------------------------------------------------------------------------


async def _when(session: AsyncSession, user: User, now: datetime) -> str:
    due = await profile_service.next_checkin_due(session, user.id)
    return describe_when(due, user.timezone or "UTC", now)


async def _save_time(
    update: Update, context: Context, session: AsyncSession, user: User, value: time
) -> None:
    svc = services(context)
    now = svc.clock.now()
    await profile_service.set_checkin_time(session, user, value, now, svc.settings)
    await clear_dialog(session, user.id)
    log.info("check-in time changed", extra={"user_id": user.id})
    await reply(
        update,
        context,
        t("settings.saved_time", time=hhmm(value), when=await _when(session, user, now)),
    )


async def _save_zone(
    update: Update, context: Context, session: AsyncSession, user: User, zone: str, note: str | None
) -> None:
    svc = services(context)
    now = svc.clock.now()
    await profile_service.set_timezone(session, user, zone, now, svc.settings)
    await clear_dialog(session, user.id)
    log.info("time zone changed", extra={"user_id": user.id})
    text = t(
        "settings.saved_timezone",
        local=describe_local_time(zone, now),
        when=await _when(session, user, now),
    )
    await send_plain(update, context, f"{text}\n\n{note}" if note else text, ReplyKeyboardRemove())


async def _save_pt(
    update: Update, context: Context, session: AsyncSession, user: User, data: dict[str, Any]
) -> None:
    svc = services(context)
    ptt = data.get("ptt")
    await profile_service.set_pt_schedule(
        session,
        user,
        data.get("ptn", 0),
        data.get("ptd", []),
        time.fromisoformat(ptt) if ptt else None,
        svc.clock.now(),
        svc.settings,
    )
    await clear_dialog(session, user.id)
    await reply(
        update,
        context,
        t("settings.saved_pt", pt=describe_pt(data.get("ptn", 0), data.get("ptd", []), ptt)),
    )


async def _save_area(
    update: Update,
    context: Context,
    session: AsyncSession,
    user: User,
    area: str,
    other: str | None,
) -> None:
    await profile_service.set_injury_area(session, user, area, other, services(context).clock.now())
    await clear_dialog(session, user.id)
    await reply(update, context, t("settings.saved_area", area=area_label(area, other)))


async def _save_quiet(
    update: Update,
    context: Context,
    session: AsyncSession,
    user: User,
    data: dict[str, Any],
    end: time,
) -> None:
    svc = services(context)
    start = time.fromisoformat(data["qs"])
    if start == end:
        raise InputError(t("settings.quiet_same"))
    await profile_service.set_quiet_hours(session, user, start, end, svc.clock.now(), svc.settings)
    await clear_dialog(session, user.id)
    await reply(update, context, t("settings.saved_quiet", start=hhmm(start), end=hhmm(end)))


# --- typed answers -------------------------------------------------------------------------


async def on_message(
    update: Update,
    context: Context,
    session: AsyncSession,
    user: User,
    dialog: Dialog,
    incoming: Incoming,
) -> None:
    data = dict(dialog.data or {})
    step = dialog.step
    try:
        if step == "ct":
            await _save_time(update, context, session, user, parse_time_of_day(incoming.text))
        elif step == "tz":
            resolution = resolve_zone(incoming)
            if resolution.confident:
                await _save_zone(
                    update, context, session, user, resolution.best.zone, resolution.note
                )
            else:
                data["cands"] = [m.zone for m in resolution.matches]
                await set_dialog(session, user.id, FLOW, "tz", data, services(context).clock.now())
                await reply(
                    update,
                    context,
                    resolution.note or t("timezone.ask"),
                    keyboard(candidate_buttons("st:tz", resolution.matches)),
                )
        elif step == "pt_count":
            data["ptn"] = parse_int_in_range(incoming.text, 0, 7, "the number of sessions a week")
            await _after_count(update, context, session, user, data)
        elif step == "pt_days":
            data["ptd"] = sorted(parse_weekdays(incoming.text))
            await _goto(update, context, session, user, "pt_time", data)
        elif step == "pt_time":
            data["ptt"] = hhmm(parse_time_of_day(incoming.text))
            await _save_pt(update, context, session, user, data)
        elif step == "area_other":
            text = " ".join((incoming.text or "").split())
            if not text:
                raise InputError(t("area.other_not_text"))
            if len(text) > MAX_OTHER_AREA:
                raise InputError(t("area.other_too_long", length=len(text)))
            await _save_area(update, context, session, user, "other", text)
        elif step == "quiet_start":
            data["qs"] = hhmm(parse_time_of_day(incoming.text))
            await _goto(update, context, session, user, "quiet_end", data)
        elif step == "quiet_end":
            await _save_quiet(
                update, context, session, user, data, parse_time_of_day(incoming.text)
            )
        else:
            await _ask(update, context, step, data)
    except InputError as exc:
        log.info("settings answer rejected", extra={"user_id": user.id})
        await _ask(update, context, step, data, exc.message)


async def _after_count(
    update: Update, context: Context, session: AsyncSession, user: User, data: dict[str, Any]
) -> None:
    if data["ptn"] == 0:
        data["ptd"], data["ptt"] = [], None
        await _save_pt(update, context, session, user, data)
    else:
        await _goto(update, context, session, user, "pt_days", data)


# --- buttons -------------------------------------------------------------------------------


async def _handle(update: Update, context: Context, parts: list[str]) -> str | None:
    assert update.effective_user is not None
    svc = services(context)
    action = parts[1] if len(parts) > 1 else ""
    arg = parts[2] if len(parts) > 2 else ""
    async with svc.sessions() as session:
        user = await get_user(session, update.effective_user.id)
        if not _is_set_up(user):
            return t("start.not_set_up") if user is None else t("start.finish_first")
        assert user is not None
        toast = await _dispatch(update, context, session, user, action, arg)
        await session.commit()
        return toast


async def _dispatch(
    update: Update, context: Context, session: AsyncSession, user: User, action: str, arg: str
) -> str | None:
    svc = services(context)
    now = svc.clock.now()
    if action == "open":
        await clear_dialog(session, user.id)
        await reply(update, context, await menu_text(session, user), keyboard(menu_buttons()))
        return None
    if action == "close":
        await clear_dialog(session, user.id)
        await edit_or_reply(update, context, t("settings.closed"))
        return None
    if action == "m" and arg in MENU:
        if arg == "nudge":
            rows = [[(button(f"nudges_{c}"), f"st:nudge:{c}") for c in ("off", "low", "normal")]]
            await clear_dialog(session, user.id)
            await reply(update, context, t("settings.ask_nudges"), keyboard(rows))
            return None
        step = {"ct": "ct", "tz": "tz", "pt": "pt_count", "area": "area", "quiet": "quiet_start"}[
            arg
        ]
        await _goto(update, context, session, user, step, {})
        return None
    if action == "nudge":
        if arg not in profile_service.NUDGE_CADENCES:
            return t("common.stale")
        await profile_service.set_nudge_cadence(session, user, arg, now, svc.settings)
        await edit_or_reply(update, context, t("settings.saved_nudges", nudges=_nudge_word(arg)))
        return None
    dialog = await get_dialog(session, user.id)
    expected = ACTION_STEPS.get(action)
    allowed = {expected, "area_other"} if action == "area" else {expected}
    if dialog is None or dialog.flow != FLOW or expected is None or dialog.step not in allowed:
        return t("common.step_done")
    data = dict(dialog.data or {})
    return await _step_button(update, context, session, user, action, arg, data)


async def _step_button(
    update: Update,
    context: Context,
    session: AsyncSession,
    user: User,
    action: str,
    arg: str,
    data: dict[str, Any],
) -> str | None:
    if action in ("ct", "qs", "qe") or (action == "ptt" and arg != "skip"):
        chosen = time_from_data(arg)
        if chosen is None:
            return t("common.stale")
        if action == "ct":
            await edit_or_reply(update, context, t("checkin_time.chosen", time=hhmm(chosen)))
            await _save_time(update, context, session, user, chosen)
        elif action == "qs":
            data["qs"] = hhmm(chosen)
            await _goto(update, context, session, user, "quiet_end", data)
        elif action == "qe":
            try:
                await _save_quiet(update, context, session, user, data, chosen)
            except InputError as exc:
                return exc.message
        else:
            data["ptt"] = hhmm(chosen)
            await _save_pt(update, context, session, user, data)
    elif action == "ptt":
        data["ptt"] = None
        await _save_pt(update, context, session, user, data)
    elif action == "tz":
        cands = data.get("cands") or []
        if not arg.isdigit() or int(arg) >= len(cands):
            return t("timezone.picked_stale")
        await _save_zone(update, context, session, user, cands[int(arg)], None)
    elif action == "pt":
        if arg not in {"0", "1", "2", "3", "4"}:
            return t("common.stale")
        data["ptn"] = int(arg)
        await _after_count(update, context, session, user, data)
    elif action == "ptd":
        return await _pt_days(update, context, session, user, arg, data)
    elif action == "area":
        if arg not in load_exercise_templates().area_ids:
            return t("common.stale")
        if arg == "other":
            await _goto(update, context, session, user, "area_other", data)
        else:
            await _save_area(update, context, session, user, arg, None)
    return None


async def _pt_days(
    update: Update,
    context: Context,
    session: AsyncSession,
    user: User,
    arg: str,
    data: dict[str, Any],
) -> str | None:
    if arg == "skip":
        data["ptd"], data["ptt"] = [], None
        await _save_pt(update, context, session, user, data)
        return None
    if arg == "done":
        await edit_or_reply(
            update, context, t("pt.days_chosen", days=describe_weekdays(data.get("ptd", [])))
        )
        if data.get("ptd"):
            await _goto(update, context, session, user, "pt_time", data)
        else:
            data["ptt"] = None
            await _save_pt(update, context, session, user, data)
        return None
    if not arg.isdigit() or not 0 <= int(arg) <= 6:
        return t("common.stale")
    days = set(data.get("ptd", []))
    days.symmetric_difference_update({int(arg)})
    data["ptd"] = sorted(days)
    await set_dialog(session, user.id, FLOW, "pt_days", data, services(context).clock.now())
    await edit_or_reply(
        update, context, t("pt.ask_days"), keyboard(weekday_buttons("st:ptd", data["ptd"]))
    )
    return None


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("settings", settings_command))
    app.add_handler(CallbackQueryHandler(button_handler(_handle), pattern=r"^st:"))
    register_legacy_flow(FLOW, on_message)
