"""The bot and `python -m bot faq ask` share one decision path: what an author checks from
the shell is what a user gets in Telegram."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from bot.db.models import FaqQuestion
from bot.domain.wording import say
from tests.harness.bot import BotHarness
from tests.helpers.onboarding import onboarded

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "can I cycle with a stress fracture?"


def run_cli(*args: str, stdin: str = "", db_url: str | None = None) -> str:
    """`python -m bot ARGS` as an author runs it; its standard output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PTCOACH_", "TELEGRAM_"))}
    if db_url is not None:
        env["PTCOACH_DATABASE_URL"] = db_url
    result = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def ask_cli(*questions: str) -> list[dict[str, object]]:
    out = run_cli("faq", "ask", "--json", stdin="".join(f"{q}\n" for q in questions))
    return [json.loads(line) for line in out.splitlines()]


async def test_thanks_and_a_real_question_get_the_same_answer_in_the_bot_and_the_cli(
    harness: BotHarness,
) -> None:
    thanks, answered = await asyncio.to_thread(ask_cli, "thanks", QUESTION)
    user = await onboarded(harness)

    await user.say("thanks")
    assert user.last.text == thanks["answer"]
    assert "welcome" in str(thanks["answer"]).lower() and thanks["small_talk"] == "thanks"

    await user.say(QUESTION)
    assert answered["id"] == "stress-fracture" and not answered["safety"]
    text = user.last.text or ""
    assert str(answered["answer"]) in text and "Sources:" in text
    assert any("Helpful" in label for label, _ in user.last.buttons)


async def test_a_question_the_bot_could_not_answer_is_listed_by_faq_unanswered(
    harness: BotHarness, db_url: str
) -> None:
    user = await onboarded(harness)
    # (was "Which shoes does the moon wear?": the sentence embeddings now answer the shoes
    # entry for it, which is fair; this one is off-topic in any reading)
    await user.say("Which planet has the most moons?")
    assert "not sure" in (user.last.text or "")
    await user.say(QUESTION)
    await user.press("Helpful")
    async with harness.services.sessions() as session:
        rows = (await session.execute(select(FaqQuestion).order_by(FaqQuestion.id))).scalars()
        decisions = [(r.decision, r.helpful) for r in rows]
    assert decisions == [("unknown", None), ("answer", True)]

    out = await asyncio.to_thread(run_cli, "faq", "unanswered", db_url=db_url)
    assert out.split() == ["1", "which", "planet", "has", "the", "most", "moons?"]


async def test_small_talk_gets_a_short_reply_and_is_not_an_unanswered_question(
    harness: BotHarness, db_url: str
) -> None:
    said = ["ok", "you're great", "Thank you so much!", "hi there", "bye 👋"]
    records = await asyncio.to_thread(ask_cli, *said)
    assert [r["small_talk"] for r in records] == [
        "ack",
        "compliment",
        "thanks",
        "greeting",
        "goodbye",
    ]
    user = await onboarded(harness)
    for text, record in zip(said, records, strict=True):
        await user.say(text)
        assert user.last.text == record["answer"]
        assert len(user.last.text or "") < 160 and "not sure" not in (user.last.text or "")

    out = await asyncio.to_thread(run_cli, "faq", "unanswered", db_url=db_url)
    assert out.strip() == "No unanswered questions yet."


async def test_that_didnt_help_records_the_miss_offers_other_entries_and_counts_serves(
    harness: BotHarness, db_url: str
) -> None:
    user = await onboarded(harness)
    await user.say(QUESTION)
    answer = user.last
    assert any("didn't help" in label for label, _ in answer.buttons)

    await user.press("didn't help", answer)
    offer = user.last
    assert "didn't help" in (offer.text or "") and "one of these" in (offer.text or "")
    offered = [label for label, _ in offer.buttons if label.startswith("→")]
    assert offered and not any("stress fracture" in label.lower() for label in offered)
    assert any("topics" in label.lower() for label, _ in offer.buttons)

    await user.press(offered[0], offer)
    assert "Sources:" in (user.last.text or "")

    out = await asyncio.to_thread(run_cli, "faq", "unanswered", db_url=db_url)
    assert "didn't help" in out
    assert f"1  [stress-fracture]  {QUESTION.lower()}" in out

    served = await asyncio.to_thread(run_cli, "faq", "served", "--json", db_url=db_url)
    by_id = {r["id"]: r for r in map(json.loads, served.splitlines())}
    assert by_id["stress-fracture"] == {
        "id": "stress-fracture",
        "served": 1,
        "helpful": 0,
        "didnt_help": 1,
    }
    assert sum(r["served"] for r in by_id.values()) == 2  # the answer and the entry opened


async def test_questions_the_knowledge_base_used_to_miss_get_their_own_sourced_entries(
    harness: BotHarness,
) -> None:
    user = await onboarded(harness)
    asked = {
        "can i do yoga": "yoga, pilates",
        "how much protein should I eat": "protein",
        "can you book me an appointment": "book appointments",
        "is paracetamol ok for my sore knee": "paracetamol",
        "are you a real person?": "book appointments",
    }
    for question, title_part in asked.items():
        await user.say(question)
        text = user.last.text or ""
        assert title_part in text.split("\n", 1)[0].lower(), (question, text[:80])
        assert "http" in text.split("Sources:", 1)[1]  # a source the user can open
    await user.say("is paracetamol ok for my sore knee")
    assert "anti-inflammator" not in (user.last.text or "").split("\n", 1)[0].lower()
    await user.say("what's the capital of France")
    assert "I can help with running injuries and physical therapy" in (user.last.text or "")


async def test_browsing_topics_opens_an_entry_goes_back_and_a_stale_topic_changes_nothing(
    harness: BotHarness,
) -> None:
    user = await onboarded(harness)
    await user.say("/faq")
    menu = user.last
    topics = [label for label, data in menu.buttons if data.startswith("faq:t:")]
    assert len(topics) > 3

    await user.press(topics[0], menu)
    topic = user.last
    assert topic.message_id == menu.message_id  # the menu turns into the topic's list
    assert topic.text == f"{topics[0]}:"
    entries = [label for label, data in topic.buttons if data.startswith("faq:e:")]
    assert entries and any(label == "« All topics" for label, _ in topic.buttons)

    await user.press(entries[0], topic)
    answer = user.last
    assert "Sources:" in (answer.text or "")
    assert any(label == "« Topics" for label, _ in answer.buttons)

    await user.press("« Topics", answer)
    assert user.last.text == "Pick a topic:"
    assert [label for label, d in user.last.buttons if d.startswith("faq:t:")] == topics

    def messages() -> list[str]:
        return [c.method for c in harness.telegram.calls if c.method != "answerCallbackQuery"]

    before = messages()
    await user.press_data("faq:t:999", user.last)
    await user.press_data("faq:e:no-such-entry", user.last)
    assert messages() == before  # no message sent or edited, only a toast
    toasts = [a.get("text") for a in harness.telegram.query_answers.values()]
    assert toasts[-2:] == [say("common.expired")] * 2
