"""/settings: each change is saved, and timing changes move the next check-in at once."""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy import select

from bot.db.models import RedFlagReport, RehabProfile, ScheduledMessage, User
from tests.harness.bot import BotHarness
from tests.helpers.onboarding import onboarded


async def _state(harness: BotHarness) -> tuple[User, RehabProfile, list[ScheduledMessage]]:
    async with harness.services.sessions() as session:
        user = (await session.execute(select(User).where(User.telegram_id == 1001))).scalar_one()
        profile = await session.get(RehabProfile, user.id)
        assert profile is not None
        pending = (
            (
                await session.execute(
                    select(ScheduledMessage).where(
                        ScheduledMessage.user_id == user.id,
                        ScheduledMessage.kind == "checkin",
                        ScheduledMessage.status == "pending",
                    )
                )
            )
            .scalars()
            .all()
        )
        return user, profile, list(pending)


async def test_changing_checkin_time_moves_the_pending_checkin(harness: BotHarness) -> None:
    user = await onboarded(harness)  # Berlin, 19:00
    await user.say("/settings")
    assert "Your settings" in (user.last.text or "")
    await user.press("Check-in time")
    await user.say("25:99")
    assert "couldn't read" in (user.last.text or "")
    await user.say("7:30 pm")
    assert "19:30" in (user.last.text or "") and "today at 19:30" in (user.last.text or "")
    row, _, pending = await _state(harness)
    assert row.checkin_time == time(19, 30)
    assert [p.due_at for p in pending] == [datetime(2026, 11, 27, 18, 30, tzinfo=UTC)]


async def test_changing_checkin_time_by_button_to_an_earlier_hour_means_tomorrow(
    harness: BotHarness,
) -> None:
    user = await onboarded(harness)
    await user.say("/settings")
    await user.press("Check-in time")
    await user.press("08:00")  # 09:00 in Berlin already: next is tomorrow 08:00 = 07:00Z
    assert "tomorrow at 08:00" in (user.last.text or "")
    _, _, pending = await _state(harness)
    assert [p.due_at for p in pending] == [datetime(2026, 11, 28, 7, 0, tzinfo=UTC)]


async def test_changing_timezone_moves_the_checkin_to_the_new_local_time(
    harness: BotHarness,
) -> None:
    user = await onboarded(harness)
    await user.say("/settings")
    await user.press("Time zone")
    await user.say("Nowhereville Qqq")
    assert "couldn't find" in (user.last.text or "")
    await user.say("New York")
    assert "America/New_York" in (user.last.text or "")
    row, _, pending = await _state(harness)
    assert row.timezone == "America/New_York"
    # 19:00 in New York (UTC-5 in November) is 00:00Z the next day.
    assert [p.due_at for p in pending] == [datetime(2026, 11, 28, 0, 0, tzinfo=UTC)]


async def test_pt_schedule_area_nudges_and_quiet_hours(harness: BotHarness) -> None:
    user = await onboarded(harness)
    await user.say("/settings")
    await user.press("PT sessions")
    await user.press("3")
    await user.press("Mon")
    await user.press("Fri")
    await user.press("Done")
    await user.press("12:00")
    await user.say("/settings")
    await user.press("Injury area")
    await user.press("Achilles")
    await user.say("/settings")
    await user.press("Nudges")
    await user.press("Off")
    await user.say("/settings")
    await user.press("Quiet hours")
    await user.press("22:00")
    await user.say("22:00")  # same as the start: corrected
    assert "different" in (user.last.text or "")
    await user.say("6:30")
    row, profile, _ = await _state(harness)
    assert (profile.pt_sessions_per_week, profile.pt_weekdays, profile.pt_time) == (
        3,
        [0, 4],
        time(12, 0),
    )
    assert profile.injury_area == "achilles_calf"
    assert row.nudge_cadence == "off"
    assert (row.quiet_start, row.quiet_end) == (time(22, 0), time(6, 30))
    await user.say("/settings")
    menu = user.last.text or ""
    assert "Achilles / calf" in menu and "22:00 to 06:30" in menu and "Mon, Fri" in menu


async def test_stale_settings_button_changes_nothing(harness: BotHarness) -> None:
    user = await onboarded(harness)
    await user.say("/settings")
    await user.press("Check-in time")
    times = user.last
    await user.press("20:00")
    await user.press_data("st:ct:0700", times)  # an old copy pressed after the change
    row, _, _ = await _state(harness)
    assert row.checkin_time == time(20, 0)
    assert list(user.tg.query_answers.values())[-1]["text"] == "That step is already done."


async def test_settings_before_setup_points_to_start(harness: BotHarness) -> None:
    user = harness.user()
    await user.say("/settings")
    assert "/start" in (user.last.text or "")


async def test_cancel_leaves_a_settings_change_without_saving(harness: BotHarness) -> None:
    user = await onboarded(harness)
    await user.say("/settings")
    await user.press("Quiet hours")
    await user.press("23:00")
    await user.say("/cancel")
    assert "cancelled" in (user.last.text or "").lower()
    row, _, _ = await _state(harness)
    assert (row.quiet_start, row.quiet_end) == (time(21, 0), time(8, 0))
    async with harness.services.sessions() as session:
        from bot.db.models import Dialog

        assert await session.get(Dialog, row.id) is None


async def test_a_red_flag_typed_at_a_settings_step_is_answered_and_never_saved(
    harness: BotHarness,
) -> None:
    user = await onboarded(harness)
    await user.say("/settings")
    await user.press("Injury area")
    await user.press("Other (type it)")
    answer = await user.say("my calf is swollen and hot since my flight yesterday")
    assert answer is not None and "doctor" in (answer.text or "").lower()
    _, profile, _ = await _state(harness)
    assert profile.injury_area == "knee" and profile.injury_other is None
    async with harness.services.sessions() as session:
        reports = (await session.execute(select(RedFlagReport))).scalars().all()
    assert len(reports) == 1
    # The step still waits for its answer.
    await user.say("left ankle")
    assert "injury area set to left ankle" in (user.last.text or "")
    _, profile, _ = await _state(harness)
    assert profile.injury_area == "other" and profile.injury_other == "left ankle"


async def test_session_days_typed_with_their_time_in_settings_save_both(
    harness: BotHarness,
) -> None:
    user = await onboarded(harness)
    await user.say("/settings")
    await user.press("PT sessions")
    await user.press("2")
    await user.say("mondays and fridays at 8am")
    assert "Mon, Fri" in (user.last.text or "") and "08:00" in (user.last.text or "")
    _, profile, _ = await _state(harness)
    assert (profile.pt_weekdays, profile.pt_time) == ([0, 4], time(8, 0))
