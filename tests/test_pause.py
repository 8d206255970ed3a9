"""/pause and /resume: nothing is sent while paused, and paused days are recorded."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from bot.db.models import Pause, ScheduledMessage, User
from bot.services.pausing import resume_user
from tests.harness.bot import BotHarness
from tests.helpers.onboarding import onboarded


async def _user(harness: BotHarness) -> User:
    async with harness.services.sessions() as session:
        return (await session.execute(select(User).where(User.telegram_id == 1001))).scalar_one()


async def _pending(harness: BotHarness, user_id: int) -> list[ScheduledMessage]:
    async with harness.services.sessions() as session:
        return list(
            (
                await session.execute(
                    select(ScheduledMessage).where(
                        ScheduledMessage.user_id == user_id, ScheduledMessage.status == "pending"
                    )
                )
            ).scalars()
        )


async def _pauses(harness: BotHarness, user_id: int) -> list[tuple[date, date | None]]:
    async with harness.services.sessions() as session:
        rows = (await session.execute(select(Pause).where(Pause.user_id == user_id))).scalars()
        return [(p.start_date, p.end_date) for p in rows]


async def test_pause_for_days_cancels_everything_and_resume_replans(harness: BotHarness) -> None:
    user = await onboarded(harness)
    row = await _user(harness)
    assert await _pending(harness, row.id)
    await user.say("/pause 7")
    said = user.last.text or ""  # the last quiet day and the first day back, unmistakably
    assert "up to and including Thu 3 Dec" in said and "start again on Fri 4 Dec" in said
    row = await _user(harness)
    assert row.status == "paused" and row.paused_until == date(2026, 12, 3)
    assert await _pending(harness, row.id) == []
    assert await _pauses(harness, row.id) == [(date(2026, 11, 27), date(2026, 12, 3))]

    harness.clock.advance(timedelta(days=2))
    await user.say("/resume")
    assert "Reminders are on again" in (user.last.text or "")
    row = await _user(harness)
    assert row.status == "active" and row.paused_until is None
    assert [m for m in await _pending(harness, row.id) if m.kind == "checkin"]
    # The pause now ends the day before they came back.
    assert await _pauses(harness, row.id) == [(date(2026, 11, 27), date(2026, 11, 28))]


async def test_open_pause_until_resume_and_bad_arguments(harness: BotHarness) -> None:
    user = await onboarded(harness)
    await user.say("/pause forever-ish")
    assert "couldn't read" in (user.last.text or "")
    assert (await _user(harness)).status == "active"
    await user.say("/pause")  # a bare /pause asks how long; nothing is paused yet
    question = user.last
    assert "How long" in (question.text or "")
    assert (await _user(harness)).status == "active"
    await user.press("Until I send /resume")
    assert "/resume" in (user.last.text or "")
    assert user.last.message_id == question.message_id and not user.last.buttons
    row = await _user(harness)
    assert row.status == "paused" and row.paused_until is None
    assert await _pauses(harness, row.id) == [(date(2026, 11, 27), None)]


async def test_bare_pause_offers_lengths_and_keeping_reminders_on(harness: BotHarness) -> None:
    user = await onboarded(harness)
    await user.say("/pause")
    labels = [label for label, _data in user.last.buttons]
    assert labels == ["3 days", "1 week", "2 weeks", "Until I send /resume", "Keep reminders on"]
    await user.press("Keep reminders on")
    assert "stay on" in (user.last.text or "") and not user.last.buttons
    assert (await _user(harness)).status == "active"
    await user.say("/pause")
    await user.press("1 week")
    row = await _user(harness)
    assert row.status == "paused" and row.paused_until == date(2026, 12, 3)
    assert "Paused" in (user.last.text or "")


async def test_pause_with_end_date_resumes_by_itself(harness: BotHarness) -> None:
    user = await onboarded(harness)
    await user.say("/pause until tuesday")
    row = await _user(harness)
    assert row.paused_until == date(2026, 11, 30)  # Monday is the last paused day
    harness.clock.advance(timedelta(days=4))  # Tuesday 1 Dec
    async with harness.services.sessions() as session:
        loaded = await session.get(User, row.id)
        assert loaded is not None
        await resume_user(session, loaded, harness.clock.now(), harness.settings)
        await session.commit()
    assert await _pauses(harness, row.id) == [(date(2026, 11, 27), date(2026, 11, 30))]


async def test_resume_when_not_paused_says_so(harness: BotHarness) -> None:
    user = await onboarded(harness)
    await user.say("/resume")
    assert "not paused" in (user.last.text or "")
