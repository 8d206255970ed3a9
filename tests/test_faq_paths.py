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
from tests.harness.bot import BotHarness
from tests.test_onboarding import onboard

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
    user = harness.user()
    await onboard(user)

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
    user = harness.user()
    await onboard(user)
    await user.say("Which shoes does the moon wear?")
    assert "not sure" in (user.last.text or "")
    await user.say(QUESTION)
    await user.press("Helpful")
    async with harness.services.sessions() as session:
        rows = (await session.execute(select(FaqQuestion).order_by(FaqQuestion.id))).scalars()
        decisions = [(r.decision, r.helpful) for r in rows]
    assert decisions == [("unknown", None), ("answer", True)]

    out = await asyncio.to_thread(run_cli, "faq", "unanswered", db_url=db_url)
    assert out.split() == ["1", "which", "shoes", "does", "the", "moon", "wear?"]
