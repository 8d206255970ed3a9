"""The check-in conversation as use cases: done / some / not today / later, pain 0-10 (tapped
or typed), an optional note, and the next-morning answer.

Each function takes plain values (the presser's Telegram id, the day the button belongs to,
its argument, now), does all its database work in the caller's one short transaction, and
returns an ``Outcome``. Pain goes through the one pain model (``bot.domain.pain``) and, when
it escalates, through the one safety home (``bot.services.safety``).
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CheckIn, ScheduledMessage
from bot.domain import pain as pain_model
from bot.domain.callbacks import ButtonFamily, encode, parts_of
from bot.domain.content import load_checkin_text, load_safety_text
from bot.domain.enums import MessageStatus, MorningResponse
from bot.domain.kinds import MessageKind
from bot.domain.onboarding import is_question
from bot.domain.parsing import (
    InputError,
    parse_duration,
    read_menu_choice,
    read_typed_checkin,
    read_typed_morning,
)
from bot.domain.timing import in_quiet_hours, local_date
from bot.domain.wording import delay_words, injury_phrase, pain_detail, say
from bot.services import checkins, nudge_triggers, return_to_run, safety
from bot.services.activity import first_press, forget_press
from bot.services.context import UserContext, load, plan_of
from bot.services.dialogs import clear_dialog, get_dialog, set_dialog
from bot.services.outcome import ButtonRows, Outcome, Reply, rows
from bot.services.outgoing_checkin import (
    checkin_buttons,
    day_code,
    plan_morning_question,
    prompt_text,
)
from bot.services.planner import cancel_pending, sent_since, upsert_message
from bot.services.return_to_run import offer_if_cleared
from bot.services.small_talk import reads_as_note, step_small_talk

FLOW = "checkin"
NOTE_MAX = 1000
SNOOZE_MINUTES = (30, 60, 180)
SNOOZE_STEP = "snooze"  # "When should I ask again?" is open
REASON_STEP = "reason"  # "What got in the way?" is open: a reason typed as it reads
NOTE_STEP = "note"  # "Want to add a note?" is open: the day's note, typed
MORNING_ANSWERS = ("better", "same", "worse")
ESCALATION_LOOKBACK_DAYS = 7


def _rng() -> random.Random:
    return random.Random()


def parse_day(code: str) -> date | None:
    try:
        return datetime.strptime(code, "%Y%m%d").date()
    except ValueError:
        return None


def _chunk(buttons: list[tuple[str, str]], per_row: int) -> ButtonRows:
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))


def pain_keyboard(day: date) -> ButtonRows:
    d = day_code(day)
    return _chunk([(str(n), encode(ButtonFamily.CHECKIN, d, "p", n)) for n in range(11)], 6)


def _ask_pain(lead: str, day: date) -> Outcome:
    return Outcome.say(
        f"{lead}\n\n{load_checkin_text().render('ask_pain', _rng())}", pain_keyboard(day), edit=True
    )


async def _set_pain_step(
    session: AsyncSession, ctx: UserContext, day: date, now: datetime, prompt: int | None
) -> None:
    """While the pain buttons are shown, a typed score is read as a tap. ``prompt``: the
    message the question was edited into (the tapped check-in), so that a typed score can
    tidy it up; None when it went out as a new message (after a typed "did them all")."""
    data: dict[str, object] = {"day": day.isoformat()}
    if prompt is not None:
        data["prompt"] = prompt
    await set_dialog(session, ctx.user.id, FLOW, "pain", data, now)


# --- button presses --------------------------------------------------------------------------

Action = Callable[
    [AsyncSession, UserContext, date, str | None, datetime, int | None], Awaitable[Outcome]
]
"""A button's use case: (session, who, the button's day, its argument, now, the id of the
message it was on, None when a typed answer stands for the tap)."""


async def press(
    session: AsyncSession,
    telegram_id: int,
    data: str,
    now: datetime,
    message_id: int | None = None,
) -> Outcome:
    """A check-in button (``ci:<day>:<action>[:<arg>]``) pressed by ``telegram_id`` on the
    message ``message_id``. Each button takes effect once per message: a second press of it
    (a quick double tap, or the same tap handled by another instance) changes nothing and
    sends nothing, whatever the clock says. The exercise toggles may be pressed again, and so
    may a button whose press was refused and changed nothing."""
    parts = parts_of(data, ButtonFamily.CHECKIN)
    day = parse_day(parts[0]) if len(parts) >= 2 else None
    action, arg = (parts[1], parts[2] if len(parts) > 2 else None) if day else ("", None)
    ctx = await load(session, telegram_id, now, with_plan=True)
    if ctx is None or day is None or not ctx.ready:
        return Outcome.nothing(load_checkin_text().render("flow.checkin_closed"))
    if day != ctx.today:
        return Outcome.nothing(load_checkin_text().render("closed", _rng()), alert=True)
    if ctx.safety.on_hold and action not in _ALLOWED_ON_HOLD:
        # An old check-in message tapped during a hold: explain the hold, record nothing.
        hold = safety.hold_reply(ctx.safety)
        assert hold is not None
        return Outcome((hold,))
    handle = _ACTIONS.get(action, _unknown)
    once = message_id if handle is not _unknown and action not in REPEATABLE else None
    if once is not None and not await first_press(session, ctx.user.id, once, data, now):
        return Outcome.nothing()  # pressed already: the first press answered
    outcome = await handle(session, ctx, day, arg, now, message_id)
    if once is not None and not outcome.changed:
        # Refused (Done with nothing ticked yet): the same button may be pressed again.
        await forget_press(session, ctx.user.id, once, data)
    return outcome


_ALLOWED_ON_HOLD = frozenset({"nonote", "keep"})
"""Check-in buttons that still work during a safety hold (they ask for no exercise)."""


async def _unknown(
    session: AsyncSession,
    ctx: UserContext,
    day: date,
    arg: str | None,
    now: datetime,
    message_id: int | None = None,
) -> Outcome:
    return Outcome.nothing(say("common.expired"))


async def _record_done(
    session: AsyncSession,
    ctx: UserContext,
    day: date,
    now: datetime,
    status: str,
    names: list[str],
    prompt: int | None,
) -> Outcome:
    # The day's follow-up and snoozed reminder are not cancelled here: each skips an answered
    # day when it comes due (outgoing_checkin.FollowupKind), so the press saves a statement.
    await checkins.record(session, ctx.user, day, now, status=status, exercises_done=names)
    await _set_pain_step(session, ctx, day, now, prompt)
    key = "done_all" if status == "done" else "did_some"
    if ctx.safety.allows_cheering:
        lead = load_checkin_text().render(
            key, _rng(), first_name=ctx.user.first_name, injury=injury_phrase(ctx.injury_area)
        )
    else:  # a concern is open: logged, without praise
        lead = load_safety_text().render("watch.logged")
    return _ask_pain(lead, day)


async def _done(
    session: AsyncSession,
    ctx: UserContext,
    day: date,
    arg: str | None,
    now: datetime,
    message_id: int | None = None,
) -> Outcome:
    plan = plan_of(ctx)
    return await _record_done(session, ctx, day, now, "done", [e.name for e in plan], message_id)


def _toggle_rows(plan: list, selected: set[int], day: date) -> ButtonRows:  # type: ignore[type-arg]
    d = day_code(day)
    lines = [
        [
            (
                ("✅ " if e.id in selected else "▫️ ") + e.name,
                encode(ButtonFamily.CHECKIN, d, "t", e.id),
            )
        ]
        for e in plan
    ]
    lines.append([(load_checkin_text().button("done"), encode(ButtonFamily.CHECKIN, d, "ok"))])
    return rows(*lines)


async def _some(
    session: AsyncSession,
    ctx: UserContext,
    day: date,
    arg: str | None,
    now: datetime,
    message_id: int | None = None,
) -> Outcome:
    plan = plan_of(ctx)
    if not plan:
        return await _done(session, ctx, day, None, now, message_id)
    await set_dialog(
        session, ctx.user.id, FLOW, "which", {"day": day.isoformat(), "selected": []}, now
    )
    return Outcome.say(
        load_checkin_text().render("ask_which", _rng()), _toggle_rows(plan, set(), day), edit=True
    )


async def _toggle(
    session: AsyncSession,
    ctx: UserContext,
    day: date,
    arg: str | None,
    now: datetime,
    message_id: int | None = None,
) -> Outcome:
    dialog = await get_dialog(session, ctx.user.id)
    plan = plan_of(ctx)
    if (
        dialog is None
        or dialog.flow != FLOW
        or dialog.step != "which"
        or not arg
        or not arg.isdecimal()
    ):
        return Outcome.nothing(load_checkin_text().render("flow.list_closed"))
    exercise_id = int(arg)
    if exercise_id not in {e.id for e in plan}:
        return Outcome.nothing(load_checkin_text().render("flow.exercise_gone"))
    selected = set(dialog.data.get("selected", [])) ^ {exercise_id}
    await set_dialog(
        session,
        ctx.user.id,
        FLOW,
        "which",
        {"day": day.isoformat(), "selected": sorted(selected)},
        now,
    )
    return Outcome.say(
        load_checkin_text().render("ask_which"), _toggle_rows(plan, selected, day), edit=True
    )


async def _confirm_some(
    session: AsyncSession,
    ctx: UserContext,
    day: date,
    arg: str | None,
    now: datetime,
    message_id: int | None = None,
) -> Outcome:
    dialog = await get_dialog(session, ctx.user.id)
    if dialog is None or dialog.flow != FLOW or dialog.step != "which":
        return Outcome.nothing(load_checkin_text().render("flow.already_saved"))
    plan = plan_of(ctx)
    selected = set(dialog.data.get("selected", []))
    names = [e.name for e in plan if e.id in selected]
    if not names:
        return Outcome.nothing(load_checkin_text().render("flow.tap_one"), alert=True)
    status = "done" if len(names) == len(plan) else "partial"
    return await _record_done(session, ctx, day, now, status, names, message_id)


async def _not_today(
    session: AsyncSession,
    ctx: UserContext,
    day: date,
    arg: str | None,
    now: datetime,
    message_id: int | None = None,
) -> Outcome:
    text = load_checkin_text()
    d = day_code(day)
    buttons = _chunk(
        [(r.label, encode(ButtonFamily.CHECKIN, d, "r", r.id)) for r in text.not_today], 2
    )
    await set_dialog(session, ctx.user.id, FLOW, REASON_STEP, {"day": day.isoformat()}, now)
    return Outcome.say(
        text.render("ask_reason", _rng(), first_name=ctx.user.first_name), buttons, edit=True
    )


async def _reason(
    session: AsyncSession,
    ctx: UserContext,
    day: date,
    arg: str | None,
    now: datetime,
    message_id: int | None = None,
) -> Outcome:
    text = load_checkin_text()
    if arg not in {r.id for r in text.not_today}:
        return Outcome.nothing(say("common.expired"))
    existing = await checkins.get_checkin(session, ctx.user.id, day)
    if existing is not None and existing.status == "skipped" and existing.skip_reason == arg:
        return Outcome.nothing()  # a double press: already recorded
    await checkins.record(session, ctx.user, day, now, status="skipped", skip_reason=arg)
    await clear_dialog(session, ctx.user.id)  # the follow-up skips an answered day by itself
    response = text.render_reason(
        arg, _rng(), first_name=ctx.user.first_name, injury=injury_phrase(ctx.injury_area)
    )
    return Outcome.say(response, edit=True)


async def _later(
    session: AsyncSession,
    ctx: UserContext,
    day: date,
    arg: str | None,
    now: datetime,
    message_id: int | None = None,
) -> Outcome:
    d = day_code(day)
    line = [
        (delay_words(m, short=True), encode(ButtonFamily.CHECKIN, d, "z", m))
        for m in SNOOZE_MINUTES
    ]
    # Recorded as the step, so "1 hour" or "in 2 hours" typed under it works as a tap.
    await set_dialog(session, ctx.user.id, FLOW, SNOOZE_STEP, {"day": day.isoformat()}, now)
    return Outcome.say(load_checkin_text().render("flow.ask_when"), rows(line), edit=True)


async def _snooze(
    session: AsyncSession,
    ctx: UserContext,
    day: date,
    arg: str | None,
    now: datetime,
    message_id: int | None = None,
) -> Outcome:
    if arg is None or not arg.isdecimal() or int(arg) not in SNOOZE_MINUTES:
        return Outcome.nothing(say("common.expired"))
    return await _snooze_for(session, ctx, day, int(arg), now)


async def _snooze_for(
    session: AsyncSession, ctx: UserContext, day: date, minutes: int, now: datetime
) -> Outcome:
    """Ask again in ``minutes`` (a button's length, or one typed under the question)."""
    user = ctx.user
    assert user.timezone
    dialog = await get_dialog(session, user.id)
    if dialog is not None and dialog.flow == FLOW and dialog.step == SNOOZE_STEP:
        await clear_dialog(session, user.id)
    due = now + timedelta(minutes=minutes)
    if local_date(due, user.timezone) != day or in_quiet_hours(
        due, user.timezone, user.quiet_start, user.quiet_end
    ):
        return Outcome.say(load_checkin_text().render("flow.quiet_hours"), edit=True)
    planned = await upsert_message(
        session, user_id=user.id, kind=MessageKind.SNOOZE, day=day, due_at=due, now=now
    )
    if planned is None:  # an earlier snooze already went out today: reuse its row
        row = (
            await session.execute(
                select(ScheduledMessage).where(
                    ScheduledMessage.user_id == user.id,
                    ScheduledMessage.kind == MessageKind.SNOOZE,
                    ScheduledMessage.local_date == day,
                )
            )
        ).scalar_one()
        row.status, row.due_at, row.attempts = "pending", due, 0
    await cancel_pending(session, user.id, (MessageKind.FOLLOWUP,))
    return Outcome.say(
        load_checkin_text().render("snooze_ack", _rng(), delay=delay_words(minutes)), edit=True
    )


async def _pain_press(
    session: AsyncSession,
    ctx: UserContext,
    day: date,
    arg: str | None,
    now: datetime,
    message_id: int | None = None,
) -> Outcome:
    if arg is None or not arg.isdecimal() or not 0 <= int(arg) <= 10:
        return Outcome.nothing(say("common.expired"))
    return await _log_pain(session, ctx, day, int(arg), now, edit=True)


async def _recent_pain_days(
    session: AsyncSession, user_id: int, day: date
) -> list[pain_model.PainDay]:
    """The recent sessions as the pain model sees them, oldest first, ending at ``day``."""
    found = (
        await session.execute(
            select(CheckIn.pain, CheckIn.morning_response)
            .where(
                CheckIn.user_id == user_id,
                CheckIn.local_date > day - timedelta(days=ESCALATION_LOOKBACK_DAYS),
                CheckIn.local_date <= day,
            )
            .order_by(CheckIn.local_date)
        )
    ).all()
    return [
        pain_model.PainDay(pain, morning)
        for pain, morning in found
        if pain is not None or morning is not None
    ]


async def _escalate(
    session: AsyncSession, ctx: UserContext, day: date, now: datetime
) -> Reply | None:
    """The pain model's escalation rule over the recent sessions (None: no escalation)."""
    await session.flush()
    days = await _recent_pain_days(session, ctx.user.id, day)
    reason = pain_model.escalation(days)
    if reason is None:
        return None
    return await safety.raise_for_pain(session, ctx.user, reason, now, detail=pain_detail(days))


async def _log_pain(
    session: AsyncSession,
    ctx: UserContext,
    day: date,
    pain: int,
    now: datetime,
    *,
    edit: bool,
    prompt: int | None = None,
    noted: bool = False,
) -> Outcome:
    """Save today's pain score (tapped or typed) and answer from the pain model. A tapped
    score (``edit``) turns the question into the answer; a typed one is answered in new
    messages, and the question above it (``prompt``, when known) is tidied last (see
    ``_answered_prompt``), so a failed edit delays nothing and loses nothing. ``noted``: the
    day's note was typed under the pain question already, so it is not asked for again."""
    user = ctx.user
    checkin = await checkins.get_checkin(session, user.id, day)
    if checkin is None or checkin.status not in ("done", "partial"):
        return Outcome.nothing(load_checkin_text().render("flow.log_first"))
    cheered = ctx.safety.allows_cheering  # as when the question (and its praise) was shown
    checkin.pain = pain
    checkin.updated_at = now
    text = load_checkin_text()
    # Planned only when the pain model says the next morning matters; a score corrected down
    # to the comfortable band drops the question again (its row re-checks when it is due).
    if pain_model.ask_next_morning(pain):
        await plan_morning_question(session, user, day, now)
    escalated = await _escalate(session, ctx, day, now)
    head = text.render("flow.pain_head", pain=pain)
    d = day_code(day)
    ask_note = text.render("ask_note", _rng())
    skip = rows([(text.button("skip"), encode(ButtonFamily.CHECKIN, d, "nonote"))])
    replies: list[Reply] = []
    if escalated is not None:
        # Calm advice to contact the therapist instead of the standard reply; a new
        # message with its own buttons, so it is never edited away.
        replies.append(Reply(head, edit=edit) if edit else Reply(head))
        replies.append(escalated)
        if not noted:
            replies.append(Reply(ask_note, skip))
    else:
        low = pain_model.band(pain) is pain_model.PainBand.LOW
        settled = await safety.pain_settled(session, user, now) if low else None
        if low and settled is None and not safety.state_of(user).allows_cheering:
            # Low pain while another concern is open: no "keep going".
            parts = [load_safety_text().render("watch.low_pain")]
        else:
            parts = [
                text.render(
                    f"pain_response.{pain_model.band(pain)}",
                    _rng(),
                    first_name=user.first_name,
                    injury=injury_phrase(ctx.injury_area),
                )
            ]
        if pain_model.rising(await checkins.recent_pains(session, user.id, day)):
            parts.append(text.render("rising_pain_warning", _rng(), first_name=user.first_name))
        if settled is not None:
            parts.append(settled.text)
        # The answer and the note question are one message (one Telegram call fewer at the
        # evening peak); "Skip" later removes only the button, so the answer stays readable.
        if noted:
            replies.append(Reply("\n\n".join([head, *parts]), edit=edit))
        else:
            replies.append(Reply("\n\n".join([head, *parts, ask_note]), skip, edit=edit))
    if prompt is not None:
        replies.append(_answered_prompt(prompt, checkin, pain, cheered=cheered))
    await nudge_triggers.on_checkin(session, user, checkin, now)
    if noted:
        await clear_dialog(session, user.id)
    else:
        await set_dialog(session, user.id, FLOW, NOTE_STEP, {"day": day.isoformat()}, now)
    return Outcome(tuple(replies))


def _answered_prompt(prompt: int, checkin: CheckIn, pain: int, *, cheered: bool) -> Reply:
    """The pain question (with the praise it was asked under) once a typed score answered it:
    its buttons close; in the comfortable band the praise stands, above it the words become a
    plain record of the day, so no "brilliant work" sits over "ease off and contact your PT"."""
    if cheered and pain_model.band(pain) is pain_model.PainBand.LOW:
        return Reply("", earlier=prompt, buttons_only=True)
    done = (
        say("today.done")
        if checkin.status == "done"
        else say("today.partial", count=len(checkin.exercises_done or ()))
    )
    status = say("today.with_pain", status=done, pain=pain)
    return Reply(load_checkin_text().render("flow.recorded", status=status), earlier=prompt)


async def _skip_note(
    session: AsyncSession,
    ctx: UserContext,
    day: date,
    arg: str | None,
    now: datetime,
    message_id: int | None = None,
) -> Outcome:
    dialog = await get_dialog(session, ctx.user.id)
    if dialog is not None and dialog.flow == FLOW:
        await clear_dialog(session, ctx.user.id)
        return Outcome(
            (Reply("", buttons_only=True),), toast=load_checkin_text().render("flow.no_note")
        )
    return Outcome.nothing()


async def _update_today(
    session: AsyncSession,
    ctx: UserContext,
    day: date,
    arg: str | None,
    now: datetime,
    message_id: int | None = None,
) -> Outcome:
    prompt = prompt_text(_rng(), ctx.user.first_name, ctx.rehab_day, ctx.injury_area)
    return Outcome.say(prompt, checkin_buttons(day), edit=True)


async def _keep_today(
    session: AsyncSession,
    ctx: UserContext,
    day: date,
    arg: str | None,
    now: datetime,
    message_id: int | None = None,
) -> Outcome:
    return Outcome.say(load_checkin_text().render("flow.kept"), edit=True)


#: Buttons that mean something new each time they are pressed on the same message.
REPEATABLE = frozenset({"t"})  # an exercise toggle: on, off, on again

_ACTIONS: dict[str, Action] = {
    "done": _done,
    "some": _some,
    "t": _toggle,
    "ok": _confirm_some,
    "no": _not_today,
    "r": _reason,
    "later": _later,
    "z": _snooze,
    "p": _pain_press,
    "nonote": _skip_note,
    "upd": _update_today,
    "keep": _keep_today,
}


# --- typed answers (free text while in the check-in flow) ------------------------------------


async def typed(
    session: AsyncSession,
    telegram_id: int,
    step: str,
    data: Mapping[str, object],
    text: str | None,
    now: datetime,
    *,
    flagged: bool = False,
) -> Outcome:
    """Text typed at a check-in step (the router has triaged it already; ``flagged``: it was
    a red flag, answered and recorded, so only a pain score is taken from it, never a note).
    At the pain step, text that is not a score leaves the step and comes back unhandled
    (``changed=False``
    and no replies), for the free-text path (a question while the buttons are shown)."""
    ctx = await load(session, telegram_id, now)
    if ctx is None or not ctx.ready:
        return Outcome.nothing()
    if step == "pain":
        return await _typed_pain(session, ctx, data, text, now, flagged=flagged)
    if flagged:
        return Outcome.nothing()  # the step keeps waiting
    if step == SNOOZE_STEP:
        return await _typed_snooze(session, ctx, data, text, now)
    if step == "which":
        return await _typed_which(session, telegram_id, data, text, now)
    if step == REASON_STEP:
        return await _typed_reason(session, ctx, telegram_id, data, text, now)
    if step != NOTE_STEP:
        return Outcome.say(load_checkin_text().render("flow.tap_exercises"))
    return await _note(session, ctx, data, text, now)


async def _typed_reason(
    session: AsyncSession,
    ctx: UserContext,
    telegram_id: int,
    data: Mapping[str, object],
    text: str | None,
    now: datetime,
) -> Outcome:
    """Typed under "What got in the way?": a reason as its button reads (or its number, or
    a short form) is that tap; anything else closes the question and comes back unhandled,
    for wherever it would have gone with no step open."""
    d = day_code(date.fromisoformat(str(data["day"])))
    reasons = load_checkin_text().not_today
    labels = {encode(ButtonFamily.CHECKIN, d, "r", r.id): r.label for r in reasons}
    choice = read_menu_choice(text, labels)
    if choice is None:
        await clear_dialog(session, ctx.user.id)
        return Outcome.nothing()
    return await press(session, telegram_id, choice, now)


async def _typed_which(
    session: AsyncSession,
    telegram_id: int,
    data: Mapping[str, object],
    text: str | None,
    now: datetime,
) -> Outcome:
    """Typed under "Which did you do?": an exercise's name (or its number, or a short form)
    as its toggle, "done" as Done; anything else says how to answer, the list kept."""
    ctx = await load(session, telegram_id, now, with_plan=True)
    words = load_checkin_text()
    if ctx is None:
        return Outcome.nothing()
    d = day_code(date.fromisoformat(str(data["day"])))
    labels = {encode(ButtonFamily.CHECKIN, d, "t", e.id): e.name for e in plan_of(ctx)}
    labels[encode(ButtonFamily.CHECKIN, d, "ok")] = words.button("done")
    choice = read_menu_choice(text, labels)
    if choice is None:
        return Outcome.say(words.render("flow.tap_exercises"))
    outcome = await press(session, telegram_id, choice, now)
    if not outcome.replies and outcome.toast:  # "tap one first": said, not a passing toast
        return Outcome.say(outcome.toast)
    return outcome


async def _typed_snooze(
    session: AsyncSession,
    ctx: UserContext,
    data: Mapping[str, object],
    text: str | None,
    now: datetime,
) -> Outcome:
    """A length typed under "When should I ask again?" ("1 hour", "in 2 hours", "90 min"):
    as the button of that length. Anything else closes the question and comes back
    unhandled, for wherever it would have gone ("did them all" answers the day)."""
    day = date.fromisoformat(str(data["day"]))
    try:
        length = parse_duration((text or "").strip())
    except InputError:
        length = None
    if length is None or length < timedelta(minutes=1) or day != ctx.today:
        await clear_dialog(session, ctx.user.id)
        return Outcome.nothing()
    return await _snooze_for(session, ctx, day, int(length.total_seconds() // 60), now)


async def _typed_pain(
    session: AsyncSession,
    ctx: UserContext,
    data: Mapping[str, object],
    text: str | None,
    now: datetime,
    *,
    flagged: bool = False,
) -> Outcome:
    day = date.fromisoformat(str(data["day"]))
    score = pain_model.parse_typed_pain(text) if text is not None else None
    if score is None and flagged:
        return Outcome.nothing()  # the step keeps waiting for the score
    aside = step_small_talk(text, unread=True) if score is None and day == ctx.today else None
    if aside is not None:  # "thanks", "ok": a word back, and the pain question again
        ask = Reply(load_checkin_text().render("ask_pain", _rng()), pain_keyboard(day))
        return Outcome((*aside, ask), changed=False)
    if score is None and text is not None and day == ctx.today and not is_question(text):
        return await _not_a_score(session, ctx, data, day, text, now)
    if score is None:  # a question (the FAQ answers it), or a day that is over
        await clear_dialog(session, ctx.user.id)  # the pain buttons still work
        return Outcome.nothing()
    if day != ctx.today:
        await clear_dialog(session, ctx.user.id)
        return Outcome.say(load_checkin_text().render("closed"))
    prompt = data.get("prompt")
    return await _log_pain(
        session,
        ctx,
        day,
        score,
        now,
        edit=False,
        prompt=prompt if isinstance(prompt, int) else None,
        noted=bool(data.get("noted")),
    )


async def _not_a_score(
    session: AsyncSession,
    ctx: UserContext,
    data: Mapping[str, object],
    day: date,
    text: str,
    now: datetime,
) -> Outcome:
    """Free text under the pain question that is no score, no question and no small talk. A
    note of the day ("did them at the gym, calves tight afterwards", see ``reads_as_note``)
    is kept as the day's note, as the note question after the score would have kept it (so
    that question is not asked again); anything shorter is not. Either way the answer says a
    score from 0 to 10 is needed first, and the question stays open with its buttons."""
    words = load_checkin_text()
    ask = pain_keyboard(day)
    note = text.strip()
    if not reads_as_note(note):
        return Outcome((Reply(words.render("flow.pain_first"), ask),), changed=False)
    if len(note) > NOTE_MAX:
        return Outcome.say(words.render("flow.note_too_long", length=len(note), max=NOTE_MAX))
    checkin = await checkins.get_checkin(session, ctx.user.id, day)
    if checkin is None or checkin.status not in ("done", "partial"):
        await clear_dialog(session, ctx.user.id)
        return Outcome.nothing()
    offer = await _keep_note(session, ctx, checkin, note, now)
    await set_dialog(session, ctx.user.id, FLOW, "pain", {**data, "noted": True}, now)
    kept = Reply(words.render("flow.note_kept_pain_first"), ask)
    return Outcome((offer, kept) if offer is not None else (kept,))


async def _keep_note(
    session: AsyncSession, ctx: UserContext, checkin: CheckIn, note: str, now: datetime
) -> Reply | None:
    """Save ``note`` as the day's note; a note that says a clinician cleared the user to run
    brings the return-to-running offer (returned, None otherwise)."""
    checkin.note = note
    checkin.updated_at = now
    return await offer_if_cleared(session, ctx.user, note)


async def _note(
    session: AsyncSession,
    ctx: UserContext,
    data: Mapping[str, object],
    text: str | None,
    now: datetime,
) -> Outcome:
    day = date.fromisoformat(str(data["day"]))
    if day != ctx.today:
        # A note question left open since an earlier day is no question any more: what is
        # typed now (today's "did them all", the morning's "worse", an answer to the safety
        # follow-up) goes where it would with no step open, and nothing is lost.
        await clear_dialog(session, ctx.user.id)
        return Outcome.nothing()
    if text is None:
        return Outcome.say(load_checkin_text().render("flow.note_not_text"))
    note = text.strip()
    if not note:
        return Outcome.say(load_checkin_text().render("flow.note_empty"))
    if len(note) > NOTE_MAX:
        return Outcome.say(
            load_checkin_text().render("flow.note_too_long", length=len(note), max=NOTE_MAX)
        )
    aside = step_small_talk(note)  # "thanks" is not a note about the day
    if aside is not None:
        words = load_checkin_text()
        code = day_code(day)
        skip = rows([(words.button("skip"), encode(ButtonFamily.CHECKIN, code, "nonote"))])
        return Outcome((*aside, Reply(words.render("ask_note", _rng()), skip)))
    checkin = await checkins.get_checkin(session, ctx.user.id, day)
    await clear_dialog(session, ctx.user.id)
    if checkin is None:
        return Outcome.say(load_checkin_text().render("closed"))
    offer = await _keep_note(session, ctx, checkin, note, now)
    saved = Reply(load_checkin_text().render("note_saved", _rng()))
    return Outcome((saved, offer) if offer is not None else (saved,))


# --- an answer typed with no step open (the buttons' words) ---------------------------------

_PROMPT_KINDS = (MessageKind.CHECKIN, MessageKind.FOLLOWUP, MessageKind.SNOOZE)


async def typed_answer(
    session: AsyncSession, telegram_id: int, text: str, now: datetime
) -> Outcome | None:
    """Text typed while no step is open that answers the question the bot last asked, as
    its button would: "did them all", "yes", "not today", "later" while today's check-in
    prompt went out and is unanswered; "better", "a bit worse" while a next-morning
    question is open (after a check-in's pain, else after a run: ``return_to_run``). None
    when it answers nothing open (the text goes to the FAQ)."""
    morning = read_typed_morning(text)
    action = read_typed_checkin(text) if morning is None else None
    if morning is None and action is None:
        return None
    ctx = await load(session, telegram_id, now)
    if ctx is None or not ctx.ready:
        return None
    if morning is not None:
        about = await _open_morning_question(session, ctx)
        if about is not None:
            data = encode(ButtonFamily.MORNING, day_code(about), morning)
            return await answer_morning(session, telegram_id, data, now)
        run_day = await return_to_run.open_morning_question(session, ctx.user.id, ctx.today)
        if run_day is None:
            return None
        return await return_to_run.answer_morning(
            session, telegram_id, run_day, MorningResponse(morning), now
        )
    assert action is not None
    # A button's own words answer today's check-in whenever it is open (also one opened by
    # /checkin); a bare "yes" or "done" only while the day's prompt is out and unanswered.
    if await _answered_today(session, ctx) or (
        read_typed_checkin(text, labels_only=True) is None and not await _prompt_sent(session, ctx)
    ):
        return None
    return await press(
        session, telegram_id, encode(ButtonFamily.CHECKIN, day_code(ctx.today), action), now
    )


async def _answered_today(session: AsyncSession, ctx: UserContext) -> bool:
    existing = await checkins.get_checkin(session, ctx.user.id, ctx.today)
    return existing is not None and existing.status != "missed"


async def _prompt_sent(session: AsyncSession, ctx: UserContext) -> bool:
    """Today's check-in question went out (scheduled, followed up or snoozed)."""
    sent = await session.scalar(
        select(ScheduledMessage.id)
        .where(
            ScheduledMessage.user_id == ctx.user.id,
            ScheduledMessage.kind.in_([k.value for k in _PROMPT_KINDS]),
            ScheduledMessage.local_date == ctx.today,
            ScheduledMessage.status == MessageStatus.SENT,
        )
        .limit(1)
    )
    return sent is not None


async def _open_morning_question(session: AsyncSession, ctx: UserContext) -> date | None:
    """The day a sent, still unanswered next-morning question is about (asked today or
    yesterday), else None."""
    sent = await sent_since(
        session, ctx.user.id, MessageKind.MORNING, ctx.today - timedelta(days=1)
    )
    for _, payload in sent:
        about = date.fromisoformat(str(payload.get("about")))
        checkin = await checkins.get_checkin(session, ctx.user.id, about)
        if checkin is not None and checkin.morning_response is None:
            return about
    return None


# --- the next-morning question ---------------------------------------------------------------


async def answer_morning(
    session: AsyncSession, telegram_id: int, data: str, now: datetime
) -> Outcome:
    """``mo:<day>:<better|same|worse>``: how the painful session feels the next morning."""
    parts = parts_of(data, ButtonFamily.MORNING)
    about = parse_day(parts[0]) if len(parts) == 2 else None
    answer = parts[1] if len(parts) == 2 else ""
    ctx = await load(session, telegram_id, now)
    if ctx is None or about is None or answer not in MORNING_ANSWERS or not ctx.user.timezone:
        return Outcome.nothing(load_checkin_text().render("flow.question_closed"))
    checkin = await checkins.get_checkin(session, ctx.user.id, about)
    if checkin is None or not (about < ctx.today <= about + timedelta(days=2)):
        return Outcome.nothing(load_checkin_text().render("flow.question_closed"), alert=True)
    if checkin.morning_response is not None:
        return Outcome.nothing()  # answered already (double press)
    checkin.morning_response = answer
    checkin.updated_at = now
    await nudge_triggers.on_morning_response(session, ctx.user, checkin, now)
    if answer == "worse":
        escalated = await _escalate(session, ctx, about, now)
        if escalated is not None:
            return Outcome(
                (Reply(load_checkin_text().render("flow.thanks_for_telling"), edit=True), escalated)
            )
    if answer != "worse" and not safety.state_of(ctx.user).allows_cheering:
        return Outcome.say(load_safety_text().render("watch.morning"), edit=True)
    reply_text = load_checkin_text().render(
        f"morning_response.{answer}",
        _rng(),
        first_name=ctx.user.first_name,
        injury=injury_phrase(ctx.injury_area),
    )
    return Outcome.say(reply_text, edit=True)
