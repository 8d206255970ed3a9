"""/start and /cancel: the onboarding conversation that turns a first-time visitor into an
active user with a profile, a home-exercise plan and a daily check-in in their own time zone.

Where the user is lives in the ``dialogs`` table (flow "onboarding"), never in memory, so a
restart or another instance continues at the same step. Before the consent button is pressed
nothing at all is stored. Buttons carry only the step's answer ("ob:area:knee"); who pressed
them always comes from Telegram, and a button from a step already left changes nothing.

The keyboards and answer parsing here are shared with /settings, which asks the same
questions after onboarding.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.db.models import Dialog, User
from bot.domain.content import ExerciseTemplate, InjuryArea, load_exercise_templates
from bot.domain.parsing import (
    InputError,
    parse_exercise,
    parse_int_in_range,
    parse_stop_date,
    parse_time_of_day,
    parse_weekdays,
)
from bot.domain.timezones import (
    TimezoneMatch,
    TimezoneResolution,
    describe_local_time,
    resolve_location,
    resolve_timezone,
)
from bot.services.dialogs import clear_dialog, get_dialog, set_dialog
from bot.services.profile import MAX_EXERCISES, ExerciseDraft, OnboardingResult, finish_onboarding
from bot.services.users import create_user, get_user
from handlers.common import (
    Button,
    Context,
    button_handler,
    chunk,
    edit_or_reply,
    keyboard,
    reply,
    services,
)
from handlers.onboarding_text import (
    button,
    describe_exercise,
    describe_when,
    format_dose,
    hhmm,
    human_date,
    t,
)
from handlers.router import Incoming, register_legacy_flow

log = logging.getLogger(__name__)

FLOW = "onboarding"
CHECKIN_TIMES = (time(7), time(8), time(12), time(18), time(19), time(20))
PT_TIMES = (time(8), time(12), time(17), time(18))
WEEKDAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAX_OTHER_AREA = 80
STOP_BUTTONS = (("stop_today", 0), ("stop_few_days", 3), ("stop_week", 7))

ORDER = (
    "area",
    "stop",
    "pt_count",
    "pt_days",
    "pt_time",
    "exercises",
    "checkin_time",
    "timezone",
    "summary",
)
# Which steps a button action belongs to: pressed at any other step, it is out of date.
ACTION_STEPS: dict[str, frozenset[str]] = {
    "area": frozenset({"area", "area_other"}),
    "stop": frozenset({"stop"}),
    "pt": frozenset({"pt_count"}),
    "ptd": frozenset({"pt_days"}),
    "ptt": frozenset({"pt_time"}),
    "ex": frozenset({"exercises"}),
    "ct": frozenset({"checkin_time"}),
    "tz": frozenset({"timezone"}),
    "chg": frozenset({"summary"}),
    "done": frozenset({"summary"}),
}
CHANGE_TARGETS = {
    "area": "area",
    "stop": "stop",
    "pt": "pt_count",
    "ex": "exercises",
    "ct": "checkin_time",
    "tz": "timezone",
}


# --- shared keyboards and parsing (also used by /settings) ----------------------------------


def area_buttons(prefix: str) -> list[list[Button]]:
    catalog = load_exercise_templates()
    buttons = [
        (button("other") if area.id == "other" else area.label, f"{prefix}:{area.id}")
        for area in catalog.areas
    ]
    return chunk(buttons, 2)


def area_label(area_id: str | None, other: str | None) -> str:
    if area_id is None:
        return "-"
    if area_id == "other":
        return other or button("other")
    try:
        return load_exercise_templates().area(area_id).label
    except KeyError:
        return area_id


def time_buttons(prefix: str, times: tuple[time, ...]) -> list[list[Button]]:
    return chunk([(hhmm(v), f"{prefix}:{v.hour:02d}{v.minute:02d}") for v in times], 3)


def time_from_data(raw: str) -> time | None:
    """The "0730" of a time button; None if it was tampered with."""
    if len(raw) != 4 or not raw.isdigit() or int(raw[:2]) > 23 or int(raw[2:]) > 59:
        return None
    return time(int(raw[:2]), int(raw[2:]))


def pt_count_buttons(prefix: str) -> list[list[Button]]:
    return [[(str(n) if n < 4 else "4+", f"{prefix}:{n}") for n in range(5)]]


def weekday_buttons(prefix: str, selected: list[int]) -> list[list[Button]]:
    days = [
        (("✅ " if i in selected else "") + label, f"{prefix}:{i}")
        for i, label in enumerate(WEEKDAY_LABELS)
    ]
    return [
        *chunk(days, 4),
        [(button("done"), f"{prefix}:done"), (button("skip"), f"{prefix}:skip")],
    ]


def describe_weekdays(days: list[int]) -> str:
    return ", ".join(WEEKDAY_LABELS[d] for d in sorted(days)) or t("pt.none")


def describe_pt(count: int, days: list[int], at: str | None) -> str:
    if count <= 0:
        return t("pt.none")
    parts = [t("pt.count_word", count=count)]
    if days:
        parts.append(describe_weekdays(days))
    if at:
        parts.append(at)
    return ", ".join(parts)


def location_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(t("timezone.share_button"), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


async def send_plain(update: Update, context: Context, text: str, markup: Any) -> None:
    """For reply keyboards (location request, removal), which ``reply`` does not take."""
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_message(chat.id, text, reply_markup=markup)


def resolve_zone(incoming: Incoming) -> TimezoneResolution:
    """A shared location or typed place into a zone or candidates; InputError otherwise."""
    if incoming.location is not None:
        zone = resolve_location(*incoming.location)
        if zone is None:
            raise InputError(t("timezone.not_found_location"))
        return TimezoneResolution((TimezoneMatch(zone, zone, 100.0),), True)
    if incoming.text is None:
        raise InputError(t("timezone.not_text"))
    return resolve_timezone(incoming.text)


def candidate_buttons(prefix: str, matches: tuple[TimezoneMatch, ...]) -> list[list[Button]]:
    return [[(m.label[:60], f"{prefix}:{i}")] for i, m in enumerate(matches)]


# --- the onboarding conversation -----------------------------------------------------------


def _area(data: dict[str, Any]) -> InjuryArea:
    return load_exercise_templates().area(data.get("area") or "other")


def _picked_templates(data: dict[str, Any]) -> list[ExerciseTemplate]:
    templates = _area(data).templates
    return [templates[i] for i in data.get("picks", []) if 0 <= i < len(templates)]


def _drafts(data: dict[str, Any]) -> list[ExerciseDraft]:
    drafts = [
        ExerciseDraft(tpl.name, tpl.sets, tpl.reps, tpl.seconds, tpl.per_side, tpl.id)
        for tpl in _picked_templates(data)
    ]
    drafts += [ExerciseDraft(**own) for own in data.get("own", [])]
    return drafts[:MAX_EXERCISES]


def _draft_label(draft: ExerciseDraft) -> str:
    return describe_exercise(
        draft.name, format_dose(draft.sets, draft.reps, draft.seconds, draft.per_side)
    )


def _set_stop(data: dict[str, Any], stop: date, today: date, *, relative: bool) -> None:
    """Store the stop date; a relative one also as days before today, to re-anchor it once
    the user's time zone is known (the time zone is asked later)."""
    data["stop"] = stop.isoformat()
    if relative and not data.get("tz"):
        data["stop_ago"] = (today - stop).days
    else:
        data.pop("stop_ago", None)


def _today(data: dict[str, Any], now: datetime, default_zone: str) -> date:
    from bot.domain.timing import local_date

    return local_date(now, data.get("tz") or default_zone)


def _exercises_prompt(data: dict[str, Any]) -> tuple[str, list[list[Button]]]:
    area = _area(data)
    catalog = load_exercise_templates()
    text = t("exercises.ask", area=area.phrase, note=catalog.note)
    picks = data.get("picks", [])
    rows: list[list[Button]] = [
        [(("✅ " if i in picks else "") + f"{tpl.name} · {tpl.dose}", f"ob:ex:t:{i}")]
        for i, tpl in enumerate(area.templates)
    ]
    for j, own in enumerate(data.get("own", [])):
        rows.append([("✅ " + _draft_label(ExerciseDraft(**own)), f"ob:ex:o:{j}")])
    rows.append([(button("add_own"), "ob:ex:add"), (button("confirm_plan"), "ob:ex:ok")])
    return text, rows


def _summary_text(data: dict[str, Any], now: datetime, default_zone: str) -> str:
    stop = date.fromisoformat(data["stop"])
    day = (_today(data, now, default_zone) - stop).days + 1
    drafts = _drafts(data)
    zone = data.get("tz") or default_zone
    lines = [
        t("summary.header"),
        "",
        t("summary.area", value=area_label(data.get("area"), data.get("other"))),
        t("summary.stop", value=human_date(stop), day=max(day, 1)),
        t(
            "summary.pt",
            value=describe_pt(data.get("ptn", 0), data.get("ptd", []), data.get("ptt")),
        ),
        t("summary.checkin", value=data.get("ct", "-")),
        t("summary.timezone", value=describe_local_time(zone, now)),
        t("summary.exercises"),
    ]
    lines += [f"• {_draft_label(d)}" for d in drafts] or [f"• {t('exercises.empty_plan')}"]
    return "\n".join(lines)


def _summary_buttons() -> list[list[Button]]:
    changes = [
        (button("change_area"), "ob:chg:area"),
        (button("change_stop"), "ob:chg:stop"),
        (button("change_pt"), "ob:chg:pt"),
        (button("change_exercises"), "ob:chg:ex"),
        (button("change_checkin"), "ob:chg:ct"),
        (button("change_timezone"), "ob:chg:tz"),
    ]
    return [*chunk(changes, 2), [(button("all_set"), "ob:done")]]


async def ask(
    update: Update, context: Context, step: str, data: dict[str, Any], prefix: str | None = None
) -> None:
    """Send the question of ``step``; ``prefix`` is a correction shown above it."""
    now = services(context).clock.now()
    default_zone = services(context).settings.schedule.default_timezone
    rows: list[list[Button]] = []
    if step == "area":
        text, rows = t("area.ask"), area_buttons("ob:area")
    elif step == "area_other":
        text = t("area.ask_other")
    elif step == "stop":
        text = t("stop.ask")
        rows = [[(button(key), f"ob:stop:{days}") for key, days in STOP_BUTTONS]]
    elif step == "pt_count":
        text, rows = t("pt.ask_count"), pt_count_buttons("ob:pt")
    elif step == "pt_days":
        text, rows = t("pt.ask_days"), weekday_buttons("ob:ptd", data.get("ptd", []))
    elif step == "pt_time":
        text = t("pt.ask_time")
        rows = [*time_buttons("ob:ptt", PT_TIMES), [(button("skip"), "ob:ptt:skip")]]
    elif step == "exercises":
        text, rows = _exercises_prompt(data)
    elif step == "checkin_time":
        text, rows = t("checkin_time.ask"), time_buttons("ob:ct", CHECKIN_TIMES)
    elif step == "timezone":
        body = f"{prefix}\n\n{t('timezone.ask')}" if prefix else t("timezone.ask")
        await send_plain(update, context, body, location_keyboard())
        return
    else:
        text, rows = _summary_text(data, now, default_zone), _summary_buttons()
    if prefix:
        text = f"{prefix}\n\n{text}"
    await reply(update, context, text, keyboard(rows) if rows else None)


def _next_step(done: str, data: dict[str, Any]) -> str:
    ptn = data.get("ptn", 0)
    if data.get("review"):
        if done == "area" and data.get("area_changed"):
            return "exercises"
        if done == "pt_count" and ptn > 0:
            return "pt_days"
        if done == "pt_days" and data.get("ptd"):
            return "pt_time"
        return "summary"
    index = ORDER.index(done) + 1
    while (ORDER[index] == "pt_days" and ptn == 0) or (
        ORDER[index] == "pt_time" and (ptn == 0 or not data.get("ptd"))
    ):
        index += 1
    return ORDER[index]


async def goto(
    update: Update,
    context: Context,
    session: AsyncSession,
    user: User,
    data: dict[str, Any],
    step: str,
    prefix: str | None = None,
) -> None:
    if step == "summary":
        data.pop("review", None)
        data.pop("area_changed", None)
    await set_dialog(session, user.id, FLOW, step, data, services(context).clock.now())
    await ask(update, context, step, data, prefix)


async def _advance(
    update: Update,
    context: Context,
    session: AsyncSession,
    user: User,
    data: dict[str, Any],
    done: str,
) -> None:
    await goto(update, context, session, user, data, _next_step(done, data))


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
    svc = services(context)
    try:
        if step == "area_other":
            text = (incoming.text or "").strip()
            if incoming.text is None or not text:
                raise InputError(t("area.other_not_text"))
            if len(text) > MAX_OTHER_AREA:
                raise InputError(t("area.other_too_long", length=len(text)))
            data["other"] = " ".join(text.split())
            await _chose_area(update, context, session, user, data, "other")
        elif step == "stop":
            today = _today(data, svc.clock.now(), svc.settings.schedule.default_timezone)
            stop = parse_stop_date(incoming.text, today)
            # "yesterday" or "3 weeks ago" moves with today; "10 November" does not (read
            # against tomorrow, a past calendar date stays where it is).
            try:
                relative = parse_stop_date(incoming.text, today + timedelta(days=1)) != stop
            except InputError:
                relative = False
            _set_stop(data, stop, today, relative=relative)
            await _advance(update, context, session, user, data, "stop")
        elif step == "pt_count":
            data["ptn"] = parse_int_in_range(incoming.text, 0, 7, "the number of sessions a week")
            _reset_pt(data)
            await _advance(update, context, session, user, data, "pt_count")
        elif step == "pt_days":
            data["ptd"] = sorted(parse_weekdays(incoming.text))
            await _advance(update, context, session, user, data, "pt_days")
        elif step == "pt_time":
            data["ptt"] = hhmm(parse_time_of_day(incoming.text))
            await _advance(update, context, session, user, data, "pt_time")
        elif step == "exercises":
            await _add_own(update, context, session, user, data, incoming)
        elif step == "checkin_time":
            data["ct"] = hhmm(parse_time_of_day(incoming.text))
            await _advance(update, context, session, user, data, "checkin_time")
        elif step == "timezone":
            await _typed_zone(update, context, session, user, data, incoming)
        elif step == "summary":
            await ask(update, context, "summary", data, t("summary.use_buttons"))
        else:  # "area": the answer is a button
            await ask(update, context, step, data, t("area.use_buttons"))
    except InputError as exc:
        log.info("onboarding answer rejected", extra={"user_id": user.id})
        await ask(update, context, step, data, exc.message)


def _reset_pt(data: dict[str, Any]) -> None:
    if data.get("ptn", 0) == 0:
        data["ptd"], data["ptt"] = [], None


async def _add_own(
    update: Update,
    context: Context,
    session: AsyncSession,
    user: User,
    data: dict[str, Any],
    incoming: Incoming,
) -> None:
    if incoming.text is None:
        raise InputError(t("exercises.not_text"))
    parsed = parse_exercise(incoming.text)
    if len(_drafts(data)) >= MAX_EXERCISES:
        raise InputError(t("exercises.too_many", max=MAX_EXERCISES))
    own = list(data.get("own", []))
    own.append(
        {
            "name": parsed.name,
            "sets": parsed.sets,
            "reps": parsed.reps,
            "seconds": parsed.seconds,
            "per_side": parsed.per_side,
        }
    )
    data["own"] = own
    label = _draft_label(ExerciseDraft(**own[-1]))
    await goto(
        update, context, session, user, data, "exercises", t("exercises.added", exercise=label)
    )


async def _typed_zone(
    update: Update,
    context: Context,
    session: AsyncSession,
    user: User,
    data: dict[str, Any],
    incoming: Incoming,
) -> None:
    resolution = resolve_zone(incoming)
    if resolution.confident:
        await _chose_zone(
            update, context, session, user, data, resolution.best.zone, resolution.note
        )
        return
    data["cands"] = [m.zone for m in resolution.matches]
    await set_dialog(session, user.id, FLOW, "timezone", data, services(context).clock.now())
    await reply(
        update,
        context,
        resolution.note or t("timezone.ask"),
        keyboard(candidate_buttons("ob:tz", resolution.matches)),
    )


async def _chose_zone(
    update: Update,
    context: Context,
    session: AsyncSession,
    user: User,
    data: dict[str, Any],
    zone: str,
    note: str | None = None,
) -> None:
    data["tz"] = zone
    data.pop("cands", None)
    if "stop_ago" in data:
        # The stop date was asked before the time zone and given relative to "today": count
        # it from the user's own today, which may differ from the default zone's by a day.
        today = _today(data, services(context).clock.now(), "UTC")
        data["stop"] = (today - timedelta(days=int(data["stop_ago"]))).isoformat()
    text = t("timezone.confirmed", local=describe_local_time(zone, services(context).clock.now()))
    await send_plain(update, context, f"{text}\n\n{note}" if note else text, ReplyKeyboardRemove())
    await _advance(update, context, session, user, data, "timezone")


async def _chose_area(
    update: Update,
    context: Context,
    session: AsyncSession,
    user: User,
    data: dict[str, Any],
    area: str,
) -> None:
    if data.get("area") != area:
        if data.get("area") is not None:
            data["area_changed"] = True
        data["picks"] = []
    data["area"] = area
    if area != "other":
        data["other"] = None
    await _advance(update, context, session, user, data, "area")


# --- buttons -------------------------------------------------------------------------------


async def _handle_callback(update: Update, context: Context, parts: list[str]) -> str | None:
    assert update.effective_user is not None
    svc = services(context)
    action = parts[1] if len(parts) > 1 else ""
    if action == "home":  # opens its own session: never nest one inside ours (SQLite locks)
        return await _home(update, context, parts[2] if len(parts) > 2 else "")
    async with svc.sessions() as session:
        user = await get_user(session, update.effective_user.id)
        if action in ("consent", "decline"):
            toast = await _consent(update, context, session, user, action == "consent")
            await session.commit()
            return toast
        dialog = await get_dialog(session, user.id) if user is not None else None
        if user is None or dialog is None or dialog.flow != FLOW:
            return t("common.step_done")
        if dialog.step not in ACTION_STEPS.get(action, frozenset()):
            return t("common.step_done")
        data = dict(dialog.data or {})
        toast = await _step_button(
            update, context, session, user, dialog.step, data, action, parts[2:]
        )
        await session.commit()
        return toast


async def _consent(
    update: Update, context: Context, session: AsyncSession, user: User | None, accepted: bool
) -> str | None:
    tg_user = update.effective_user
    chat = update.effective_chat
    assert tg_user is not None
    if not accepted:
        if user is None:
            await edit_or_reply(update, context, t("start.declined"))
        return None
    if user is not None:
        return t("done.already") if user.status != "onboarding" else t("common.step_done")
    svc = services(context)
    now = svc.clock.now()
    user = await create_user(
        session,
        telegram_id=tg_user.id,
        chat_id=chat.id if chat is not None else tg_user.id,
        first_name=tg_user.first_name or "",
        language=tg_user.language_code,
        now=now,
        settings=svc.settings,
    )
    log.info("consent given, onboarding started", extra={"user_id": user.id})
    await edit_or_reply(update, context, t("start.consent_given"))
    await goto(update, context, session, user, {}, "area")
    return None


async def _home(update: Update, context: Context, what: str) -> str | None:
    if what == "help":
        from handlers.help import HELP_TEXT

        await reply(update, context, HELP_TEXT)
        return None
    if what == "checkin":
        from handlers.checkin import checkin_command

        await checkin_command(update, context)
        return None
    return t("common.stale")


async def _step_button(
    update: Update,
    context: Context,
    session: AsyncSession,
    user: User,
    step: str,
    data: dict[str, Any],
    action: str,
    args: list[str],
) -> str | None:
    svc = services(context)
    now = svc.clock.now()
    arg = args[0] if args else ""
    if action == "area":
        catalog = load_exercise_templates()
        if arg not in catalog.area_ids:
            return t("common.stale")
        if arg == "other":
            await edit_or_reply(update, context, t("area.ask"))
            await goto(update, context, session, user, data, "area_other")
            return None
        await edit_or_reply(update, context, t("area.chosen", area=area_label(arg, None)))
        await _chose_area(update, context, session, user, data, arg)
    elif action == "stop":
        days = dict((str(d), d) for _, d in STOP_BUTTONS).get(arg)
        if days is None:
            return t("common.stale")
        today = _today(data, now, svc.settings.schedule.default_timezone)
        stop = today - timedelta(days=days)
        _set_stop(data, stop, today, relative=True)
        await edit_or_reply(update, context, t("stop.chosen", date=human_date(stop)))
        await _advance(update, context, session, user, data, "stop")
    elif action == "pt":
        if arg not in {"0", "1", "2", "3", "4"}:
            return t("common.stale")
        data["ptn"] = int(arg)
        _reset_pt(data)
        await edit_or_reply(
            update, context, t("pt.count_chosen", count="4+" if arg == "4" else arg)
        )
        await _advance(update, context, session, user, data, "pt_count")
    elif action == "ptd":
        return await _pt_days_button(update, context, session, user, data, arg)
    elif action == "ptt":
        if arg == "skip":
            data["ptt"] = None
        else:
            chosen = time_from_data(arg)
            if chosen is None:
                return t("common.stale")
            data["ptt"] = hhmm(chosen)
            await edit_or_reply(update, context, t("pt.time_chosen", time=data["ptt"]))
        await _advance(update, context, session, user, data, "pt_time")
    elif action == "ex":
        return await _exercise_button(update, context, session, user, data, args)
    elif action == "ct":
        chosen = time_from_data(arg)
        if chosen is None:
            return t("common.stale")
        data["ct"] = hhmm(chosen)
        await edit_or_reply(update, context, t("checkin_time.chosen", time=data["ct"]))
        await _advance(update, context, session, user, data, "checkin_time")
    elif action == "tz":
        cands = data.get("cands") or []
        if not arg.isdigit() or int(arg) >= len(cands):
            return t("timezone.picked_stale")
        await _chose_zone(update, context, session, user, data, cands[int(arg)])
    elif action == "chg":
        target = CHANGE_TARGETS.get(arg)
        if target is None:
            return t("common.stale")
        data["review"] = True
        await goto(update, context, session, user, data, target)
    elif action == "done":
        await _finish(update, context, session, user, data)
    return None


async def _pt_days_button(
    update: Update,
    context: Context,
    session: AsyncSession,
    user: User,
    data: dict[str, Any],
    arg: str,
) -> str | None:
    if arg in ("done", "skip"):
        if arg == "skip":
            data["ptd"], data["ptt"] = [], None
        await edit_or_reply(
            update, context, t("pt.days_chosen", days=describe_weekdays(data.get("ptd", [])))
        )
        await _advance(update, context, session, user, data, "pt_days")
        return None
    if not arg.isdigit() or not 0 <= int(arg) <= 6:
        return t("common.stale")
    days = set(data.get("ptd", []))
    days.symmetric_difference_update({int(arg)})
    data["ptd"] = sorted(days)
    await set_dialog(session, user.id, FLOW, "pt_days", data, services(context).clock.now())
    await edit_or_reply(
        update, context, t("pt.ask_days"), keyboard(weekday_buttons("ob:ptd", data["ptd"]))
    )
    return None


async def _exercise_button(
    update: Update,
    context: Context,
    session: AsyncSession,
    user: User,
    data: dict[str, Any],
    args: list[str],
) -> str | None:
    now = services(context).clock.now()
    kind = args[0] if args else ""
    if kind == "add":
        await reply(update, context, t("exercises.ask_add"))
        return None
    if kind == "ok":
        plan = ", ".join(_draft_label(d) for d in _drafts(data)) or t("exercises.empty_plan")
        await edit_or_reply(update, context, t("exercises.confirmed", plan=plan))
        await _advance(update, context, session, user, data, "exercises")
        return None
    index = int(args[1]) if len(args) > 1 and args[1].isdigit() else -1
    if kind == "t" and 0 <= index < len(_area(data).templates):
        picks = list(data.get("picks", []))
        if index in picks:
            picks.remove(index)
        elif len(_drafts(data)) >= MAX_EXERCISES:
            return t("exercises.too_many", max=MAX_EXERCISES)
        else:
            picks.append(index)
        data["picks"] = picks
    elif kind == "o" and 0 <= index < len(data.get("own", [])):
        own = list(data["own"])
        own.pop(index)
        data["own"] = own
    else:
        return t("common.stale")
    await set_dialog(session, user.id, FLOW, "exercises", data, now)
    text, rows = _exercises_prompt(data)
    await edit_or_reply(update, context, text, keyboard(rows))
    return None


async def _finish(
    update: Update, context: Context, session: AsyncSession, user: User, data: dict[str, Any]
) -> None:
    svc = services(context)
    now = svc.clock.now()
    zone = data.get("tz") or svc.settings.schedule.default_timezone
    ptt = data.get("ptt")
    result = OnboardingResult(
        injury_area=data.get("area") or "other",
        injury_other=data.get("other"),
        stopped_running_on=date.fromisoformat(data["stop"]),
        pt_sessions_per_week=data.get("ptn", 0),
        pt_weekdays=tuple(data.get("ptd", [])),
        pt_time=time.fromisoformat(ptt) if ptt else None,
        exercises=tuple(_drafts(data)),
        checkin_time=time.fromisoformat(data.get("ct") or "19:00"),
        timezone=zone,
    )
    due = await finish_onboarding(session, user, result, now, svc.settings)
    await clear_dialog(session, user.id)
    log.info("onboarding finished", extra={"user_id": user.id})
    await edit_or_reply(update, context, _summary_text(data, now, zone))
    await reply(
        update,
        context,
        t(
            "done.finished",
            first_name=user.first_name or "there",
            when=describe_when(due, zone, now),
        ),
    )


# --- commands ------------------------------------------------------------------------------


async def start_command(update: Update, context: Context) -> None:
    tg_user = update.effective_user
    chat = update.effective_chat
    if tg_user is None or chat is None or chat.type != "private":
        return
    svc = services(context)
    async with svc.sessions() as session:
        user = await get_user(session, tg_user.id)
        if user is None:
            # Nothing is stored until the consent button is pressed.
            await reply(
                update,
                context,
                t("start.welcome", first_name=tg_user.first_name or "there"),
                keyboard(
                    [[(button("consent"), "ob:consent")], [(button("decline"), "ob:decline")]]
                ),
            )
            return
        if user.status == "onboarding":
            await resume_onboarding(update, context, session, user, t("start.resume"))
        else:
            if user.status == "blocked":
                from handlers.membership import restore_user

                await restore_user(session, user, svc.clock.now(), svc.settings)
            await welcome_back(update, context, user)
        await session.commit()


async def resume_onboarding(
    update: Update, context: Context, session: AsyncSession, user: User, prefix: str
) -> None:
    """Ask the question of the step the user is at (from the database), or start again."""
    dialog = await get_dialog(session, user.id)
    if dialog is None or dialog.flow != FLOW:
        await goto(update, context, session, user, {}, "area", prefix)
        return
    await ask(update, context, dialog.step, dict(dialog.data or {}), prefix)


async def welcome_back(update: Update, context: Context, user: User) -> None:
    name = user.first_name or "there"
    if user.status == "paused":
        until = t("common.until", date=human_date(user.paused_until)) if user.paused_until else ""
        await reply(update, context, t("start.welcome_back_paused", first_name=name, until=until))
        return
    await reply(
        update,
        context,
        t(
            "start.welcome_back",
            first_name=name,
            checkin_time=hhmm(user.checkin_time) if user.checkin_time else "-",
            timezone=user.timezone or "-",
        ),
        keyboard(
            [
                [(button("review_settings"), "st:open")],
                [(button("check_in"), "ob:home:checkin"), (button("help"), "ob:home:help")],
            ]
        ),
    )


async def cancel_command(update: Update, context: Context) -> None:
    tg_user = update.effective_user
    if tg_user is None:
        return
    svc = services(context)
    async with svc.sessions() as session:
        user = await get_user(session, tg_user.id)
        dialog = await get_dialog(session, user.id) if user is not None else None
        if user is None or dialog is None:
            if user is not None and user.status == "onboarding":
                await reply(update, context, t("cancel.onboarding"))
            else:
                await reply(update, context, t("cancel.nothing"))
            return
        await clear_dialog(session, user.id)
        await session.commit()
        log.info("flow cancelled", extra={"user_id": user.id})
    text = t("cancel.onboarding") if dialog.flow == FLOW else t("cancel.flow")
    await send_plain(update, context, text, ReplyKeyboardRemove())


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("start", start_command))
    app.add_handler(CommandHandler("cancel", cancel_command))
    app.add_handler(CallbackQueryHandler(button_handler(_handle_callback), pattern=r"^ob:"))
    register_legacy_flow(FLOW, on_message)
