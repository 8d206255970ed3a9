"""How often the bot speaks: a daily budget, the next-morning question, PT reminders, no echo.

End to end through the real Application and dispatcher over simulated days, on SQLite and
PostgreSQL; every assertion is about what arrives in the user's chat and when.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.content import load_nudges
from bot.services.planner import schedule_user
from tests.harness.bot import BotHarness
from tests.harness.fake_telegram import SentMessage
from tests.helpers.seed import add_onboarded_user

BERLIN = ZoneInfo("Europe/Berlin")
BUDGET = 2  # config.toml schedule.proactive_per_day


async def make_user(
    harness: BotHarness,
    telegram_id: int = 1001,
    *,
    cadence: str = "normal",
    pt_weekdays: tuple[int, ...] = (),
    pt_time: time | None = None,
    injury: str = "knee",
) -> None:
    now = harness.clock.now()
    async with harness.services.sessions() as session:
        user = await add_onboarded_user(
            session,
            telegram_id,
            now,
            cadence=cadence,
            nudge_seed=11,
            injury_area=injury,
            stopped_running_on=date(2026, 11, 16),
            pt_sessions_per_week=len(pt_weekdays) or 1,
            pt_weekdays=pt_weekdays,
            pt_time=pt_time,
        )
        await schedule_user(session, user, now, harness.settings)
        await session.commit()


def local_now(harness: BotHarness) -> datetime:
    return harness.clock.now().astimezone(BERLIN)


async def to_local_midnight(harness: BotHarness) -> None:
    now = local_now(harness)
    midnight = datetime.combine(now.date() + timedelta(days=1), time(0, 0), BERLIN)
    await harness.advance(midnight.astimezone(UTC) - harness.clock.now())


async def live_days(
    harness: BotHarness, chat: int, days: int
) -> list[list[tuple[str, SentMessage]]]:
    """Each local day's messages with the local time they arrived (the user does nothing)."""
    result: list[list[tuple[str, SentMessage]]] = []
    for _ in range(days):
        day: list[tuple[str, SentMessage]] = []
        end = harness.clock.now() + timedelta(days=1)
        while harness.clock.now() < end:
            seen = len(harness.telegram.messages(chat))
            harness.clock.set(await harness.next_tick_at(end, timedelta(minutes=15)))
            await harness.tick()
            stamp = f"{local_now(harness):%a %H:%M}"
            day.extend((stamp, m) for m in harness.telegram.messages(chat)[seen:])
        result.append(day)
    return result


def is_checkin(m: SentMessage) -> bool:
    """The check-in and its one follow-up: outside the budget."""
    return any(d.startswith("ci:") for _, d in m.buttons)


def proactive(day: list[tuple[str, SentMessage]]) -> list[SentMessage]:
    return [m for _, m in day if not is_checkin(m)]


def trigger_of(m: SentMessage) -> str | None:
    """Which nudge trigger a message's text was written for (None: not a nudge)."""
    text = m.text or ""
    for nudge in load_nudges():
        parts = [p for p in re.split(r"\{\w+\}", nudge.text) if p.strip()]
        if parts and all(p in text for p in parts):
            return nudge.trigger
    return None


def kind(m: SentMessage) -> str:
    text = m.text or m.caption or ""
    if any(d.startswith("pt:") for _, d in m.buttons):
        return "after_pt"
    if "at 16:00" in text or "at 07:00" in text:
        return "pt_reminder"
    if text.startswith(("Your week", "Weekly round-up")) or "Adherence (7 days)" in text:
        return "weekly"
    return "nudge"


async def test_a_silent_user_gets_at_most_two_proactive_messages_a_day(
    harness: BotHarness,
) -> None:
    # PT on Tuesdays and Thursdays at 16:00; nudges at the normal cadence; the user goes
    # silent from the start, so the missed-days nudge comes on top of everything else.
    await make_user(harness, pt_weekdays=(1, 3), pt_time=time(16, 0))
    await to_local_midnight(harness)
    days = await live_days(harness, 1001, 14)
    kinds_by_day = [[kind(m) for m in proactive(day)] for day in days]
    for day, kinds in zip(days, kinds_by_day, strict=True):
        assert len(kinds) <= BUDGET, [(t, (m.text or "")[:50]) for t, m in day]
        # The check-in keeps coming every day, outside the budget.
        assert any(is_checkin(m) for _, m in day)
    # Every PT day has its reminder and after-PT message, and then nothing else proactive.
    pt_days = [k for k in kinds_by_day if "pt_reminder" in k]
    assert len(pt_days) == 4
    assert all(sorted(k) == ["after_pt", "pt_reminder"] for k in pt_days)
    # The missed-days nudge is not lost: it comes once, on a day with room for it.
    missed = [m for day in days for m in proactive(day) if trigger_of(m) == "missed_days"]
    assert len(missed) == 1


async def test_a_07_00_session_is_reminded_the_evening_before(harness: BotHarness) -> None:
    # Friday 09:00 Berlin; a session on Sunday at 07:00, inside quiet hours (21:00-08:00):
    # the reminder two hours before would be 05:00, so it comes on Saturday evening.
    await make_user(harness, cadence="off", pt_weekdays=(6,), pt_time=time(7, 0))
    await to_local_midnight(harness)
    days = await live_days(harness, 1001, 3)
    reminders = [(t, m) for day in days for t, m in day if kind(m) == "pt_reminder"]
    assert [(t, "tomorrow at 07:00" in (m.text or "")) for t, m in reminders] == [
        ("Sat 20:45", True)
    ]
    after = [(t, m) for day in days for t, m in day if kind(m) == "after_pt"]
    assert [t for t, _ in after] == ["Sun 09:00"]


async def test_next_morning_question_only_above_the_comfortable_band(
    harness: BotHarness,
) -> None:
    await make_user(harness, cadence="off")
    alex = harness.user(1001)
    await harness.advance(timedelta(hours=10, minutes=5))  # 19:05 Berlin: the check-in
    await alex.press("Did them all")
    await alex.press("3")
    await alex.press("Skip")
    before = len(alex.texts)
    await harness.advance(timedelta(hours=14))  # 09:05 the next morning
    assert len(alex.texts) == before  # 3/10 is comfortable: no question the next morning
    await harness.advance(timedelta(hours=10))  # 19:05: the check-in
    await alex.press("Did them all")
    await alex.press("4")
    await alex.press("Skip")
    await harness.advance(timedelta(hours=14))
    assert "morning" in (alex.last.text or "").lower()
    assert [label for label, _ in alex.last.buttons] == ["Better", "Same", "Worse"]


async def test_a_pain_score_corrected_to_comfortable_drops_the_morning_question(
    harness: BotHarness,
) -> None:
    await make_user(harness, cadence="off")
    alex = harness.user(1001)
    await harness.advance(timedelta(hours=10, minutes=5))
    await alex.press("Did them all")
    await alex.press("5")
    await alex.press("Skip")
    await alex.say("/checkin")  # on second thoughts it was a 2: "Update today"
    await alex.press("Update today")
    await alex.press("Did them all")
    await alex.press("2")
    assert "2/10" in (alex.last.text or "")
    before = len(alex.texts)
    await harness.advance(timedelta(hours=14))
    asked = [t for t in alex.texts[before:] if "morning" in t.lower()]
    assert asked == []


async def test_the_worse_reply_is_not_echoed_by_a_flare_nudge_the_same_day(
    harness: BotHarness,
) -> None:
    await make_user(harness, cadence="low")
    alex = harness.user(1001)
    await harness.advance(timedelta(hours=10, minutes=5))  # Friday 19:05
    await alex.press("Did them all")
    await alex.press("5")
    await alex.press("Skip")
    await harness.advance(timedelta(hours=13, minutes=30))  # Saturday 08:35: the question
    await alex.press("Worse")
    reply = alex.last.text or ""
    assert "reduce the load" in reply or "lighter" in reply
    start = len(alex.texts)
    # The rest of Saturday: the check-in at most, no second round of "ease off" advice.
    await harness.advance(timedelta(hours=15))
    same_day = [t for t in alex.texts[start:] if "Did them" not in t]
    assert not [m for m in alex.tg.messages(1001)[start:] if trigger_of(m) == "pain_flare"]
    assert not [t for t in same_day if "ease off" in t.lower()]
    # Sunday: one pain-flare nudge that follows up, with the safety advice.
    await harness.advance(timedelta(hours=24))
    flare = [m for m in alex.tg.messages(1001)[start:] if trigger_of(m) == "pain_flare"]
    assert len(flare) == 1
    assert "doctor" in (flare[0].text or "") and flare[0].text != reply


async def test_the_budget_is_configurable(clock: object, db_url: str) -> None:
    from tests.conftest import make_settings

    base = make_settings(db_url)
    settings = base.with_overrides(schedule={"proactive_per_day": 1})
    h = BotHarness(settings, clock)  # type: ignore[arg-type]
    await h.start()
    try:
        await make_user(h, pt_weekdays=(1, 3), pt_time=time(16, 0))
        await to_local_midnight(h)
        days = await live_days(h, 1001, 7)
        per_day = [[kind(m) for m in proactive(day)] for day in days]
        assert all(len(k) <= 1 for k in per_day), per_day
        # The reminder outranks the after-PT message: on PT days only the reminder comes.
        assert [k for k in per_day if "pt_reminder" in k] == [["pt_reminder"], ["pt_reminder"]]
    finally:
        await h.app.shutdown()


async def test_a_full_summary_day_moves_the_weekly_summary_to_monday(harness: BotHarness) -> None:
    # PT on Sundays at 16:00: the reminder and the after-PT message fill Sunday's budget, so
    # the weekly summary (Sunday 19:00) comes on Monday at 19:00 instead of being lost.
    await make_user(harness, cadence="off", pt_weekdays=(6,), pt_time=time(16, 0))
    await to_local_midnight(harness)
    days = await live_days(harness, 1001, 10)
    summaries = [t for day in days for t, m in day if kind(m) == "weekly"]
    assert summaries == ["Mon 19:00", "Mon 19:00"]  # both weeks: the chain carries on
    for day in days:
        assert len(proactive(day)) <= BUDGET
