"""The /settings use cases: open the menu, each change (check-in time, time zone, PT
schedule, injury area, nudges, quiet hours), typed or by button. Each takes plain values,
does its database work in the caller's one transaction (a change that moves the timing of
messages re-plans the schedule at once, in ``bot.services.profile``, so the very next
check-in already follows it) and returns an ``Outcome``.

A change of several questions is kept in the ``dialogs`` table (flow "settings").
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import User
from bot.domain import callbacks
from bot.domain import onboarding as answers_of
from bot.domain.callbacks import ButtonFamily
from bot.domain.faq import FaqIndex
from bot.domain.onboarding import area_label, describe_pt, describe_weekdays
from bot.domain.parsing import InputError, parse_weekdays, read_menu_choice, read_typed_choice
from bot.domain.settings_flow import (
    ACTION_STEPS,
    FLOW,
    MENU,
    MENU_STEPS,
    REST_DAYS,
    SettingsDraft,
    SettingsStep,
    step_of,
)
from bot.domain.timezones import describe_local_time
from bot.domain.wording import button, describe_when, hhmm, t
from bot.services import faq, return_to_run
from bot.services import profile as profile_service
from bot.services import settings_views as views
from bot.services.context import Readiness, not_ready_text, readiness
from bot.services.dialogs import clear_dialog, get_dialog, set_dialog
from bot.services.outcome import Outcome, Reply
from bot.services.setup_views import candidate_buttons, frozen, resolve_zone, weekday_buttons
from bot.services.small_talk import step_small_talk
from bot.services.users import get_user

log = logging.getLogger(__name__)


def _out(*replies: Reply) -> Outcome:
    return Outcome(tuple(replies))


async def _ready_user(session: AsyncSession, telegram_id: int) -> tuple[User | None, Readiness]:
    user = await get_user(session, telegram_id)
    return user, readiness(user)


async def _menu(session: AsyncSession, user: User) -> Reply:
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
    text = t(
        "settings.menu",
        checkin_time=hhmm(user.checkin_time) if user.checkin_time else "-",
        timezone=user.timezone or "-",
        pt=pt,
        area=area_label(profile.injury_area, profile.injury_other) if profile else "-",
        nudges=views.nudge_word(user.nudge_cadence),
        quiet_start=hhmm(user.quiet_start),
        quiet_end=hhmm(user.quiet_end),
        rest_days=describe_weekdays(list(user.rest_weekdays or [])),
    )
    return Reply(text, views.menu_buttons())


async def open_menu(session: AsyncSession, telegram_id: int, now: datetime) -> Outcome:
    """/settings (and "Review settings" after /start): the menu; any change in progress ends.
    The menu is recorded as the user's step, so a choice typed as it reads works as a tap."""
    user, state = await _ready_user(session, telegram_id)
    if user is None or state is not Readiness.READY:
        return Outcome.say(not_ready_text(state))
    return _out(await _show_menu(session, user, now))


async def _show_menu(session: AsyncSession, user: User, now: datetime) -> Reply:
    await set_dialog(session, user.id, FLOW, SettingsStep.MENU, {}, now)
    return await _menu(session, user)


def _menu_labels() -> dict[str, str]:
    """What each menu button reads, by the action it stands for ("run": /running)."""
    labels = {key: button(views.MENU_LABELS[key]) for key in MENU}
    return {**labels, "run": button("set_running"), "close": button("set_close")}


def _nudge_labels() -> dict[str, str]:
    return {c: button(f"nudges_{c}") for c in profile_service.NUDGE_CADENCES}


async def _typed_menu_choice(
    session: AsyncSession,
    user: User,
    step: SettingsStep,
    text: str | None,
    now: datetime,
    settings: Settings,
) -> Outcome:
    """Text typed under the settings menu or the nudge choices: a choice's words work as its
    button; anything else closes the menu and comes back unhandled (no replies, unchanged),
    for whatever it would have been with no menu open (a question goes to the FAQ)."""
    labels = _menu_labels() if step is SettingsStep.MENU else _nudge_labels()
    choice = read_typed_choice(text, labels)
    if choice is None:
        await clear_dialog(session, user.id)
        return Outcome.nothing()
    if step is SettingsStep.NUDGES:
        return await press(session, user.telegram_id, "nudge", choice, now, settings)
    if choice == "run":
        await clear_dialog(session, user.id)
        return await return_to_run.open_running(session, user.telegram_id, now)
    if choice == "close":
        return await press(session, user.telegram_id, "close", "", now, settings)
    return await press(session, user.telegram_id, "m", choice, now, settings)


async def _goto(
    session: AsyncSession,
    user: User,
    step: SettingsStep,
    draft: SettingsDraft,
    now: datetime,
    prefix: str | None = None,
) -> Reply:
    await set_dialog(session, user.id, FLOW, step, draft.to_data(), now)
    return views.ask(step, draft, prefix)


# --- saving ---------------------------------------------------------------------------------


async def _when(session: AsyncSession, user: User, now: datetime) -> str:
    due = await profile_service.next_checkin_due(session, user.id)
    return describe_when(due, user.timezone or "UTC", now)


async def _save_time(
    session: AsyncSession, user: User, value: time, now: datetime, settings: Settings
) -> Reply:
    await profile_service.set_checkin_time(session, user, value, now, settings)
    await clear_dialog(session, user.id)
    log.info("check-in time changed", extra={"user_id": user.id})
    return Reply(t("settings.saved_time", time=hhmm(value), when=await _when(session, user, now)))


async def _save_zone(
    session: AsyncSession,
    user: User,
    zone: str,
    note: str | None,
    now: datetime,
    settings: Settings,
) -> Reply:
    await profile_service.set_timezone(session, user, zone, now, settings)
    await clear_dialog(session, user.id)
    log.info("time zone changed", extra={"user_id": user.id})
    text = t(
        "settings.saved_timezone",
        local=describe_local_time(zone, now),
        when=await _when(session, user, now),
    )
    return Reply(f"{text}\n\n{note}" if note else text, remove_keyboard=True)


async def _save_pt(
    session: AsyncSession, user: User, draft: SettingsDraft, now: datetime, settings: Settings
) -> Reply:
    await profile_service.set_pt_schedule(
        session, user, draft.pt_count, draft.pt_days, draft.pt_time, now, settings
    )
    await clear_dialog(session, user.id)
    at = hhmm(draft.pt_time) if draft.pt_time else None
    return Reply(t("settings.saved_pt", pt=describe_pt(draft.pt_count, draft.pt_days, at)))


async def _save_area(
    session: AsyncSession, user: User, area: str, other: str | None, now: datetime
) -> Reply:
    await profile_service.set_injury_area(session, user, area, other, now)
    await clear_dialog(session, user.id)
    return Reply(t("settings.saved_area", area=area_label(area, other)))


async def _save_quiet(
    session: AsyncSession,
    user: User,
    draft: SettingsDraft,
    end: time,
    now: datetime,
    settings: Settings,
) -> Reply:
    start = draft.quiet_start
    if start is None:
        raise InputError(t("settings.ask_quiet_start"))
    if start == end:
        raise InputError(t("settings.quiet_same"))
    await profile_service.set_quiet_hours(session, user, start, end, now, settings)
    await clear_dialog(session, user.id)
    return Reply(t("settings.saved_quiet", start=hhmm(start), end=hhmm(end)))


async def _after_count(
    session: AsyncSession, user: User, draft: SettingsDraft, now: datetime, settings: Settings
) -> Reply:
    if draft.pt_count == 0:
        draft = replace(draft, pt_days=(), pt_time=None)
        return await _save_pt(session, user, draft, now, settings)
    return await _goto(session, user, SettingsStep.PT_DAYS, draft, now)


def _days_chosen(draft: SettingsDraft) -> Reply:
    """The PT days as the bot read them (tapped or typed), before the time is asked."""
    return Reply(t("pt.days_chosen", days=describe_weekdays(draft.pt_days)))


def _quiet_start_chosen(draft: SettingsDraft) -> Reply:
    at = draft.quiet_start
    return Reply(t("settings.quiet_start_chosen", time=hhmm(at) if at else "-"))


# --- typed answers --------------------------------------------------------------------------


async def answer_text(
    session: AsyncSession,
    telegram_id: int,
    text: str | None,
    location: tuple[float, float] | None,
    now: datetime,
    settings: Settings,
    index: FaqIndex | None = None,
) -> Outcome:
    """What the user typed (or shared) at their settings step; the router has triaged it for
    red flags before this is called. A question is answered by the FAQ's one path
    (``faq.ask``: their area, logged, rated) and the step asked again; it is never the
    answer."""
    user = await get_user(session, telegram_id)
    dialog = await get_dialog(session, user.id) if user is not None else None
    if user is None or dialog is None or dialog.flow != FLOW:
        return Outcome.nothing()
    step = step_of(dialog.step)
    draft = SettingsDraft.from_data(dialog.data)
    S = SettingsStep
    if step in (S.MENU, S.NUDGES):
        return await _typed_menu_choice(session, user, step, text, now, settings)
    if step is S.REST_DAYS:
        return await _typed_rest_days(session, user, text, now)
    if index is not None and step is not S.TIMEZONE and answers_of.is_question(text):
        asked = await faq.ask(session, telegram_id, text or "", now, index)
        return asked.then(_out(views.ask(step, draft, t("settings.back_to_step"))))
    aside = step_small_talk(
        text, buttons=step is not S.AREA_OTHER
    )  # the one small-talk rule of every step (onboarding's)
    if aside is not None:
        return _out(*aside, views.ask(step, draft, t("settings.back_to_step")))
    try:
        if step is S.CHECKIN_TIME:
            return _out(await _save_time(session, user, answers_of.read_time(text), now, settings))
        if step is S.TIMEZONE:
            picked = read_menu_choice(text, {z: z for z in draft.candidates})
            if picked is not None and location is None:  # "2": the second place offered
                return _out(await _save_zone(session, user, picked, None, now, settings))
            resolution = resolve_zone(text, location)
            if resolution.confident:
                zone, note = resolution.best.zone, resolution.note
                return _out(await _save_zone(session, user, zone, note, now, settings))
            draft = replace(draft, candidates=tuple(m.zone for m in resolution.matches))
            await set_dialog(session, user.id, FLOW, S.TIMEZONE, draft.to_data(), now)
            return _out(
                Reply(
                    resolution.note or t("timezone.ask"),
                    frozen(
                        candidate_buttons(
                            callbacks.prefix(ButtonFamily.SETTINGS, "tz"), resolution.matches
                        )
                    ),
                )
            )
        if step is S.PT_COUNT:
            draft = replace(draft, pt_count=answers_of.read_pt_count(text).count)
            return _out(await _after_count(session, user, draft, now, settings))
        if step is S.PT_DAYS:
            typed_days = answers_of.read_pt_days(text)
            draft = replace(draft, pt_days=typed_days.days or ())
            if typed_days.at is not None and draft.pt_days:  # "Tue and Thu at 5pm": both
                draft = replace(draft, pt_time=typed_days.at)
                return _out(await _save_pt(session, user, draft, now, settings))
            return _out(_days_chosen(draft), await _goto(session, user, S.PT_TIME, draft, now))
        if step is S.PT_TIME:
            draft = replace(draft, pt_time=answers_of.read_time(text))
            return _out(await _save_pt(session, user, draft, now, settings))
        if step is S.AREA_OTHER:
            chosen = answers_of.read_other_area(text)
            return _out(await _save_area(session, user, "other", chosen.other, now))
        if step is S.AREA:  # typed as a button reads ("knee", "my knee"), as in onboarding
            area = answers_of.read_area(text)
            if isinstance(area, answers_of.AreaChosen):
                return _out(await _save_area(session, user, area.area, None, now))
            if isinstance(area, answers_of.AskOtherArea):
                return _out(await _goto(session, user, S.AREA_OTHER, draft, now))
            return _out(views.ask(step, draft, t("area.use_buttons")))
        if step is S.QUIET_START:
            draft = replace(draft, quiet_start=answers_of.read_time(text))
            return _out(
                _quiet_start_chosen(draft), await _goto(session, user, S.QUIET_END, draft, now)
            )
        if step is S.QUIET_END:
            end = answers_of.read_time(text)
            return _out(await _save_quiet(session, user, draft, end, now, settings))
        return _out(views.ask(step, draft))
    except InputError as exc:
        aside = step_small_talk(text, unread=True, buttons=step is not S.AREA_OTHER)
        if aside is not None:  # an "ok" the step cannot read: asked again, no error
            return _out(*aside, views.ask(step, draft, t("settings.back_to_step")))
        log.info("settings answer rejected", extra={"user_id": user.id})
        return _out(views.ask(step, draft, exc.message))


# --- buttons --------------------------------------------------------------------------------


async def press(
    session: AsyncSession,
    telegram_id: int,
    action: str,
    arg: str,
    now: datetime,
    settings: Settings,
) -> Outcome:
    """A settings button ("st:<action>:<arg>")."""
    user, state = await _ready_user(session, telegram_id)
    if user is None or state is not Readiness.READY:
        return Outcome.nothing(not_ready_text(state))
    if action == "open":
        return _out(await _show_menu(session, user, now))
    if action == "close":
        await clear_dialog(session, user.id)
        return _out(Reply(t("settings.closed"), edit=True))
    if action == "m" and arg in MENU:
        if arg == "nudge":
            await set_dialog(session, user.id, FLOW, SettingsStep.NUDGES, {}, now)
            return _out(Reply(t("settings.ask_nudges"), views.nudge_buttons()))
        if arg == REST_DAYS:
            await set_dialog(session, user.id, FLOW, SettingsStep.REST_DAYS, {}, now)
            return _out(_ask_rest_days(user))
        return _out(await _goto(session, user, MENU_STEPS[arg], SettingsDraft(), now))
    if action == "rd":
        if arg == "done":
            await clear_dialog(session, user.id)
        return _out(_rest_day(user, arg, now))
    if action == "nudge":
        if arg not in profile_service.NUDGE_CADENCES:
            return Outcome.nothing(t("common.stale"))
        await profile_service.set_nudge_cadence(session, user, arg, now, settings)
        await clear_dialog(session, user.id)
        return _out(Reply(t("settings.saved_nudges", nudges=views.nudge_word(arg)), edit=True))
    dialog = await get_dialog(session, user.id)
    allowed = ACTION_STEPS.get(action, frozenset())
    if dialog is None or dialog.flow != FLOW or dialog.step not in allowed:
        return Outcome.nothing(t("common.step_done"))
    return await _step_button(
        session, user, action, arg, SettingsDraft.from_data(dialog.data), now, settings
    )


def _ask_rest_days(user: User, *, edit: bool = False) -> Reply:
    days = list(user.rest_weekdays or [])
    text = t("settings.ask_rest_days", days=describe_weekdays(days))
    return Reply(text, views.rest_day_buttons(days), edit=edit)


async def _typed_rest_days(
    session: AsyncSession, user: User, text: str | None, now: datetime
) -> Outcome:
    """Typed under the rest-day toggle: "done" as its button, a weekday ("Sun", "sunday",
    "sat and sun") as the tap on each day named (toggled, saved at once); anything else
    closes the toggle and comes back unhandled, as under a menu."""
    if read_menu_choice(text, {"done": button("done")}) == "done":
        await clear_dialog(session, user.id)
        return _out(replace(_rest_day(user, "done", now), edit=False))
    try:
        days = parse_weekdays(text) if text is not None and len(text.split()) <= 6 else None
    except InputError:
        days = None
    if not days:
        await clear_dialog(session, user.id)
        return Outcome.nothing()
    user.rest_weekdays = sorted(set(user.rest_weekdays or []) ^ set(days))
    user.updated_at = now
    return _out(_ask_rest_days(user))


def _rest_day(user: User, arg: str, now: datetime) -> Reply:
    """A rest-day button: a weekday toggles (and is saved at once), Done confirms."""
    days = list(user.rest_weekdays or [])
    if arg == "done":
        return Reply(t("settings.saved_rest_days", days=describe_weekdays(days)), edit=True)
    if not arg.isdecimal() or not 0 <= int(arg) <= 6:
        return Reply(t("common.stale"))
    user.rest_weekdays = sorted(set(days) ^ {int(arg)})
    user.updated_at = now
    return _ask_rest_days(user, edit=True)


async def _step_button(
    session: AsyncSession,
    user: User,
    action: str,
    arg: str,
    draft: SettingsDraft,
    now: datetime,
    settings: Settings,
) -> Outcome:
    stale = Outcome.nothing(t("common.stale"))
    S = SettingsStep
    if action in ("ct", "qs", "qe") or (action == "ptt" and arg != "skip"):
        chosen = answers_of.time_from_data(arg)
        if chosen is None:
            return stale
        if action == "ct":
            confirm = Reply(t("checkin_time.chosen", time=hhmm(chosen)), edit=True)
            return _out(confirm, await _save_time(session, user, chosen, now, settings))
        if action == "qs":
            draft = replace(draft, quiet_start=chosen)
            confirm = replace(_quiet_start_chosen(draft), edit=True)
            return _out(confirm, await _goto(session, user, S.QUIET_END, draft, now))
        if action == "qe":
            try:
                return _out(await _save_quiet(session, user, draft, chosen, now, settings))
            except InputError as exc:
                return Outcome.nothing(exc.message)
        draft = replace(draft, pt_time=chosen)
        return _out(await _save_pt(session, user, draft, now, settings))
    if action == "ptt":
        return _out(await _save_pt(session, user, replace(draft, pt_time=None), now, settings))
    if action == "tz":
        if not arg.isdecimal() or int(arg) >= len(draft.candidates):
            return Outcome.nothing(t("timezone.picked_stale"))
        zone = draft.candidates[int(arg)]
        return _out(await _save_zone(session, user, zone, None, now, settings))
    if action == "pt":
        count = answers_of.pt_count_from_button(arg)
        if count is None:
            return stale
        draft = replace(draft, pt_count=count.count)
        return _out(await _after_count(session, user, draft, now, settings))
    if action == "ptd":
        return await _pt_days(session, user, arg, draft, now, settings)
    if action == "area":
        area = answers_of.area_from_button(arg)
        if area is None:
            return stale
        if isinstance(area, answers_of.AskOtherArea):
            return _out(await _goto(session, user, S.AREA_OTHER, draft, now))
        return _out(await _save_area(session, user, area.area, None, now))
    return stale


async def _pt_days(
    session: AsyncSession,
    user: User,
    arg: str,
    draft: SettingsDraft,
    now: datetime,
    settings: Settings,
) -> Outcome:
    if arg == "skip":
        draft = replace(draft, pt_days=(), pt_time=None)
        return _out(await _save_pt(session, user, draft, now, settings))
    if arg == "done":
        confirm = replace(_days_chosen(draft), edit=True)
        if draft.pt_days:
            return _out(confirm, await _goto(session, user, SettingsStep.PT_TIME, draft, now))
        draft = replace(draft, pt_time=None)
        return _out(confirm, await _save_pt(session, user, draft, now, settings))
    if not arg.isdecimal() or not 0 <= int(arg) <= 6:
        return Outcome.nothing(t("common.stale"))
    draft = replace(draft, pt_days=tuple(sorted(set(draft.pt_days) ^ {int(arg)})))
    await set_dialog(session, user.id, FLOW, SettingsStep.PT_DAYS, draft.to_data(), now)
    rows = frozen(weekday_buttons(callbacks.prefix(ButtonFamily.SETTINGS, "ptd"), draft.pt_days))
    return _out(Reply(t("pt.ask_days"), rows, edit=True))
