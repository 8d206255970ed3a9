"""/running and the "rr:..." buttons as a thin adapter over ``bot.services.return_to_run``.

Button data (built by the use cases): ``rr:clr`` (my PT cleared me), ``rr:yes`` / ``rr:no``
(confirm), ``rr:log:<day>:<d|c|s>``, ``rr:pd:<day>:<code>:<pain>``,
``rr:pa:<day>:<code>:<during>:<after>``, ``rr:mo:<day>:<better|same|worse>``, ``rr:plan``,
``rr:menu`` (from /settings). Typed stages from the user's PT come through the router, which
triages every free-text message first.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.domain import callbacks
from bot.domain.callbacks import ButtonFamily, pattern
from bot.domain.enums import MorningResponse, RunStatus
from bot.domain.return_to_run import load_ladder
from bot.domain.wording import say
from bot.services import return_to_run as use_cases
from bot.services.dialogs import DialogState
from bot.services.outcome import Outcome
from handlers.common import Context, button_handler, render, run_use_case, services
from handlers.router import Incoming, pass_as_if_no_step, pass_to_free_text, register_flow


async def running_command(update: Update, context: Context) -> None:
    if update.effective_user is None:
        return
    now = services(context).clock.now()
    outcome = await run_use_case(context, use_cases.open_running, update.effective_user.id, now)
    await render(update, context, outcome)


def _score(text: str) -> int | None:
    return int(text) if text.isdecimal() and 0 <= int(text) <= 10 else None


async def _on_button(update: Update, context: Context, parts: list[str]) -> str | None:
    assert update.effective_user is not None
    tg_id = update.effective_user.id
    now = services(context).clock.now()
    action, args = (parts[1] if len(parts) > 1 else ""), parts[2:]
    simple = {
        "clr": use_cases.request_clearance,
        "yes": use_cases.confirm_clearance,
        "no": use_cases.decline_clearance,
        "plan": use_cases.start_custom_plan,
        "menu": use_cases.open_running,
    }
    outcome: Outcome
    day = use_cases.parse_day(args[0]) if args else None
    code = use_cases.STATUS_CODES.get(args[1]) if len(args) > 1 else None
    if action in simple:
        outcome = await run_use_case(context, simple[action], tg_id, now)
    elif action == "log" and day is not None and code is not None:
        if code is RunStatus.SKIPPED:
            outcome = await run_use_case(
                context, use_cases.log_run, tg_id, day, code, None, None, now
            )
        else:
            outcome = await run_use_case(
                context, use_cases.ask_run_pain, tg_id, day, args[1], None, now
            )
    elif (
        action == "pd"
        and day is not None
        and code
        and len(args) == 3
        and _score(args[2]) is not None
    ):
        outcome = await run_use_case(
            context, use_cases.ask_run_pain, tg_id, day, args[1], _score(args[2]), now
        )
    elif action == "pa" and day is not None and code and len(args) == 4:
        during, after = _score(args[2]), _score(args[3])
        if during is None or after is None:
            return say("common.expired")
        outcome = await run_use_case(
            context, use_cases.log_run, tg_id, day, code, during, after, now
        )
    elif (
        action == "mo"
        and day is not None
        and len(args) == 2
        and args[1] in use_cases.MORNING_ANSWERS
    ):
        outcome = await run_use_case(
            context, use_cases.answer_morning, tg_id, day, MorningResponse(args[1]), now
        )
    else:
        return load_ladder().text("expired")
    await render(update, context, outcome)
    return outcome.toast


async def on_menu_text(
    update: Update, context: Context, state: DialogState, incoming: Incoming
) -> None:
    """Typed under the /running menu: a button's words (or number) act as its tap; anything
    else closes the menu and goes where it would have gone with no step open."""
    now = services(context).clock.now()
    data = await run_use_case(
        context, use_cases.typed_menu_choice, state.telegram_id, incoming.text, now
    )
    if data is None:
        await pass_as_if_no_step(update, context, incoming)
        return
    decoded = callbacks.decode(data)
    await _on_button(update, context, [decoded.family.value, *decoded.parts])


async def on_plan_text(
    update: Update, context: Context, state: DialogState, incoming: Incoming
) -> None:
    now = services(context).clock.now()
    outcome = await run_use_case(
        context, use_cases.save_custom_plan, state.telegram_id, incoming.text, now
    )
    await render(update, context, outcome)


async def on_pain_text(
    update: Update, context: Context, state: DialogState, incoming: Incoming
) -> None:
    """A run's pain score typed instead of tapped (also in "7 and it woke me at night",
    which the router has answered as a red flag first)."""
    outcome = await run_use_case(
        context,
        use_cases.typed_run_pain,
        state.telegram_id,
        state.data,
        incoming.text,
        services(context).clock.now(),
        flagged=incoming.flagged,
    )
    if not outcome.replies and not incoming.flagged:
        await pass_to_free_text(update, context, incoming)
        return
    await render(update, context, outcome)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("running", running_command))
    app.add_handler(
        CallbackQueryHandler(button_handler(_on_button), pattern=pattern(ButtonFamily.RUN))
    )
    register_flow(use_cases.MENU_FLOW, on_menu_text)
    register_flow(use_cases.PLAN_FLOW, on_plan_text)
    register_flow(use_cases.PAIN_FLOW, on_pain_text, see_flagged=True)
