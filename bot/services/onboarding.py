"""The onboarding use cases: /start, consent, each answer (typed or a button), the final
"all set", /cancel. Each takes plain values, does its database work (and the planning of
the first check-in) in the caller's one transaction and returns an ``Outcome``.

Where the user is lives in the ``dialogs`` table (flow "onboarding"), never in memory, so a
restart or another instance continues at the same step. Before the consent button is pressed
nothing at all is stored. Buttons carry only the step's answer ("ob:area:knee"); who pressed
them always comes from Telegram, and a button from a step already left changes nothing.
The rules of the conversation are in ``bot.domain.onboarding``; the words in
``bot.services.onboarding_views``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import User
from bot.domain import callbacks
from bot.domain import onboarding as machine
from bot.domain.callbacks import ButtonFamily
from bot.domain.enums import UserStatus
from bot.domain.faq import FaqIndex
from bot.domain.help_text import help_text
from bot.domain.onboarding import (
    ACTION_STEPS,
    DEFAULT_CHECKIN,
    FLOW,
    MAX_EXERCISES,
    Answer,
    Answers,
    CheckinTimeChosen,
    ExercisesConfirmed,
    PlanFull,
    PtDayToggled,
    PtTimeChosen,
    Step,
    ZoneCandidates,
    ZoneChosen,
    describe_weekdays,
)
from bot.domain.parsing import InputError, read_menu_choice
from bot.domain.settings_flow import FLOW as SETTINGS_FLOW
from bot.domain.settings_flow import SettingsStep
from bot.domain.timezones import describe_local_time
from bot.domain.timing import local_date
from bot.domain.wording import describe_when, t
from bot.services import checkin_flow, exercises, faq, pausing, pt_sessions, return_to_run, safety
from bot.services import onboarding_views as views
from bot.services.checkin_prompt import open_checkin
from bot.services.dialogs import clear_dialog, get_dialog, set_dialog
from bot.services.membership import restore_user
from bot.services.outcome import Outcome, Reply
from bot.services.profile import OnboardingResult, finish_onboarding
from bot.services.setup_views import candidate_buttons, frozen, resolve_zone, weekday_buttons
from bot.services.small_talk import step_small_talk
from bot.services.users import create_user, get_user

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Person:
    """Who sent the update, as Telegram says."""

    telegram_id: int
    chat_id: int
    first_name: str | None
    language: str | None


def _out(*replies: Reply, toast: str | None = None) -> Outcome:
    return Outcome(tuple(replies), toast=toast)


@dataclass
class _Step:
    """The user's onboarding step, loaded in this transaction."""

    user: User
    step: Step
    answers: Answers


async def _load(session: AsyncSession, telegram_id: int) -> _Step | None:
    user = await get_user(session, telegram_id)
    if user is None:
        return None
    dialog = await get_dialog(session, user.id)
    if dialog is None or dialog.flow != FLOW:
        return None
    return _Step(user, Step.of(dialog.step), Answers.from_data(dialog.data))


async def _goto(
    session: AsyncSession,
    user: User,
    transition: machine.Transition,
    now: datetime,
    settings: Settings,
    prefix: str | None = None,
) -> Reply:
    """Store the step the user is at now and return its question."""
    await set_dialog(session, user.id, FLOW, transition.step, transition.answers.to_data(), now)
    return views.ask(
        transition.step, transition.answers, now, settings.schedule.default_timezone, prefix
    )


def _today(answers: Answers, now: datetime, settings: Settings) -> date:
    return views.today_for(answers, now, settings.schedule.default_timezone)


# --- /start and consent ---------------------------------------------------------------------


async def start(
    session: AsyncSession, person: Person, now: datetime, settings: Settings
) -> Outcome:
    user = await get_user(session, person.telegram_id)
    if user is None:
        return _out(views.welcome(person.first_name))  # nothing is stored before consent
    if user.status == UserStatus.ONBOARDING:
        return _out(await _resume(session, user, now, settings, t("start.resume")))
    if user.status == UserStatus.BLOCKED:
        await restore_user(session, user, now, settings)
    return _out(
        views.welcome_back(
            user.first_name,
            user.status == UserStatus.PAUSED,
            user.paused_until,
            user.checkin_time,
            user.timezone,
        )
    )


async def _resume(
    session: AsyncSession, user: User, now: datetime, settings: Settings, prefix: str
) -> Reply:
    """The question of the step the user is at (from the database), or start again."""
    dialog = await get_dialog(session, user.id)
    if dialog is None or dialog.flow != FLOW:
        return await _goto(
            session, user, machine.Transition(Answers(), Step.AREA), now, settings, prefix
        )
    answers = Answers.from_data(dialog.data)
    return views.ask(Step.of(dialog.step), answers, now, settings.schedule.default_timezone, prefix)


async def consent(
    session: AsyncSession, person: Person, accepted: bool, now: datetime, settings: Settings
) -> Outcome:
    user = await get_user(session, person.telegram_id)
    if not accepted:
        if user is None:
            return _out(Reply(t("start.declined"), edit=True))
        return Outcome.nothing()
    if user is not None:
        return Outcome.nothing(
            t("done.already") if user.status != UserStatus.ONBOARDING else t("common.step_done")
        )
    try:
        async with session.begin_nested():
            user = await create_user(
                session,
                telegram_id=person.telegram_id,
                chat_id=person.chat_id,
                first_name=person.first_name or "",
                language=person.language,
                now=now,
                settings=settings,
            )
    except IntegrityError:
        # The same press, handled at the same moment by another instance, created the user
        # first and asked the first question: as for any second press, nothing more.
        return Outcome.nothing(t("common.step_done"))
    log.info("consent given, onboarding started", extra={"user_id": user.id})
    first = await _goto(session, user, machine.Transition(Answers(), Step.AREA), now, settings)
    return _out(Reply(t("start.consent_given"), edit=True), first)


async def typed_before_consent(
    session: AsyncSession, telegram_id: int, text: str, now: datetime
) -> Outcome | None:
    """Typed "yes", "let's start" or "not now" to the welcome instead of tapping: "not now"
    declines as its button does; a yes points to the consent button (storing data is agreed
    by that tap, never read from text). None once the user exists or for any other text."""
    if await get_user(session, telegram_id) is not None:
        return None
    said = machine.read_consent(text)
    if said is None:
        return None
    return _out(views.consent_by_button() if said else Reply(t("start.declined")))


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
    """What the user typed (or the location they shared) at their current step. The router
    has triaged it for red flags before this is called. A question is answered from the
    knowledge base (``index``) and the step asked again; it never becomes the answer."""
    current = await _load(session, telegram_id)
    if current is None:
        return Outcome.nothing()
    user, step, answers = current.user, current.step, current.answers
    default_zone = settings.schedule.default_timezone
    if step is Step.EXERCISES and machine.read_exercises_done(text) is not None:
        # "confirm", "done", "that's all": the Confirm button, typed.
        return await _confirm_exercises(session, user, answers, now, settings, edit=False)
    if step is Step.SUMMARY:
        choice = machine.read_summary(text)
        if choice == "all_set":
            return await _finish(session, user, answers, now, settings, typed=True)
        if choice is not None:
            transition = machine.apply(answers, step, choice, _today(answers, now, settings))
            return _out(await _goto(session, user, transition, now, settings))
    intent = machine.typed_intent(text) if text is not None and step is not Step.TIMEZONE else None
    if intent == "question":
        # A question is answered by the FAQ's one path (the area chosen so far, logged for
        # authors, its feedback buttons), never stored as the step's answer; then the step.
        asked = (
            await faq.answer_for(
                session, user, faq.asker_for_area(answers.area), text or "", now, index
            )
            if index is not None
            else faq.unknown_outcome()
        )
        return asked.then(_out(_again(step, answers, now, default_zone)))
    if step is Step.EXERCISES and intent in ("place", "time", "chat"):
        key = {"place": "exercises.place_early", "time": "exercises.time_early"}.get(
            intent, "exercises.chat"
        )
        return _out(views.ask(step, answers, now, default_zone, t(key)))
    aside = step_small_talk(text, buttons=step is not Step.AREA_OTHER)
    if aside is not None:
        # "thanks", "hi": a friendly word back where one fits, then the step again, no error.
        return _out(*aside, _again(step, answers, now, default_zone))
    try:
        answer: Answer
        prefix: str | None = None
        if step is Step.AREA_OTHER:
            answer = machine.read_other_area(text)
        elif step is Step.STOP:
            answer = machine.read_stop(text, _today(answers, now, settings))
        elif step is Step.PT_COUNT:
            answer = machine.read_pt_count(text)
        elif step is Step.PT_DAYS:
            answer = machine.read_pt_days(text)
        elif step is Step.PT_TIME:
            answer = PtTimeChosen(machine.read_time(text))
        elif step is Step.EXERCISES:
            answer = machine.read_own_exercise(text, answers)
            prefix = views.added_text(answer.exercise.label, answers.area, answer.exercise.name)
        elif step is Step.CHECKIN_TIME:
            answer = CheckinTimeChosen(machine.read_time(text))
        elif step is Step.TIMEZONE:
            return await _typed_zone(session, user, answers, text, location, now, settings)
        elif step is Step.SUMMARY:
            return _out(views.ask(step, answers, now, default_zone, t("summary.use_buttons")))
        else:  # the area: a button, or typed as one reads ("knee", "my knee")
            typed_area = machine.read_area(text)
            if typed_area is None:
                return _out(views.ask(step, answers, now, default_zone, t("area.use_buttons")))
            answer = typed_area
    except InputError as exc:
        aside = step_small_talk(text, unread=True, buttons=step is not Step.AREA_OTHER)
        if aside is not None:  # an "ok" the step cannot read: asked again, no error
            return _out(*aside, _again(step, answers, now, default_zone))
        log.info("onboarding answer rejected", extra={"user_id": user.id})
        return _out(views.ask(step, answers, now, default_zone, exc.message))
    transition = machine.apply(answers, step, answer, _today(answers, now, settings))
    question = await _goto(session, user, transition, now, settings, prefix)
    # A typed answer is echoed as the bot read it, as a tapped one is ("17:30" -> "PT
    # sessions: Tue, Thu at 17:30"), so a misreading shows at once.
    chosen = None if prefix else views.chosen_text(answer, answers)
    return _out(Reply(chosen), question) if chosen else _out(question)


def _again(step: Step, answers: Answers, now: datetime, zone: str) -> Reply:
    return views.ask(step, answers, now, zone, t("exercises.back_to_step"))


async def _typed_zone(
    session: AsyncSession,
    user: User,
    answers: Answers,
    text: str | None,
    location: tuple[float, float] | None,
    now: datetime,
    settings: Settings,
) -> Outcome:
    picked = (
        read_menu_choice(text, {z: z for z in answers.candidates}) if location is None else None
    )
    if picked is not None:  # "2": the second place offered, as its tap
        return await _chose_zone(session, user, answers, picked, None, now, settings)
    try:
        resolution = resolve_zone(text, location)
    except InputError as exc:
        log.info("onboarding answer rejected", extra={"user_id": user.id})
        return _out(
            views.ask(Step.TIMEZONE, answers, now, settings.schedule.default_timezone, exc.message)
        )
    if resolution.confident:
        return await _chose_zone(
            session, user, answers, resolution.best.zone, resolution.note, now, settings
        )
    transition = machine.apply(
        answers,
        Step.TIMEZONE,
        ZoneCandidates(tuple(m.zone for m in resolution.matches)),
        _today(answers, now, settings),
    )
    await set_dialog(session, user.id, FLOW, transition.step, transition.answers.to_data(), now)
    return _out(
        Reply(
            resolution.note or t("timezone.ask"),
            frozen(
                candidate_buttons(
                    callbacks.prefix(ButtonFamily.ONBOARDING, "tz"), resolution.matches
                )
            ),
        )
    )


async def _chose_zone(
    session: AsyncSession,
    user: User,
    answers: Answers,
    zone: str,
    note: str | None,
    now: datetime,
    settings: Settings,
) -> Outcome:
    chosen = ZoneChosen(zone, local_date(now, zone))
    transition = machine.apply(answers, Step.TIMEZONE, chosen, chosen.today)
    text = t("timezone.confirmed", local=describe_local_time(zone, now))
    confirmed = Reply(f"{text}\n\n{note}" if note else text, remove_keyboard=True)
    return _out(confirmed, await _goto(session, user, transition, now, settings))


# --- buttons --------------------------------------------------------------------------------


async def press(
    session: AsyncSession,
    telegram_id: int,
    action: str,
    args: list[str],
    now: datetime,
    settings: Settings,
) -> Outcome:
    """A button of the current step ("ob:<action>:<args>"); one from a step already left, or
    tampered with, changes nothing and says so in a toast."""
    current = await _load(session, telegram_id)
    if current is None or current.step not in ACTION_STEPS.get(action, frozenset()):
        return Outcome.nothing(t("common.step_done"))
    user, step, answers = current.user, current.step, current.answers
    today = _today(answers, now, settings)
    arg = args[0] if args else ""
    stale = Outcome.nothing(t("common.stale"))
    answer: Answer | None
    if action == "area":
        answer = machine.area_from_button(arg)
    elif action == "stop":
        answer = machine.stop_from_button(arg, today)
    elif action == "pt":
        answer = machine.pt_count_from_button(arg)
    elif action == "ptd":
        answer = machine.pt_days_from_button(arg)
        if isinstance(answer, PtDayToggled):
            return await _toggled_day(session, user, answers, answer, now, today)
    elif action == "ptt":
        answer = PtTimeChosen(None) if arg == "skip" else None
        at = machine.time_from_data(arg)
        if at is not None:
            answer = PtTimeChosen(at)
    elif action == "ex":
        return await _exercise_button(session, user, answers, args, now, settings)
    elif action == "ct":
        at = machine.time_from_data(arg)
        answer = None if at is None else CheckinTimeChosen(at)
    elif action == "tz":
        if not arg.isdecimal() or int(arg) >= len(answers.candidates):
            return Outcome.nothing(t("timezone.picked_stale"))
        zone = answers.candidates[int(arg)]
        return await _chose_zone(session, user, answers, zone, None, now, settings)
    elif action == "chg":
        answer = machine.change_from_button(arg)
    elif action == "done":
        return await _finish(session, user, answers, now, settings)
    else:
        answer = None
    if answer is None:
        return stale
    # The pressed message is replaced by what was chosen ("Other" by its question).
    chosen = (
        t("area.ask")
        if isinstance(answer, machine.AskOtherArea)
        else views.chosen_text(answer, answers)
    )
    transition = machine.apply(answers, step, answer, today)
    question = await _goto(session, user, transition, now, settings)
    if chosen is None:
        return _out(question)
    return _out(Reply(chosen, edit=True), question)


async def _toggled_day(
    session: AsyncSession,
    user: User,
    answers: Answers,
    answer: PtDayToggled,
    now: datetime,
    today: date,
) -> Outcome:
    transition = machine.apply(answers, Step.PT_DAYS, answer, today)
    await set_dialog(session, user.id, FLOW, transition.step, transition.answers.to_data(), now)
    rows = frozen(
        weekday_buttons(
            callbacks.prefix(ButtonFamily.ONBOARDING, "ptd"), transition.answers.pt_days
        )
    )
    return _out(Reply(t("pt.ask_days"), rows, edit=True))


async def _exercise_button(
    session: AsyncSession,
    user: User,
    answers: Answers,
    args: list[str],
    now: datetime,
    settings: Settings,
) -> Outcome:
    if args and args[0] == "add":
        return _out(Reply(t("exercises.ask_add")))
    try:
        answer = machine.exercise_from_button(args, answers)
    except PlanFull:
        return Outcome.nothing(t("exercises.too_many", max=MAX_EXERCISES))
    if answer is None:
        return Outcome.nothing(t("common.stale"))
    if isinstance(answer, ExercisesConfirmed):
        return await _confirm_exercises(session, user, answers, now, settings, edit=True)
    today = _today(answers, now, settings)
    transition = machine.apply(answers, Step.EXERCISES, answer, today)
    await set_dialog(session, user.id, FLOW, transition.step, transition.answers.to_data(), now)
    added = None
    if isinstance(answer, machine.TemplateToggled) and answer.index in transition.answers.picks:
        added = answer.index  # just ticked (not unticked): show its cues
    text, rows = views.exercises_prompt(transition.answers, added)
    return _out(Reply(text, frozen(rows), edit=True))


async def _confirm_exercises(
    session: AsyncSession,
    user: User,
    answers: Answers,
    now: datetime,
    settings: Settings,
    *,
    edit: bool,
) -> Outcome:
    """The exercise list is complete (Confirm tapped, or typed): say the plan, ask on."""
    transition = machine.apply(
        answers, Step.EXERCISES, ExercisesConfirmed(), _today(answers, now, settings)
    )
    plan = ", ".join(d.label for d in answers.drafts()) or t("exercises.empty_plan")
    confirm = Reply(t("exercises.confirmed", plan=plan), edit=edit)
    return _out(confirm, await _goto(session, user, transition, now, settings))


async def _finish(
    session: AsyncSession,
    user: User,
    answers: Answers,
    now: datetime,
    settings: Settings,
    *,
    typed: bool = False,
) -> Outcome:
    """The "All set" step: save the profile. A tap turns the summary into the final one (its buttons
    gone); typed, the summary above stays as it is and only the welcome follows."""
    zone = answers.timezone or settings.schedule.default_timezone
    result = OnboardingResult(
        injury_area=answers.area or "other",
        injury_other=answers.other,
        stopped_running_on=answers.stop or views.today_for(answers, now, zone),
        pt_sessions_per_week=answers.pt_count,
        pt_weekdays=answers.pt_days,
        pt_time=answers.pt_time,
        exercises=tuple(answers.drafts()),
        checkin_time=answers.checkin_time or DEFAULT_CHECKIN,
        timezone=zone,
    )
    due = await finish_onboarding(session, user, result, now, settings)
    await clear_dialog(session, user.id)
    log.info("onboarding finished", extra={"user_id": user.id})
    name = user.first_name or "there"
    state = safety.state_of(user)
    held = safety.hold_reply(state) if state.on_hold else None
    if held is not None:
        # A red flag earlier in set-up holds check-ins: no "first check-in comes today".
        saved = t("done.finished_on_hold", first_name=name)
        finished = Reply(f"{saved}\n\n{held.text}", held.buttons)
    else:
        finished = Reply(t("done.finished", first_name=name, when=describe_when(due, zone, now)))
    if typed:
        return _out(finished)
    return _out(Reply(views.summary_text(answers, now, zone), edit=True), finished)


# --- after onboarding -----------------------------------------------------------------------


async def home(session: AsyncSession, telegram_id: int, what: str, now: datetime) -> Outcome:
    """The "Check in" and "Help" buttons under the welcome-back message."""
    if what == "help":
        return Outcome.say(help_text())
    if what == "checkin":
        return await open_checkin(session, telegram_id, now)
    return Outcome.nothing(t("common.stale"))


async def cancel(session: AsyncSession, telegram_id: int) -> Outcome:
    """/cancel: leave whatever step the user is in (any flow)."""
    user = await get_user(session, telegram_id)
    dialog = await get_dialog(session, user.id) if user is not None else None
    if user is None or dialog is None:
        if user is not None and user.status == UserStatus.ONBOARDING:
            return Outcome.say(t("cancel.onboarding"))
        return Outcome.say(t("cancel.nothing"))
    await clear_dialog(session, user.id)
    log.info("flow cancelled", extra={"user_id": user.id})
    key = _CANCEL_TEXTS.get((dialog.flow, dialog.step)) or _CANCEL_TEXTS.get((dialog.flow, None))
    if key == "cancel.rest_days":
        text = t(key, days=describe_weekdays(list(user.rest_weekdays or [])))
    else:
        text = t(key or "cancel.flow")
    return _out(Reply(text, remove_keyboard=True))


# What /cancel says in each step, (flow, step) or (flow, None) for any of its steps: a menu
# or a question that was only shown is closed with nothing changed; a change in progress
# is stopped with nothing saved; what an earlier tap already saved is said to be kept.
_CANCEL_TEXTS: dict[tuple[str, str | None], str] = {
    (FLOW, None): "cancel.onboarding",
    (SETTINGS_FLOW, SettingsStep.MENU): "cancel.settings_menu",
    (SETTINGS_FLOW, SettingsStep.NUDGES): "cancel.question",
    (SETTINGS_FLOW, SettingsStep.REST_DAYS): "cancel.rest_days",
    (SETTINGS_FLOW, None): "cancel.settings",
    (pausing.FLOW, None): "cancel.pause",
    (checkin_flow.FLOW, checkin_flow.SNOOZE_STEP): "cancel.question",
    (checkin_flow.FLOW, "which"): "cancel.checkin_unsaved",
    (checkin_flow.FLOW, checkin_flow.REASON_STEP): "cancel.checkin_unsaved",
    (checkin_flow.FLOW, None): "cancel.checkin_saved",
    (return_to_run.PAIN_FLOW, None): "cancel.run",
    (return_to_run.PLAN_FLOW, None): "cancel.run_plan",
    (return_to_run.MENU_FLOW, None): "cancel.menu",
    (faq.TOPICS_FLOW, None): "cancel.menu",
    (exercises.FLOW, None): "cancel.exercises",
    (pt_sessions.FLOW, None): "cancel.pt_note",
    (safety.ADVICE_FLOW, None): "cancel.advice",
}
