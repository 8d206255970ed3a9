"""The home-exercise plan (/exercises): show it, add, change a dose, remove, reorder.

Use cases for the ``handlers.exercises`` adapter. Each takes the Telegram id of the user who
acted (never an id from button data), does its database work in the caller's one short
transaction and returns an ``Outcome``. Button data names an exercise by its row id, but
every lookup is filtered by that user, so an id can never reach someone else's plan. Typing
an exercise or a dose is a one-step conversation kept in ``dialogs`` (flow ``FLOW``); the
router triages that text for red flags before it reaches ``answer``.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Exercise, RehabProfile, User
from bot.domain.callbacks import ButtonFamily, encode
from bot.domain.content import load_exercise_templates
from bot.domain.faq import FaqIndex
from bot.domain.onboarding import MAX_EXERCISES, ExerciseDraft, is_question, typed_intent
from bot.domain.parsing import InputError, parse_exercise
from bot.domain.wording import button, describe_exercise, format_dose, t
from bot.services import faq
from bot.services import profile as profile_service
from bot.services.context import Readiness, not_ready_text, readiness
from bot.services.dialogs import clear_dialog, set_dialog
from bot.services.onboarding_views import added_text
from bot.services.outcome import ButtonRows, Outcome, Reply, rows
from bot.services.small_talk import step_small_talk
from bot.services.users import get_user

log = logging.getLogger(__name__)

FLOW = "exercises"
ADD_STEP = "add"
DOSE_STEP = "dose:"  # followed by the exercise's row id


def _ex(*parts: object) -> str:
    """A plan button's data (``ex:<action>[:<id>]``)."""
    return encode(ButtonFamily.EXERCISES, *parts)


def label(row: Exercise) -> str:
    return describe_exercise(row.name, format_dose(row.sets, row.reps, row.seconds, row.per_side))


async def _plan_view(session: AsyncSession, user: User) -> tuple[str, ButtonRows]:
    exercises = await profile_service.list_exercises(session, user.id)
    if exercises:
        lines = [t("plan.header"), ""]
        lines += [
            t("plan.item", position=i + 1, exercise=label(r)) for i, r in enumerate(exercises)
        ]
        lines += ["", t("plan.note")]
        text = "\n".join(lines)
    else:
        text = t("plan.empty")
    buttons = rows(
        *[[(f"{i + 1}. {r.name}", _ex("sel", r.id))] for i, r in enumerate(exercises)],
        [(button("plan_add"), _ex("add"))],
    )
    return text, buttons


def _item_buttons(row: Exercise) -> ButtonRows:
    return rows(
        [(button("plan_up"), _ex("up", row.id)), (button("plan_down"), _ex("dn", row.id))],
        [(button("plan_dose"), _ex("ed", row.id)), (button("plan_remove"), _ex("rm", row.id))],
        [(button("plan_back"), _ex("list"))],
    )


async def _plan_outcome(
    session: AsyncSession, user: User, before: str = "", *, edit: bool = False
) -> Outcome:
    text, buttons = await _plan_view(session, user)
    return Outcome.say(f"{before}\n\n{text}" if before else text, buttons, edit=edit)


async def _area(session: AsyncSession, user: User) -> str | None:
    profile = await session.get(RehabProfile, user.id)
    return profile.injury_area if profile is not None else None


async def _how(session: AsyncSession, user: User, row: Exercise) -> str | None:
    """The cues of the template this exercise came from (or one of its name), if any."""
    catalog = load_exercise_templates()
    template = catalog.template_for(await _area(session, user), row.template_id, row.name)
    return template.how if template is not None else None


async def show_plan(session: AsyncSession, telegram_id: int) -> Outcome:
    """/exercises: the plan with its buttons, or how to get set up first."""
    user = await get_user(session, telegram_id)
    state = readiness(user)
    if user is None or state is not Readiness.READY:
        return Outcome.say(not_ready_text(state))
    return await _plan_outcome(session, user)


async def press(
    session: AsyncSession, telegram_id: int, action: str, exercise_id: int | None, now: datetime
) -> Outcome:
    """A plan button ("ex:<action>[:<id>]") pressed by ``telegram_id``."""
    user = await get_user(session, telegram_id)
    state = readiness(user)
    if user is None or state is not Readiness.READY:
        return Outcome.nothing(not_ready_text(state))
    if action == "list":
        return await _plan_outcome(session, user, edit=True)
    if action == "add":
        await set_dialog(session, user.id, FLOW, ADD_STEP, {}, now)
        return Outcome.say(t("exercises.ask_add"))
    row = (
        await profile_service.get_exercise(session, user.id, exercise_id)
        if exercise_id is not None
        else None
    )
    if row is None:
        return Outcome.nothing(t("plan.gone"))
    if action == "sel":
        how = await _how(session, user, row)
        text = (
            t("plan.selected_with_how", exercise=label(row), how=how)
            if how
            else t("plan.selected", exercise=label(row))
        )
        return Outcome.say(text, _item_buttons(row), edit=True)
    if action in ("up", "dn"):
        moved = await profile_service.move_exercise(
            session, user.id, row.id, -1 if action == "up" else 1
        )
        if not moved:
            return Outcome.nothing(t("common.step_done"))
        return await _plan_outcome(session, user, edit=True)
    if action == "ed":
        await set_dialog(session, user.id, FLOW, f"{DOSE_STEP}{row.id}", {}, now)
        return Outcome.say(t("plan.ask_dose", name=row.name))
    if action == "rm":
        name = await profile_service.remove_exercise(session, user.id, row.id)
        return await _plan_outcome(session, user, t("plan.removed", name=name), edit=True)
    return Outcome.nothing(t("common.stale"))


async def answer(
    session: AsyncSession,
    telegram_id: int,
    step: str,
    text: str | None,
    now: datetime,
    index: FaqIndex | None = None,
) -> Outcome:
    """What the user typed in the plan's one-step conversation (already triaged). A question
    is answered by the FAQ's one path (``faq.ask``) and the step asked again."""
    user = await get_user(session, telegram_id)
    if user is None:
        return Outcome.nothing()
    if index is not None and is_question(text):
        asked = await faq.ask(session, telegram_id, text or "", now, index)
        return asked.then(Outcome.say(await _question(session, user, step)))
    try:
        if step == ADD_STEP:
            return await _add(session, user, text, now)
        if step.startswith(DOSE_STEP) and step[len(DOSE_STEP) :].isdecimal():
            return await _save_dose(session, user, int(step[len(DOSE_STEP) :]), text)
        await clear_dialog(session, user.id)
        return Outcome.nothing()
    except InputError as exc:
        aside = step_small_talk(text, unread=True, buttons=False)  # "thanks", "ok": no error
        if aside is not None:
            return Outcome((*aside, Reply(await _question(session, user, step))), changed=False)
        log.info("plan answer rejected", extra={"user_id": user.id})
        return Outcome((Reply(exc.message),), changed=False)


async def _question(session: AsyncSession, user: User, step: str) -> str:
    """The plan step's question, asked again after small talk."""
    if step.startswith(DOSE_STEP) and step[len(DOSE_STEP) :].isdecimal():
        row = await profile_service.get_exercise(session, user.id, int(step[len(DOSE_STEP) :]))
        if row is not None:
            return t("plan.ask_dose", name=row.name)
    return t("exercises.ask_add")


async def _add(session: AsyncSession, user: User, text: str | None, now: datetime) -> Outcome:
    if typed_intent(text) != "exercise":  # "Should I ice it?" is not an exercise
        raise InputError(t("exercises.not_an_exercise"))
    parsed = parse_exercise(text)
    draft = ExerciseDraft(parsed.name, parsed.sets, parsed.reps, parsed.seconds, parsed.per_side)
    row = await profile_service.add_exercise(session, user.id, draft, now)
    await clear_dialog(session, user.id)
    if row is None:
        return Outcome.say(t("exercises.too_many", max=MAX_EXERCISES))
    area = await _area(session, user)
    return await _plan_outcome(session, user, added_text(label(row), area, row.name))


async def _save_dose(
    session: AsyncSession, user: User, exercise_id: int, text: str | None
) -> Outcome:
    row = await profile_service.get_exercise(session, user.id, exercise_id)
    if row is None:
        await clear_dialog(session, user.id)
        return Outcome.say(t("plan.gone"))
    if text is None:
        raise InputError(t("plan.ask_dose", name=row.name))
    # The dose parser wants a name; lend it the exercise's own so "3x12" alone is enough.
    parsed = parse_exercise(f"{row.name} {text.strip()[:100]}")
    if parsed.sets is None and parsed.reps is None and parsed.seconds is None:
        raise InputError(t("plan.dose_missing"))
    await profile_service.update_dose(
        session,
        user.id,
        exercise_id,
        sets=parsed.sets,
        reps=parsed.reps,
        seconds=parsed.seconds,
        per_side=parsed.per_side,
    )
    await clear_dialog(session, user.id)
    return await _plan_outcome(session, user, t("plan.dose_saved", exercise=label(row)))
