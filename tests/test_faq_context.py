"""The user's context in answers (issue 15.3): their injury area and phase choose between
near-ties and shape the wording, and a message with several questions gets its main answer
with the rest offered as buttons. Driven through the real bot and database."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import RehabProfile, User
from bot.domain.faq import FaqIndex, load_entries
from tests.harness.bot import BotHarness
from tests.helpers.onboarding import onboard

OUTSIDE = "outside pain when running, what is it"  # a near-tie of the two entries
TENDON = "what exercises should I do for my tendon"


async def test_a_near_tie_goes_to_the_entry_about_the_users_own_area(harness: BotHarness) -> None:
    hip, knee = harness.user(2001), harness.user(2002)
    await onboard(hip, area="Hip")
    await onboard(knee, area="Knee")

    await hip.say(OUTSIDE)
    assert (hip.last.text or "").startswith("For your hip:\nHip bursitis")
    await knee.say(OUTSIDE)
    assert (knee.last.text or "").startswith("For your knee:\nIT band syndrome")


async def test_an_answer_about_another_area_says_so_and_defers_to_the_pt(
    harness: BotHarness,
) -> None:
    knee, achilles = harness.user(2003), harness.user(2004)
    await onboard(knee, area="Knee")
    await onboard(achilles, area="Knee")
    await _set_area(harness, 2004, "achilles_calf")

    await achilles.say(TENDON)
    mine = achilles.last.text or ""
    assert mine.startswith("For your Achilles or calf:\nAchilles tendon pain")
    assert "applies to you" not in mine

    await knee.say(TENDON)
    theirs = knee.last.text or ""
    assert theirs.startswith("Achilles tendon pain")
    assert "about the Achilles or calf, and your injury is in your knee" in theirs
    assert "physical therapist" in theirs and "Sources:" in theirs

    # Naming the area yourself means you asked about it: no note.
    await knee.say("what exercises should I do for my achilles tendon")
    assert "applies to you" not in (knee.last.text or "")


async def test_several_questions_get_one_answer_and_the_rest_as_buttons(
    harness: BotHarness,
) -> None:
    user = harness.user(2005)
    await onboard(user, area="Knee")

    await user.say("How long until I can run again? And can I swim in the meantime?")
    answer = user.last
    assert (answer.text or "").startswith("How long until I can run again")
    assert "the other answers are on the buttons below" in (answer.text or "")
    also = [label for label, _ in answer.buttons if label.startswith("Also: ")]
    assert also == ["Also: Can I cross-train, cycle or swim while injured?"]

    await user.press("Also: Can I cross-train", answer)
    assert (user.last.text or "").startswith("Can I cross-train, cycle or swim while injured?")
    assert "Sources:" in (user.last.text or "")


async def test_one_question_gets_no_also_buttons(harness: BotHarness) -> None:
    user = harness.user(2006)
    await onboard(user, area="Knee")
    await user.say("How long until I can run again?")
    assert not any(label.startswith("Also: ") for label, _ in user.last.buttons)
    assert "other answers" not in (user.last.text or "")


async def test_a_user_back_to_running_gets_the_return_to_running_answer_on_a_tie(
    harness: BotHarness,
) -> None:
    rehab, back = harness.user(2007), harness.user(2008)
    await onboard(rehab, area="Knee")
    await onboard(back, area="Knee")
    async with harness.services.sessions() as session:
        profiles = (await session.execute(select(RehabProfile))).scalars().all()
        for profile in profiles:
            profile.returning_to_run = profile.user_id == max(p.user_id for p in profiles)
        await session.commit()

    # The tie below is the lexical scorer's; the sentence embeddings (issue 15.2) already rank
    # return-to-running first for everyone, so this test pins the lexical index to keep
    # exercising the context rule on a real near-tie.
    harness.services.__dict__["faq"] = FaqIndex(load_entries())
    question = "How do I start running after an injury?"
    await rehab.say(question)
    await back.say(question)
    # The words alone lean to the race-plans entry; for someone cleared to run, the tied
    # return-to-running entry is the one that helps.
    assert _topic_of(harness, rehab.last.text or "") != "Return to running"
    assert _topic_of(harness, back.last.text or "") == "Return to running"


def _topic_of(harness: BotHarness, text: str) -> str:
    index = harness.services.faq
    lines = text.split("\n")
    title = lines[1] if lines[0].startswith("For your ") else lines[0]
    entry = next(e for e in index.entries if e.title == title)
    return entry.topic


async def _set_area(harness: BotHarness, telegram_id: int, area: str) -> None:
    """Onboarding's exercise step differs per area; set the area as /settings would."""
    async with harness.services.sessions() as session:
        user = (
            await session.execute(select(User).where(User.telegram_id == telegram_id))
        ).scalar_one()
        profile = await session.get(RehabProfile, user.id)
        assert profile is not None
        profile.injury_area = area
        await session.commit()
