"""Questions to the knowledge base: the one decision path the bot and `python -m bot faq ask`
share, and the use cases behind the FAQ buttons.

``answer_question`` decides what a typed message gets (safety advice, small talk, an answer,
"did you mean", "I don't know", or a request to shorten it) without touching the database,
so the CLI runs exactly what the bot runs. ``ask`` is the bot's use case around it: it also
records the question for content authors (only for users who accepted the terms).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import FaqQuestion, User
from bot.domain import callbacks
from bot.domain.callbacks import ButtonFamily, SafetyAction
from bot.domain.content import load_exercise_templates
from bot.domain.enums import FaqDecision, UserStatus
from bot.domain.faq import FaqEntry, FaqIndex
from bot.domain.faq_context import (
    Asker,
    Fit,
    area_fit,
    order_for_asker,
    prefer_for_asker,
    questions_in,
)
from bot.domain.onboarding import area_names
from bot.domain.wording import say, shorten
from bot.services import context, menus, safety
from bot.services.outcome import ButtonRows, Outcome, rows
from bot.services.small_talk import small_talk_kind
from bot.services.users import get_user

QUESTION_MAX = 1000

# The words of every reply are in bot/content/replies.toml ([faq]), through ``say``.
BROWSED_PREFIX = "[browsed] "  # how a browsed entry is logged, never shown to a user


class Kind(StrEnum):
    SAFETY = "safety"
    EMPTY = "empty"
    SMALL_TALK = "small_talk"
    TOO_LONG = "too_long"
    ANSWER = "answer"
    SUGGEST = "suggest"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Decision:
    """What a typed message gets. ``text`` is the words for every kind but ANSWER and SUGGEST
    (which are built from ``entry`` / ``suggestions``)."""

    kind: Kind
    text: str = ""
    confidence: float = 1.0
    entry: FaqEntry | None = None
    suggestions: tuple[FaqEntry, ...] = ()
    small_talk: str | None = None
    also: tuple[FaqEntry, ...] = ()  # answers to the message's other questions, as buttons

    @property
    def logged_as(self) -> FaqDecision | None:
        """How the question is recorded for authors (None: not recorded)."""
        return {
            Kind.ANSWER: FaqDecision.ANSWER,
            Kind.SUGGEST: FaqDecision.SUGGEST,
            Kind.UNKNOWN: FaqDecision.UNKNOWN,
        }.get(self.kind)


@cache
def injury_area_names() -> Mapping[str, tuple[str, ...]]:
    """Every way each injury area may be named ("Achilles / calf": "achilles", "calf"), from
    the same content the onboarding buttons come from ("other" names no area)."""
    return {
        area.id: tuple(
            dict.fromkeys(n.strip().lower() for n in (*area_names(area), *area.words) if n.strip())
        )
        for area in load_exercise_templates().areas
        if area.id != "other"
    }


@cache
def _area_phrases() -> Mapping[str, str]:
    return {area.id: area.phrase for area in load_exercise_templates().areas}


def asker_of(ctx: context.UserContext | None) -> Asker | None:
    """What the FAQ may use about the user: their injury area and whether they are back to
    running (nothing is used for someone who has not finished setting up)."""
    profile = ctx.profile if ctx is not None else None
    if profile is None:
        return None
    return Asker(
        area_id=profile.injury_area,
        area_phrase=_area_phrases().get(profile.injury_area, ""),
        returning=bool(profile.returning_to_run),
    )


def asker_for_area(area_id: str | None) -> Asker | None:
    """What the FAQ may use about someone still setting up: the injury area they chose
    (None before they chose one); nobody is back to running during set-up."""
    if not area_id:
        return None
    return Asker(area_id=area_id, area_phrase=_area_phrases().get(area_id, ""), returning=False)


def answer_question(index: FaqIndex, text: str, asker: Asker | None = None) -> Decision:
    """The one decision path: safety triage first, then small talk, then the knowledge base.

    ``asker`` (the user's injury area and phase; None in the CLI) only breaks near-ties. A
    message with several questions is answered for the whole message when that is clear,
    with its other answerable questions in ``also`` (offered as buttons); when the whole is
    unclear, the separate questions' answers are offered as "did you mean"."""
    text = text.strip()
    if not text:
        return Decision(Kind.EMPTY, say("faq.empty"))
    flagged = safety.check_text(text)
    if flagged is not None:
        return Decision(Kind.SAFETY, flagged.message_for(asker is not None and asker.returning))
    chat = small_talk_kind(text)
    if chat is not None:
        return Decision(Kind.SMALL_TALK, say(f"faq.small_talk.{chat}"), small_talk=chat)
    if len(text) > QUESTION_MAX:
        return Decision(Kind.TOO_LONG, say("faq.too_long", max=QUESTION_MAX))
    result = index.answer(text)
    main = result.best if result.decision == "answer" else None
    confidence = result.confidence
    if main is not None and asker is not None:
        main = prefer_for_asker(result.ranked, text, asker, injury_area_names()) or main
    answered: list[tuple[FaqEntry, float]] = []
    for question in questions_in(text):
        part = index.answer(question)
        if part.decision == "answer" and part.best is not None:
            answered.append((part.best, part.confidence))
    if main is not None:
        also = {e.id: e for e, _ in answered if e.id != main.id}
        return Decision(
            Kind.ANSWER, entry=main, confidence=confidence, also=tuple(also.values())[:3]
        )
    # Unclear as a whole: its separate questions' answers are offered, never asserted (on the
    # real-question dev split, answering the first one outright was wrong twice in three).
    offered = {e.id: e for e in (*(e for e, _ in answered), *result.suggestions)}
    if offered and (result.decision == "suggest" or answered):
        picks = order_for_asker(tuple(offered.values())[:3], text, asker, injury_area_names())
        return Decision(
            Kind.SUGGEST, say("faq.suggest"), confidence=result.confidence, suggestions=picks
        )
    return Decision(Kind.UNKNOWN, say("faq.unknown"), confidence=result.confidence)


async def prepare(index: FaqIndex, text: str) -> None:
    """Embed a typed message (and the separate questions in it) in a worker thread, before
    the use case's transaction opens: the sentence embedding is a transformer (~2-15 ms of
    CPU for a long question), and neither the event loop nor a database transaction waits
    on it. ``answer_question`` then finds the vectors ready (``FaqIndex.prepare``)."""
    text = text.strip()
    if not text or len(text) > QUESTION_MAX or not index.semantic:
        return
    await asyncio.to_thread(index.prepare, (text, *questions_in(text)))


# --- what the bot shows -----------------------------------------------------------------------


def find_entry(index: FaqIndex, entry_id: str) -> FaqEntry | None:
    return next((e for e in index.entries if e.id == entry_id), None)


def topics(index: FaqIndex) -> list[str]:
    seen: list[str] = []
    for entry in index.entries:
        if entry.topic not in seen:
            seen.append(entry.topic)
    return seen


def answer_text(entry: FaqEntry, question: str = "", asker: Asker | None = None) -> str:
    """An entry as the bot sends it; for a user whose injury area we know, it says when the
    entry is about their area, or about another area their question did not name."""
    sources = "; ".join(entry.sources[:3])
    fit = area_fit(entry, question, asker, injury_area_names())
    phrases = _area_phrases()
    area = asker.area_phrase if asker is not None else ""
    intro = say("faq.for_your_area", area=area) + "\n" if fit.fit is Fit.OWN_AREA else ""
    note = (
        "\n\n" + say("faq.other_area_note", entry_area=phrases[fit.entry_area], area=area)
        if fit.fit is Fit.OTHER_AREA
        else ""
    )
    return f"{intro}{entry.title}\n\n{entry.answer}{note}\n\n" + say("faq.sources", sources=sources)


def entry_button(entry: FaqEntry, width: int = 60, prefix: str = "") -> tuple[str, str]:
    label = shorten(entry.title, width - len(prefix))
    return (prefix + label, callbacks.encode(ButtonFamily.FAQ, "e", entry.id))


TOPICS_DATA = callbacks.encode(ButtonFamily.FAQ, "topics")


def topics_button() -> tuple[str, str]:
    return (say("faq.buttons.browse_topics"), TOPICS_DATA)


def answer_buttons(
    entry: FaqEntry,
    question_id: int | None,
    index: FaqIndex,
    also: tuple[FaqEntry, ...] = (),
) -> ButtonRows:
    """Feedback first, then the message's other questions, then the entry's related ones."""
    lines: list[list[tuple[str, str]]] = []
    if question_id is not None:
        lines.append(
            [
                (
                    say("faq.buttons.helpful"),
                    callbacks.encode(ButtonFamily.FEEDBACK, question_id, "y"),
                ),
                (
                    say("faq.buttons.didnt_help"),
                    callbacks.encode(ButtonFamily.FEEDBACK, question_id, "n"),
                ),
            ]
        )
    also_prefix = say("faq.buttons.also") + " "  # "Also: Can I cycle?"
    lines += [[entry_button(e, 60, also_prefix)] for e in also]
    shown = {entry.id, *(e.id for e in also)}
    related = [
        e
        for e in (find_entry(index, rid) for rid in entry.related[:3])
        if e is not None and e.id not in shown
    ]
    lines += [[entry_button(e, 48, "→ ")] for e in related]
    return rows(*lines)


def topic_rows(index: FaqIndex) -> ButtonRows:
    return rows(
        *[[(t, callbacks.encode(ButtonFamily.FAQ, "t", i))] for i, t in enumerate(topics(index))]
    )


TOPICS_FLOW = "faq_topics"
"""The /faq topic list is open: a topic typed as it reads (or its number) opens it."""


async def open_topics(
    session: AsyncSession, telegram_id: int, now: datetime, index: FaqIndex
) -> Outcome:
    """/faq: the topics, kept as the user's step for a registered user so a topic typed
    works as its tap."""
    buttons = topic_rows(index)
    user = await get_user(session, telegram_id)
    if user is not None:
        await menus.offer_menu(session, user.id, TOPICS_FLOW, buttons, now)
    return Outcome.say(say("faq.pick_topic_or_type"), buttons)


async def typed_topic(
    session: AsyncSession, telegram_id: int, text: str | None, now: datetime
) -> str | None:
    """The topic or entry button (its callback data) typed ``text`` picks from the list just
    shown, or None (the list has closed)."""
    return await menus.typed_menu_choice(session, telegram_id, TOPICS_FLOW, text, now)


async def browse(
    session: AsyncSession,
    telegram_id: int,
    action: str | None,
    arg: str | None,
    now: datetime,
    index: FaqIndex,
) -> Outcome:
    """A /faq browsing button, tapped or typed: an entry opened (``browse_entry``), the topic
    list or one topic's entries (kept as the step, so the next choice can be typed too), or
    "expired" for a stale button."""
    if action == BrowseAction.ENTRY and arg is not None:
        return await browse_entry(session, telegram_id, arg, now, index)
    outcome = browse_outcome(index, action, arg)
    if outcome is None:
        return Outcome.nothing(say("common.expired"))
    user = await get_user(session, telegram_id)
    shows_choices = action in (BrowseAction.TOPICS, BrowseAction.TOPIC)
    if shows_choices and user is not None and outcome.replies and outcome.replies[-1].buttons:
        await menus.offer_menu(session, user.id, TOPICS_FLOW, outcome.replies[-1].buttons, now)
    return outcome


def unknown_outcome(*, edit: bool = False) -> Outcome:
    return Outcome.say(say("faq.unknown"), rows([topics_button()]), edit=edit)


class BrowseAction(StrEnum):
    """What a ``faq:`` button asks for (``faq:<action>[:<arg>]``)."""

    TOPICS = "topics"  # the list of topics
    TOPIC = "t"  # faq:t:<n>: the entries of the n-th topic
    ENTRY = "e"  # faq:e:<entry id>: one entry (a use case: the opening is logged)
    NONE = "none"  # "none of these" under suggestions


def browse_outcome(index: FaqIndex, action: str | None, arg: str | None) -> Outcome | None:
    """The /faq browsing buttons that read only the knowledge base: the topic list, one
    topic's entries, "none of these". ``None`` for a stale or unknown button (a topic number
    from an older knowledge base). An entry (``BrowseAction.ENTRY``) is ``browse_entry``."""
    if action == BrowseAction.TOPICS:
        return Outcome.say(say("faq.pick_topic"), topic_rows(index), edit=True)
    if action == BrowseAction.TOPIC:
        all_topics = topics(index)
        if arg is None or not arg.isdecimal() or int(arg) >= len(all_topics):
            return None
        topic = all_topics[int(arg)]
        lines = [[entry_button(e)] for e in index.entries if e.topic == topic]
        all_topics_button = (say("faq.buttons.all_topics"), TOPICS_DATA)
        return Outcome.say(
            say("faq.topic", topic=topic), rows(*lines, [all_topics_button]), edit=True
        )
    if action == BrowseAction.NONE:
        return unknown_outcome(edit=True)
    return None


# --- use cases --------------------------------------------------------------------------------


async def _log_question(
    session: AsyncSession,
    user: User | None,
    text: str,
    decision: FaqDecision,
    entry_id: str | None,
    confidence: float,
    now: datetime,
) -> int | None:
    if user is None:  # nothing is stored for someone who has not accepted the terms
        return None
    row = FaqQuestion(
        user_id=user.id,
        text=text[:QUESTION_MAX],
        decision=decision.value,
        entry_id=entry_id,
        confidence=round(confidence, 4),
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row.id


async def ask(
    session: AsyncSession, telegram_id: int, text: str, now: datetime, index: FaqIndex
) -> Outcome:
    """A typed question from the bot: decide (with the user's area and phase), record it for
    authors, say what was decided."""
    ctx = await context.load(session, telegram_id, now)
    user = ctx.user if ctx is not None else None
    return await answer_for(session, user, asker_of(ctx), text, now, index)


async def answer_for(
    session: AsyncSession,
    user: User | None,
    asker: Asker | None,
    text: str,
    now: datetime,
    index: FaqIndex,
) -> Outcome:
    """The bot's one FAQ path for a known asker (``ask`` for a typed question, set-up for a
    question typed at a step): decide, record it for authors, say what was decided, with the
    feedback buttons under an answer."""
    decision = answer_question(index, text, asker)  # embedded already: see ``prepare``
    if decision.kind is Kind.SAFETY:  # the router triages first; this is the backstop
        flagged = await safety.report_red_flag(session, user, text.strip(), now)
        return flagged.outcome if flagged is not None else Outcome.say(decision.text)
    logged_as = decision.logged_as
    qid = None
    if logged_as is not None:
        entry_id = decision.entry.id if decision.entry is not None else None
        qid = await _log_question(
            session, user, text.strip(), logged_as, entry_id, decision.confidence, now
        )
    if decision.kind is Kind.ANSWER and decision.entry is not None:
        entry = decision.entry
        body = answer_text(entry, text, asker)
        if decision.also:
            body = f"{body}\n\n" + say("faq.also_asked")
        return Outcome.say(body, answer_buttons(entry, qid, index, decision.also))
    if decision.kind is Kind.SUGGEST:
        lines = [[entry_button(e)] for e in decision.suggestions[:3]]
        lines.append(
            [
                (
                    say("faq.buttons.none_of_these"),
                    callbacks.encode(ButtonFamily.FAQ, "none", qid or 0),
                )
            ]
        )
        return Outcome.say(decision.text, rows(*lines))
    if decision.kind is Kind.UNKNOWN:
        return unknown_outcome()
    if decision.small_talk == "greeting" and (user is None or user.status == UserStatus.ONBOARDING):
        return Outcome.say(say("faq.small_talk.greeting_new"))  # not set up: /start, not /checkin
    return Outcome.say(decision.text)


async def browse_entry(
    session: AsyncSession, telegram_id: int, entry_id: str, now: datetime, index: FaqIndex
) -> Outcome:
    """An entry opened from a button: shown with its feedback and related buttons."""
    entry = find_entry(index, entry_id)
    if entry is None:
        return Outcome.nothing(say("common.expired"))
    user = await get_user(session, telegram_id)
    qid = await _log_question(
        session, user, f"{BROWSED_PREFIX}{entry.title}", FaqDecision.ANSWER, entry.id, 1.0, now
    )
    buttons = answer_buttons(entry, qid, index) + rows([(say("faq.buttons.topics"), TOPICS_DATA)])
    return Outcome.say(answer_text(entry), buttons)


def next_best(index: FaqIndex, question: str, served_id: str | None, k: int = 3) -> list[FaqEntry]:
    """What to offer when an answer did not help: the next entries for the same question
    (for an entry opened from a button, the entries it links to)."""
    served = find_entry(index, served_id) if served_id else None
    found: list[FaqEntry] = []
    if not question.startswith(BROWSED_PREFIX):
        found = [m.entry for m in index.search(question, k + 1) if m.entry.id != served_id]
    if served is not None:
        found += [e for e in (find_entry(index, r) for r in served.related) if e is not None]
    unique = {e.id: e for e in found if e.id != served_id}
    return list(unique.values())[:k]


async def rated_question(session: AsyncSession, telegram_id: int, question_id: int) -> str | None:
    """The typed question a "that didn't help" is about (the asker's own), for the handler
    to ``prepare`` before ``give_feedback`` searches again; None for an entry opened from a
    button (it offers the entry's links, no search) or someone else's question."""
    user = await get_user(session, telegram_id)
    row = await session.get(FaqQuestion, question_id)
    if user is None or row is None or row.user_id != user.id:
        return None
    return None if row.text.startswith(BROWSED_PREFIX) else row.text


async def give_feedback(
    session: AsyncSession, telegram_id: int, question_id: int, helpful: bool, index: FaqIndex
) -> Outcome:
    """👍 / "that didn't help" under an answer: only the asker's own question can be rated.
    A miss is recorded for authors (`faq unanswered`) and the next best entries are offered."""
    user = await get_user(session, telegram_id)
    row = await session.get(FaqQuestion, question_id)
    if user is None or row is None or row.user_id != user.id:
        return Outcome.nothing(say("common.expired"))
    row.helpful = helpful
    if helpful:
        return Outcome((), toast=say("faq.feedback_thanks"))
    # the search's embedding was done before this transaction opened (``rated_question``,
    # then ``prepare`` in a worker thread): here only the cheap scoring runs
    others = next_best(index, row.text, row.entry_id)
    lines = [[entry_button(e, 48, "→ ")] for e in others]
    lines.append([topics_button()])
    text = say("faq.didnt_help_next" if others else "faq.didnt_help")
    return Outcome.say(text, rows(*lines)).then(Outcome((), toast=say("common.noted")))


async def answer_safety_button(
    session: AsyncSession, telegram_id: int, action: SafetyAction, now: datetime
) -> Outcome:
    """The clinician follow-up and hold buttons, for the user who pressed them."""
    user = await get_user(session, telegram_id)
    if user is None:
        return Outcome.nothing(say("common.expired"))
    return await safety.answer(session, user, action, now)


# --- read-only queries for the CLI ------------------------------------------------------------


async def unanswered(session: AsyncSession, limit: int = 50) -> list[tuple[str, int]]:
    """What users asked that the bot could not answer, most frequent first."""
    normalised = func.lower(func.trim(FaqQuestion.text))
    found = await session.execute(
        select(normalised, func.count())
        .where(FaqQuestion.decision.in_((FaqDecision.UNKNOWN, FaqDecision.SUGGEST)))
        .group_by(normalised)
        .order_by(func.count().desc(), normalised)
        .limit(limit)
    )
    return [(str(text), int(count)) for text, count in found]


async def not_helped(session: AsyncSession, limit: int = 50) -> list[tuple[str, str, int]]:
    """Answers users said did not help: (question, entry id, times), most frequent first."""
    normalised = func.lower(func.trim(FaqQuestion.text))
    found = await session.execute(
        select(normalised, FaqQuestion.entry_id, func.count())
        .where(FaqQuestion.helpful.is_(False))
        .group_by(normalised, FaqQuestion.entry_id)
        .order_by(func.count().desc(), normalised)
        .limit(limit)
    )
    return [(str(text), str(entry), int(count)) for text, entry, count in found]


@dataclass(frozen=True)
class EntryUse:
    """How often an entry was shown (typed questions and opened from buttons) and rated."""

    entry_id: str
    served: int
    helpful: int
    not_helpful: int


async def entry_use(session: AsyncSession) -> dict[str, EntryUse]:
    """Serve and feedback counts per entry, for content authors (`faq served`)."""
    found = await session.execute(
        select(
            FaqQuestion.entry_id,
            func.count(),
            func.count().filter(FaqQuestion.helpful.is_(True)),
            func.count().filter(FaqQuestion.helpful.is_(False)),
        )
        .where(FaqQuestion.decision == FaqDecision.ANSWER, FaqQuestion.entry_id.is_not(None))
        .group_by(FaqQuestion.entry_id)
    )
    return {str(eid): EntryUse(str(eid), int(n), int(yes), int(no)) for eid, n, yes, no in found}
