"""What stays above a typed pain score: after "Did them all" the check-in becomes praise and
"How much did it hurt?" with the 0-10 buttons. A tapped score turns that message into the
answer; a typed one is answered in new messages, so the question above it is tidied up: its
buttons close, and above the comfortable range its praise gives way to a plain record."""

from __future__ import annotations

import pytest

from tests.harness.bot import BotHarness, SimUser
from tests.harness.fake_telegram import SentMessage
from tests.helpers.seed import at_first_checkin, checkins

PRAISE_WORDS = ("brilliant", "nice work", "stronger", "exactly what", "well done", "great")


async def _pain_question(user: SimUser) -> SentMessage:
    prompt = user.tg.last_with_buttons(user.id)
    await user.press("Did them all", prompt)
    assert [label for label, _ in prompt.buttons] == [str(n) for n in range(11)]
    return prompt


@pytest.mark.parametrize("typed", ["8", "7/10", "5/10", "pain 4"])
async def test_a_typed_score_above_comfortable_leaves_a_plain_record_not_praise(
    harness: BotHarness, typed: str
) -> None:
    user = await at_first_checkin(harness)
    question = await _pain_question(user)
    praised = (question.text or "").split("\n\n")[0]
    score = int("".join(c for c in typed.split("/")[0] if c.isdigit()))
    await user.say(typed)
    rows = await checkins(harness)
    assert rows[0].pain == score
    text = question.text or ""
    assert text == f"Logged for today: All exercises done ✅ · pain {score}/10", text
    assert praised not in text
    assert question.buttons == []  # no live 0-10 buttons above the answer
    answers = " ".join(m.text or "" for m in user.tg.messages(user.id) if m is not question)
    assert f"{score}/10" in answers
    if score > 6:  # the advice is its own message, and stays as it was sent
        advice = [m for m in user.tg.messages(user.id) if "physical therapist" in (m.text or "")]
        assert advice and all(m is not question for m in advice)


async def test_a_typed_comfortable_score_keeps_the_praise_and_closes_the_buttons(
    harness: BotHarness,
) -> None:
    user = await at_first_checkin(harness)
    question = await _pain_question(user)
    before = question.text
    await user.say("2")
    assert question.text == before  # "Full session done..." and the question it asked
    assert question.buttons == []
    assert (await checkins(harness))[0].pain == 2
    assert "2/10" in (user.last.text or "")


async def test_a_tapped_high_score_still_turns_the_question_into_the_answer(
    harness: BotHarness,
) -> None:
    user = await at_first_checkin(harness)
    question = await _pain_question(user)
    await user.press("8", question)
    assert (question.text or "").startswith("Pain during exercise: 8/10")
    assert not any(word in (question.text or "").lower() for word in PRAISE_WORDS)


@pytest.mark.parametrize("status", [400, 500, 0])
async def test_when_tidying_the_question_fails_the_score_and_the_answer_stand(
    harness: BotHarness, status: int
) -> None:
    user = await at_first_checkin(harness)
    question = await _pain_question(user)
    before = question.text
    harness.telegram.inject(status, method="editMessageText", chat_id=user.id)
    sent = len(user.tg.messages(user.id))
    await user.say("8")
    assert (await checkins(harness))[0].pain == 8  # saved before any Telegram call
    new = [m.text or "" for m in user.tg.messages(user.id)[sent:]]
    assert any("8/10" in t for t in new), new
    assert any("physical therapist" in t for t in new), new  # the advice went out
    assert not any("went wrong" in t for t in new), new  # no error reply for a cosmetic edit
    assert question.text == before  # left as it was: the edit failed
    # The note step follows as after any score: a note typed now is saved.
    await user.say("calves tight afterwards")
    assert (await checkins(harness))[0].note == "calves tight afterwards"
