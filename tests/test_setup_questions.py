"""A question typed during set-up takes the FAQ's one path (bot.services.faq): the injury
area already chosen shapes the answer, the question is logged for content authors
(`faq unanswered`, `faq served`), the answer has its "That didn't help" button, and the
step is asked again afterwards. Through the real bot, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import select

from bot.db.models import Dialog, FaqQuestion, User
from bot.domain.wording import t
from tests.harness.bot import BotHarness
from tests.helpers.onboarding import onboarded, to_area_question
from tests.test_faq_paths import run_cli

TENDON = "What exercises should I do for my tendon?"
OFF_TOPIC = "Which planet has the most moons?"


async def _step(harness: BotHarness, telegram_id: int) -> str:
    async with harness.services.sessions() as session:
        user = (
            await session.execute(select(User).where(User.telegram_id == telegram_id))
        ).scalar_one()
        dialog = await session.get(Dialog, user.id)
        assert dialog is not None
        return dialog.step


async def test_a_set_up_question_is_answered_for_the_area_logged_and_can_be_rated(
    harness: BotHarness, db_url: str
) -> None:
    user = harness.user()
    await to_area_question(user)
    await user.press("Achilles")
    step = await _step(harness, user.id)

    before = len(user.texts)
    await user.say(TENDON)
    answer, again = user.tg.messages(user.id)[before:][-2:]
    # The area chosen a moment ago is used, as for someone already set up.
    assert (answer.text or "").startswith("For your Achilles or calf:\nAchilles tendon pain")
    assert any("didn't help" in label for label, _ in answer.buttons)
    assert (again.text or "").startswith(t("exercises.back_to_step"))
    assert await _step(harness, user.id) == step  # the step waits, nothing was stored

    await user.press("didn't help", answer)
    assert "didn't help" in (user.last.text or "")

    await user.say(OFF_TOPIC)
    assert "not sure" in " ".join(user.texts[-2:])
    assert user.last.text is not None and user.last.text.startswith(t("exercises.back_to_step"))

    # Set-up goes on where it was.
    await user.press("A few days ago")
    await user.press("0")
    await user.press("Eccentric calf raises")
    await user.press("Confirm")
    await user.press("19:00")
    await user.say("Berlin")
    await user.press("All set")
    assert "You're all set" in (user.last.text or "")
    async with harness.services.sessions() as session:
        rows = (await session.execute(select(FaqQuestion).order_by(FaqQuestion.id))).scalars()
        logged = [(r.text, r.decision, r.helpful) for r in rows]
    assert logged[0] == (TENDON, "answer", False)
    assert logged[1] == (OFF_TOPIC, "unknown", None)

    unanswered = await asyncio.to_thread(run_cli, "faq", "unanswered", db_url=db_url)
    assert OFF_TOPIC.lower() in unanswered and TENDON.lower() in unanswered
    served = await asyncio.to_thread(run_cli, "faq", "served", "--json", db_url=db_url)
    by_id = {r["id"]: r for r in map(json.loads, served.splitlines())}
    entry = next(e for e, r in by_id.items() if r["served"] and "achilles" in e)
    assert by_id[entry]["didnt_help"] == 1


async def test_a_question_at_a_settings_or_plan_step_takes_the_same_path(
    harness: BotHarness,
) -> None:
    user = await onboarded(harness)  # knee
    await user.say("/settings")
    await user.press("Check-in time")
    before = len(user.texts)
    await user.say(TENDON)
    answer, again = user.tg.messages(user.id)[before:][-2:]
    assert "couldn't read" not in (answer.text or "")  # not taken as a time
    assert (answer.text or "").startswith("Achilles tendon pain")
    assert "your injury is in your knee" in (answer.text or "")  # the area, as anywhere
    assert any("didn't help" in label for label, _ in answer.buttons)
    assert (again.text or "").startswith(t("settings.back_to_step"))
    await user.press("07:00")
    assert "07:00" in (user.last.text or "")

    await user.say("/exercises")
    await user.press("Add")
    before = len(user.texts)
    await user.say("Should I ice or heat my knee?")
    answer, again = user.tg.messages(user.id)[before:][-2:]
    assert "doesn't look like an exercise" not in (answer.text or "")
    assert "Sources:" in (answer.text or "")
    assert again.text == t("exercises.ask_add")
    await user.say("Wall sit 3x30s")
    assert "Wall sit" in (user.last.text or "")
    async with harness.services.sessions() as session:
        decisions = (await session.execute(select(FaqQuestion.decision))).scalars().all()
    assert len(decisions) == 2
