"""/exercises: the home-exercise plan with doses; add, change a dose, remove, reorder.

Button data names an exercise by its row id ("ex:rm:12"), but every lookup is filtered by
the user who pressed, so an id can never reach someone else's plan. Typing an exercise or a
dose is a one-step conversation kept in ``dialogs`` (flow "exercises").
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.db.models import Dialog, Exercise, User
from bot.domain.parsing import InputError, parse_exercise
from bot.services import profile as profile_service
from bot.services.dialogs import clear_dialog, set_dialog
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
from handlers.onboarding_text import button, describe_exercise, format_dose, t
from handlers.router import Incoming, register_legacy_flow

log = logging.getLogger(__name__)

FLOW = "exercises"


def label(row: Exercise) -> str:
    return describe_exercise(row.name, format_dose(row.sets, row.reps, row.seconds, row.per_side))


async def plan_view(session: AsyncSession, user: User) -> tuple[str, list[list[Button]]]:
    rows = await profile_service.list_exercises(session, user.id)
    if rows:
        lines = [t("plan.header"), ""]
        lines += [t("plan.item", position=i + 1, exercise=label(r)) for i, r in enumerate(rows)]
        lines += ["", t("plan.note")]
        text = "\n".join(lines)
    else:
        text = t("plan.empty")
    buttons: list[list[Button]] = [
        [(f"{i + 1}. {r.name}", f"ex:sel:{r.id}")] for i, r in enumerate(rows)
    ]
    buttons.append([(button("plan_add"), "ex:add")])
    return text, buttons


def item_buttons(row: Exercise) -> list[list[Button]]:
    return [
        [(button("plan_up"), f"ex:up:{row.id}"), (button("plan_down"), f"ex:dn:{row.id}")],
        [(button("plan_dose"), f"ex:ed:{row.id}"), (button("plan_remove"), f"ex:rm:{row.id}")],
        [(button("plan_back"), "ex:list")],
    ]


def _set_up(user: User | None) -> bool:
    return user is not None and user.status != "onboarding"


async def exercises_command(update: Update, context: Context) -> None:
    tg_user = update.effective_user
    if tg_user is None:
        return
    async with services(context).sessions() as session:
        user = await get_user(session, tg_user.id)
        if not _set_up(user):
            await reply(
                update,
                context,
                t("start.not_set_up") if user is None else t("start.finish_first") + " /start",
            )
            return
        assert user is not None
        text, rows = await plan_view(session, user)
        await reply(update, context, text, keyboard(rows))


async def on_message(
    update: Update,
    context: Context,
    session: AsyncSession,
    user: User,
    dialog: Dialog,
    incoming: Incoming,
) -> None:
    now = services(context).clock.now()
    step = dialog.step
    try:
        if step == "add":
            parsed = parse_exercise(incoming.text)
            draft = profile_service.ExerciseDraft(
                parsed.name, parsed.sets, parsed.reps, parsed.seconds, parsed.per_side
            )
            row = await profile_service.add_exercise(session, user.id, draft, now)
            await clear_dialog(session, user.id)
            if row is None:
                await reply(
                    update, context, t("exercises.too_many", max=profile_service.MAX_EXERCISES)
                )
                return
            text, rows = await plan_view(session, user)
            await reply(
                update,
                context,
                f"{t('exercises.added', exercise=label(row))}\n\n{text}",
                keyboard(rows),
            )
        elif step.startswith("dose:"):
            await _save_dose(update, context, session, user, int(step.split(":", 1)[1]), incoming)
        else:
            await clear_dialog(session, user.id)
    except InputError as exc:
        log.info("plan answer rejected", extra={"user_id": user.id})
        await reply(update, context, exc.message)


async def _save_dose(
    update: Update,
    context: Context,
    session: AsyncSession,
    user: User,
    exercise_id: int,
    incoming: Incoming,
) -> None:
    row = await profile_service.get_exercise(session, user.id, exercise_id)
    if row is None:
        await clear_dialog(session, user.id)
        await reply(update, context, t("plan.gone"))
        return
    if incoming.text is None:
        raise InputError(t("plan.ask_dose", name=row.name))
    # The dose parser wants a name; lend it the exercise's own so "3x12" alone is enough.
    parsed = parse_exercise(f"{row.name} {incoming.text.strip()[:100]}")
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
    text, rows = await plan_view(session, user)
    await reply(
        update, context, f"{t('plan.dose_saved', exercise=label(row))}\n\n{text}", keyboard(rows)
    )


async def _handle(update: Update, context: Context, parts: list[str]) -> str | None:
    assert update.effective_user is not None
    svc = services(context)
    now = svc.clock.now()
    action = parts[1] if len(parts) > 1 else ""
    exercise_id = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else None
    async with svc.sessions() as session:
        user = await get_user(session, update.effective_user.id)
        if not _set_up(user):
            return t("start.not_set_up")
        assert user is not None
        if action == "list":
            text, rows = await plan_view(session, user)
            await edit_or_reply(update, context, text, keyboard(rows))
            return None
        if action == "add":
            await set_dialog(session, user.id, FLOW, "add", {}, now)
            await session.commit()
            await reply(update, context, t("exercises.ask_add"))
            return None
        row = (
            await profile_service.get_exercise(session, user.id, exercise_id)
            if exercise_id is not None
            else None
        )
        if row is None:
            return t("plan.gone")
        toast = await _item_action(update, context, session, user, row, action)
        await session.commit()
        return toast


async def _item_action(
    update: Update, context: Context, session: AsyncSession, user: User, row: Exercise, action: str
) -> str | None:
    now = services(context).clock.now()
    if action == "sel":
        await edit_or_reply(
            update, context, t("plan.selected", exercise=label(row)), keyboard(item_buttons(row))
        )
    elif action in ("up", "dn"):
        moved = await profile_service.move_exercise(
            session, user.id, row.id, -1 if action == "up" else 1
        )
        if not moved:
            return t("common.step_done")
        text, rows = await plan_view(session, user)
        await edit_or_reply(update, context, text, keyboard(rows))
    elif action == "ed":
        await set_dialog(session, user.id, FLOW, f"dose:{row.id}", {}, now)
        await reply(update, context, t("plan.ask_dose", name=row.name))
    elif action == "rm":
        name = await profile_service.remove_exercise(session, user.id, row.id)
        text, rows = await plan_view(session, user)
        await edit_or_reply(
            update, context, f"{t('plan.removed', name=name)}\n\n{text}", keyboard(rows)
        )
    else:
        return t("common.stale")
    return None


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("exercises", exercises_command))
    app.add_handler(CallbackQueryHandler(button_handler(_handle), pattern=r"^ex:"))
    register_legacy_flow(FLOW, on_message)
