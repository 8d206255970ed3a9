"""/exercises: the plan with doses; add, change a dose, remove and reorder."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import Exercise, User
from bot.domain.wording import t
from tests.harness.bot import BotHarness
from tests.helpers.onboarding import onboard, onboarded, to_area_question


async def _plan(
    harness: BotHarness, telegram_id: int = 1001
) -> list[tuple[str, int | None, int | None, int | None]]:
    async with harness.services.sessions() as session:
        user = (
            await session.execute(select(User).where(User.telegram_id == telegram_id))
        ).scalar_one()
        rows = (
            await session.execute(
                select(Exercise).where(Exercise.user_id == user.id).order_by(Exercise.position)
            )
        ).scalars()
        return [(e.name, e.sets, e.reps, e.seconds) for e in rows]


async def test_plan_lists_doses_and_supports_add_edit_move_remove(harness: BotHarness) -> None:
    user = await onboarded(harness)  # Glute bridges 3x15, Monster walks 3x10
    await user.say("/exercises")
    text = user.last.text or ""
    assert "1. Glute bridges · 3 × 15" in text and "2. Monster walks · 3 × 10" in text

    await user.press("Add")
    await user.say("x" * 5000)
    assert "too long" in (user.last.text or "")
    await user.say("Wall sit 3x30s")
    assert "3. Wall sit · 3 × 30 s" in (user.last.text or "")

    await user.press("Wall sit")
    await user.press("Up")
    assert (await _plan(harness))[1][0] == "Wall sit"

    await user.press("Glute bridges")
    await user.press("Change dose")
    await user.say("🙂")
    assert "dose" in (user.last.text or "")
    await user.say("2x12")
    assert "Glute bridges · 2 × 12" in (user.last.text or "")

    await user.press("Monster walks")
    await user.press("Remove")
    assert "Removed Monster walks" in (user.last.text or "")
    assert await _plan(harness) == [("Glute bridges", 2, 12, None), ("Wall sit", 3, None, 30)]


async def test_buttons_never_touch_another_users_plan(harness: BotHarness) -> None:
    alex, sam = harness.user(1001, "Alex"), harness.user(1002, "Sam")
    await onboard(alex)
    await onboard(sam)
    await alex.say("/exercises")
    alex_remove = alex.last.button_data("Glute bridges").replace("ex:sel:", "ex:rm:")
    await sam.say("/exercises")  # a message of Sam's own to press the forged data on
    await sam.press_data(alex_remove, sam.tg.last_with_buttons(sam.id))
    assert len(await _plan(harness, 1001)) == 2
    assert len(await _plan(harness, 1002)) == 2
    assert (
        list(sam.tg.query_answers.values())[-1]["text"]
        == "That exercise isn't in your plan any more."
    )


async def test_moving_the_first_exercise_up_changes_nothing(harness: BotHarness) -> None:
    user = await onboarded(harness)
    await user.say("/exercises")
    await user.press("Glute bridges")
    await user.press("Up")
    assert [name for name, *_ in await _plan(harness)] == ["Glute bridges", "Monster walks"]


async def test_a_red_flag_typed_as_an_exercise_is_triaged_and_never_added(
    harness: BotHarness,
) -> None:
    user = await onboarded(harness)
    await user.say("/exercises")
    await user.press("Add")
    reply = await user.say("My calf is swollen and hot since my flight")
    assert reply is not None and "doctor" in (reply.text or "").lower()
    assert [name for name, *_ in await _plan(harness)] == ["Glute bridges", "Monster walks"]
    # The step still waits for an exercise.
    await user.say("Wall sit 3x30s")
    assert "3. Wall sit · 3 × 30 s" in (user.last.text or "")


async def test_cues_are_shown_when_an_exercise_is_added_and_when_it_is_opened(
    harness: BotHarness,
) -> None:
    user = harness.user()
    await to_area_question(user)
    await user.press("Hamstring")
    await user.press("A few days ago")
    await user.press("0")
    await user.press("Assisted Nordic curls")
    text = user.last.text or ""
    assert "Added: Assisted Nordic curls" in text and "only if your PT agrees" in text
    await user.press("Confirm")
    await user.press("19:00")
    await user.say("Berlin")
    await user.press("All set")
    await user.say("/exercises")
    await user.press("Assisted Nordic curls")
    assert "How: Kneeling with ankles held" in (user.last.text or "")
    await user.press_data("ex:list", user.last)
    await user.press("Add")
    await user.say("Single-leg deadlifts 3x8")  # typed, and a template of that name exists
    assert "How: Hinge at the hip" in "\n".join(user.texts[-2:])


def test_achilles_cues_do_not_send_insertional_pain_below_the_step() -> None:
    from bot.domain.content import load_exercise_templates

    area = load_exercise_templates().area("achilles_calf")
    for template in area.templates:
        how = template.how.lower()
        if "below" in how and "step" in how:
            assert "only if your pt agrees" in how, template.id


async def test_a_question_typed_when_adding_to_the_plan_is_not_added(harness: BotHarness) -> None:
    user = await onboarded(harness)
    await user.say("/exercises")
    await user.press("Add")
    before = await _plan(harness)
    await user.say("Should i ice or heat it")  # answered by the FAQ, then the step again
    assert "Sources:" in user.texts[-2] and user.last.text == t("exercises.ask_add")
    assert await _plan(harness) == before
    await user.say("Wall sit 3x30s")
    assert any("Added: Wall sit" in text for text in user.texts[-2:])
