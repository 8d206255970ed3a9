"""Free text typed while "How much did it hurt?" waits for a score: a question still goes to
the FAQ and small talk gets its short reply, a red flag is triaged first; anything else is
answered with "a score from 0 to 10 first", and a note of the day is kept as the day's note."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import FaqQuestion, RedFlagReport
from tests.harness.bot import BotHarness, SimUser
from tests.helpers.seed import at_first_checkin, checkins

NOTE = "at the gym today, calves tight afterwards"
URGENT = "my calf is swollen and hot since my flight yesterday"
SCORE_FIRST = "pain score"
ASK_NOTE = ("Want to add a note", "Anything you want to remember")


async def _at_pain_question(harness: BotHarness) -> SimUser:
    user = await at_first_checkin(harness)
    await user.press("Did them all")
    return user


async def _faq_questions(harness: BotHarness) -> list[str]:
    async with harness.services.sessions() as session:
        return list((await session.execute(select(FaqQuestion.text))).scalars())


def _pain_buttons(user: SimUser) -> list[str]:
    return [label for label, _ in user.last.buttons]


async def test_a_note_typed_instead_of_a_score_is_kept_and_the_score_asked_for(
    harness: BotHarness,
) -> None:
    user = await _at_pain_question(harness)
    await user.say(NOTE)
    reply = user.last.text or ""
    assert "today's note" in reply and SCORE_FIRST in reply and "0" in reply, reply
    assert _pain_buttons(user) == [str(n) for n in range(11)]  # the question stays open
    assert await _faq_questions(harness) == []  # not sent to the FAQ
    (row,) = await checkins(harness)
    assert row.note == NOTE and row.pain is None

    await user.say("3")  # the score, typed: answered, and the note is not asked for again
    (row,) = await checkins(harness)
    assert row.pain == 3 and row.note == NOTE
    answer = user.last.text or ""
    assert "3/10" in answer and not any(q in answer for q in ASK_NOTE), answer
    await user.say("should I ice my knee after the exercises?")  # the step is closed
    assert await _faq_questions(harness) == ["should I ice my knee after the exercises?"]
    assert (await checkins(harness))[0].note == NOTE


async def test_a_short_text_is_not_a_note_and_gets_the_score_first_answer(
    harness: BotHarness,
) -> None:
    user = await _at_pain_question(harness)
    await user.say("gym today")
    assert SCORE_FIRST in (user.last.text or "")
    assert "today's note" not in (user.last.text or "")
    assert (await checkins(harness))[0].note is None
    await user.press("2", user.last)  # the buttons under the answer work
    assert any(q in (user.last.text or "") for q in ASK_NOTE)  # the note question as usual
    await user.say("felt fine on the bridges")
    assert (await checkins(harness))[0].note == "felt fine on the bridges"


async def test_a_question_still_goes_to_the_faq_and_the_buttons_still_work(
    harness: BotHarness,
) -> None:
    user = await _at_pain_question(harness)
    question = user.tg.last_with_buttons(user.id)
    await user.say("can I cycle instead of running?")
    assert await _faq_questions(harness) == ["can I cycle instead of running?"]
    assert SCORE_FIRST not in (user.last.text or "")
    assert (await checkins(harness))[0].note is None
    await user.press("4", question)
    assert (await checkins(harness))[0].pain == 4


async def test_small_talk_gets_its_short_reply_and_the_question_again(
    harness: BotHarness,
) -> None:
    user = await _at_pain_question(harness)
    await user.say("thanks")
    texts = user.texts[-2:]
    assert any("welcome" in t.lower() for t in texts), texts
    assert _pain_buttons(user) == [str(n) for n in range(11)]
    assert (await checkins(harness))[0].note is None


async def test_a_red_flag_is_triaged_first_and_never_kept_as_the_note(
    harness: BotHarness,
) -> None:
    user = await _at_pain_question(harness)
    await user.say(URGENT)
    assert any("doctor" in t.lower() for t in user.texts[-2:]), user.texts[-2:]
    assert not any("today's note" in t for t in user.texts[-2:])
    async with harness.services.sessions() as session:
        flags = list((await session.execute(select(RedFlagReport.flag))).scalars())
    assert len(flags) == 1
    assert (await checkins(harness))[0].note is None
