"""Sixty days of rehab for scripted users, through the real bot, dispatcher and database.

Each user answers the real check-in buttons when the check-in arrives, and the test then
asserts the nudge rules on the whole sequence of messages: how many a week, never in quiet
hours, no repeats before the pool is used up, the right trigger at the right time, and
silence while paused, blocked, lapsed or after a red flag.

The full 61-day run uses SQLite; PostgreSQL runs a shorter stretch of the same scenario.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.db.models import NudgeLog, ScheduledMessage, User
from bot.domain.callbacks import SafetyAction
from bot.domain.callbacks import safety as safety_data
from bot.domain.content import load_nudges
from bot.domain.kinds import MessageKind
from bot.domain.timing import in_quiet_hours
from bot.reports import stats
from bot.services.history import load_days
from bot.services.outbox import Outbox
from bot.services.outgoing_nudges import GENTLE_THEMES
from bot.services.planner import schedule_user
from tests.conftest import START, make_settings
from tests.harness.bot import BotHarness
from tests.harness.fake_telegram import FakeTelegram, SentMessage
from tests.helpers.seed import add_onboarded_user

pytestmark = pytest.mark.slow  # simulates weeks of rehab day by day

ZONE = "Europe/Berlin"
BERLIN = ZoneInfo(ZONE)
DAY0 = START.astimezone(BERLIN).date()  # Friday 2026-11-27
STOPPED = date(2026, 11, 16)
QUIET = (time(21, 0), time(8, 0))
RED_FLAG_TEXT = "my shin hurts in one spot even when I'm sitting"
PUSH_WORDS = ("push through", "push on", "no pain", "harder", "tough it out", "no excuses")
NUDGES = {n.id: n for n in load_nudges()}


class ClockedTelegram(FakeTelegram):
    """Remembers the fake-clock time at which each message reached the chat."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.sent_at: dict[int, datetime] = {}

    def _new_message(self, chat_id: int, **fields: Any) -> SentMessage:
        msg = super()._new_message(chat_id, **fields)
        self.sent_at[msg.message_id] = self.clock.now()
        return msg


@dataclass
class Script:
    tg: int
    cadence: str = "normal"
    answer: Callable[[int], str] = lambda day: "done"  # done | skip | absent
    pain: Callable[[int], int] = lambda day: 1 + day % 2
    morning: Callable[[int], str] = lambda day: "Better"
    events: dict[tuple[int, time], str] = field(default_factory=dict)
    pt_weekdays: tuple[int, ...] = ()
    area: str = "knee"
    first_name: str = "Sam"
    answered: set[int] = field(default_factory=set)
    marks: dict[str, int] = field(default_factory=dict)  # event -> index in the chat


def local(dt: datetime) -> datetime:
    return dt.astimezone(BERLIN)


def day_of(dt: datetime) -> int:
    return (local(dt).date() - DAY0).days


async def add_user(h: BotHarness, s: Script) -> None:
    now = h.clock.now()
    async with h.services.sessions() as session:
        user = await add_onboarded_user(
            session,
            s.tg,
            now,
            first_name=s.first_name,
            zone=ZONE,
            cadence=s.cadence,
            nudge_seed=s.tg,
            quiet=QUIET,
            injury_area=s.area,
            stopped_running_on=STOPPED,
            pt_sessions_per_week=len(s.pt_weekdays),
            pt_weekdays=s.pt_weekdays,
            pt_time=time(16, 0) if s.pt_weekdays else None,
            exercises=("Clamshells", "Glute bridges"),
        )
        await schedule_user(session, user, now, h.settings)
        await session.commit()


async def react(h: BotHarness, s: Script, msg: SentMessage, day: int) -> None:
    """What the scripted user does when a message with buttons arrives."""
    data = [d for _, d in msg.buttons]
    user = h.user(s.tg, s.first_name)
    if any(d.startswith("ci:") and d.endswith(":done") for d in data) and day not in s.answered:
        action = s.answer(day)
        if action == "done":
            await user.press("Did them all", msg)
            await user.press(str(s.pain(day)), msg)
            await user.press("Skip")
            s.answered.add(day)
        elif action == "skip":
            await user.press("Not today", msg)
            await user.press("No time", msg)
            s.answered.add(day)
    elif any(d.startswith("mo:") for d in data):
        await user.press(s.morning(day), msg)


async def act(h: BotHarness, s: Script, event: str) -> None:
    user = h.user(s.tg, s.first_name)
    s.marks[event] = len(h.telegram.messages(s.tg))
    if event == "redflag":
        await user.say(RED_FLAG_TEXT)
    elif event == "clinician":
        seen, cleared = safety_data(SafetyAction.SEEN), safety_data(SafetyAction.CLEARED)
        flagged = [m for m in h.telegram.messages(s.tg) if any(d == seen for _, d in m.buttons)]
        await user.press_data(seen, flagged[-1])
        asked = h.telegram.messages(s.tg)[-1]
        if any(d == cleared for _, d in asked.buttons):  # on hold: "did they clear you?"
            await user.press_data(cleared, asked)
    elif event.startswith("say:"):  # the user types something (a question, a thank-you)
        await user.say(event.removeprefix("say:"))
    elif event == "clearance":  # the PT cleared them: the real /running flow
        offer = await user.say("/running")
        if offer is not None and any("cleared me" in label for label, _ in offer.buttons):
            confirm = await user.press("cleared me", offer)
            if confirm is not None:
                await user.press("Yes, my clinician cleared me", confirm)
    elif event == "pause":
        await user.say("/pause 7")
    elif event == "block":
        await user.block()


async def simulate(h: BotHarness, scripts: list[Script], days: int) -> None:
    """Run the bot for ``days``, waking at every due message and scripted event.

    Jumping from one piece of work to the next (``Outbox.next_work_at``: a due message or a
    pause's end) instead of ticking every few minutes sends each message at exactly its due
    time, as the real 5-second tick does, and keeps 60 days fast.
    """
    for s in scripts:
        await add_user(h, s)
    seen = {s.tg: 0 for s in scripts}
    end = START + timedelta(days=days)
    events = sorted(
        {
            datetime.combine(DAY0 + timedelta(days=d), at, BERLIN).astimezone(UTC)
            for s in scripts
            for d, at in s.events
        }
    )
    while h.clock.now() < end:
        now = h.clock.now()
        work_at = await Outbox(h.services).next_work_at(now)
        wakes = [e for e in events if e > now] + [end]
        if work_at is not None:
            wakes.append(max(work_at, now + timedelta(seconds=1)))
        wake = min(wakes)
        h.clock.set(wake)
        await h.tick()
        here = local(h.clock.now())
        day = (here.date() - DAY0).days
        for s in scripts:
            event = s.events.get((day, here.time()))
            if event:
                await act(h, s, event)
            messages = h.telegram.messages(s.tg)
            for msg in messages[seen[s.tg] :]:
                await react(h, s, msg, day)
            seen[s.tg] = len(h.telegram.messages(s.tg))


@dataclass(frozen=True)
class SentNudge:
    nudge_id: str
    trigger: str
    sent_at: datetime
    text: str

    @property
    def day(self) -> int:
        return day_of(self.sent_at)


async def sent_nudges(h: BotHarness, tg: int) -> list[SentNudge]:
    by_id = {m.message_id: m for m in h.telegram.messages(tg)}
    async with h.services.sessions() as session:
        user = (await session.execute(select(User).where(User.telegram_id == tg))).scalar_one()
        rows = (
            (
                await session.execute(
                    select(ScheduledMessage)
                    .where(
                        ScheduledMessage.user_id == user.id,
                        ScheduledMessage.kind == MessageKind.NUDGE,
                        ScheduledMessage.status == "sent",
                    )
                    .order_by(ScheduledMessage.sent_at)
                )
            )
            .scalars()
            .all()
        )
        logs = (
            (await session.execute(select(NudgeLog).where(NudgeLog.user_id == user.id)))
            .scalars()
            .all()
        )
    assert len(logs) == len(rows)  # every nudge sent is in the log the chooser reads
    result = []
    for row in rows:
        assert row.sent_at is not None and row.telegram_message_id is not None
        text = by_id[row.telegram_message_id].text or ""
        result.append(SentNudge(row.payload["nudge_id"], row.payload["trigger"], row.sent_at, text))
    return result


def iso_weeks(
    nudges: list[SentNudge], first: int, last: int
) -> dict[tuple[int, int], list[SentNudge]]:
    """Nudges per ISO week, for the weeks that lie fully between days ``first`` and ``last``."""
    weeks: dict[tuple[int, int], list[SentNudge]] = defaultdict(list)
    for d in range(first, last + 1):
        day = DAY0 + timedelta(days=d)
        if day.weekday() == 0 and d + 6 <= last:
            weeks[tuple(day.isocalendar())[:2]] = []  # type: ignore[index]
    for n in nudges:
        key = tuple(local(n.sent_at).date().isocalendar())[:2]
        if key in weeks:
            weeks[key].append(n)
    return weeks


def assert_quiet_hours_respected(h: BotHarness, tg: int) -> None:
    tele = h.telegram
    assert isinstance(tele, ClockedTelegram)
    for msg in tele.messages(tg):
        at = tele.sent_at[msg.message_id]
        assert not in_quiet_hours(at, ZONE, *QUIET), (local(at), msg.text or msg.caption)


def assert_no_early_repeat(nudges: list[SentNudge]) -> None:
    """A scheduled nudge comes back only after every one suited to the phase was used,
    and never twice in a row."""
    scheduled = [n for n in nudges if n.trigger == "scheduled"]
    for i, n in enumerate(scheduled):
        before = [m.nudge_id for m in scheduled[:i]]
        if n.nudge_id not in before:
            continue
        assert before[-1] != n.nudge_id
        rehab_day = (local(n.sent_at).date() - STOPPED).days + 1
        phase = (
            "first_week" if rehab_day <= 7 else "weeks_2_4" if rehab_day <= 28 else "month_2_plus"
        )
        suitable = {k for k, v in NUDGES.items() if v.trigger == "scheduled" and phase in v.phases}
        missing = sorted(suitable - set(before))
        assert not missing, f"{n.nudge_id} repeated before {missing} were used"


def assert_at_most_one_a_day(nudges: list[SentNudge]) -> None:
    per_day = Counter(local(n.sent_at).date() for n in nudges)
    assert max(per_day.values(), default=0) <= 1


def scripts() -> dict[str, Script]:
    return {
        "diligent": Script(2001, pt_weekdays=(1,)),
        "low": Script(2002, cadence="low"),
        "off": Script(2003, cadence="off", answer=lambda d: "absent"),
        "drifting": Script(2004, answer=lambda d: "absent" if 10 <= d < 30 else "done"),
        "in_pain": Script(
            2005,
            # 7 on day 5; 4 on day 19 (acceptable, so asked about the next morning).
            pain=lambda d: {5: 7, 19: 4}.get(d, 1 + d % 2),
            morning=lambda d: "Worse" if d == 20 else "Better",
        ),
        "plateaued": Script(2006, pain=lambda d: 4 if d <= 20 else 2 if d <= 22 else 1),
        "paused": Script(2007, events={(15, time(12, 0)): "pause"}),
        "blocked": Script(2008, events={(10, time(12, 0)): "block"}),
        "red_flag": Script(
            2009, events={(10, time(12, 0)): "redflag", (20, time(12, 0)): "clinician"}
        ),
    }


def make_harness(db_url: str) -> BotHarness:
    clock = FakeClock(START)
    return BotHarness(make_settings(db_url), clock, ClockedTelegram(clock))


async def run(
    db_url: str, names: tuple[str, ...], days: int
) -> tuple[BotHarness, dict[str, Script], dict[str, list[SentNudge]]]:
    """Simulate the named users and check the rules that hold for everyone."""
    h = make_harness(db_url)
    await h.start()
    users = {name: script for name, script in scripts().items() if name in names}
    await simulate(h, list(users.values()), days)
    sent = {name: await sent_nudges(h, s.tg) for name, s in users.items()}
    for name, s in users.items():
        assert_quiet_hours_respected(h, s.tg)
        assert_at_most_one_a_day(sent[name])
        if name != "in_pain":  # after a flare only gentle nudges are allowed: a smaller pool
            assert_no_early_repeat(sent[name])
    return h, users, sent


def between(day: int, at: time) -> datetime:
    return datetime.combine(DAY0 + timedelta(days=day), at, BERLIN).astimezone(UTC)


async def test_sixty_days_cadence_milestones_and_pt_sessions(sqlite_url: str) -> None:
    days = 61
    h, _, sent = await run(sqlite_url, ("diligent", "low", "off"), days)
    try:
        # Diligent, normal cadence: every milestone exactly once, about four a week.
        diligent = sent["diligent"]
        milestones = [n for n in diligent if n.trigger == "milestone"]
        assert [n.nudge_id for n in milestones] == [
            "milestone-3",
            "milestone-7",
            "milestone-14",
            "milestone-30",
        ]
        assert all(0 <= n.day - d <= 1 for n, d in zip(milestones, (2, 6, 13, 29), strict=True))
        # The 60-day streak falls on day 60, a Tuesday: the PT reminder and the after-PT
        # message fill that day's budget of two, so the celebration waits for the next day.
        async with h.services.sessions() as session:
            waiting = (
                await session.execute(
                    select(ScheduledMessage)
                    .join(User, User.id == ScheduledMessage.user_id)
                    .where(
                        User.telegram_id == 2001,
                        ScheduledMessage.kind == "nudge",
                        ScheduledMessage.status == "pending",
                        ScheduledMessage.local_date == DAY0 + timedelta(days=61),
                    )
                )
            ).scalars()
            assert [r.payload.get("streak") for r in waiting] == [60]
        # Each celebration is one of the nudges written for that streak length.
        for logged, streak in zip(milestones, (3, 7, 14, 30), strict=True):
            written = [n for n in load_nudges() if n.trigger == "milestone" and n.streak == streak]
            assert any(
                all(part in logged.text for part in re.split(r"\{\w+\}", n.text) if part.strip())
                for n in written
            ), (streak, logged.text)
        weeks = iso_weeks(diligent, 0, days - 1)
        assert len(weeks) == 8
        for week in weeks.values():
            assert sum(n.trigger == "scheduled" for n in week) <= 4
            extra = sum(n.trigger == "milestone" for n in week)
            assert 4 <= len(week) <= 4 + extra, [(n.trigger, local(n.sent_at)) for n in week]
        assert {n.trigger for n in diligent} == {"scheduled", "milestone"}
        # PT every Tuesday at 16:00: a reminder two hours before, the follow-up prompt after.
        tele = h.telegram
        assert isinstance(tele, ClockedTelegram)
        reminders = [m for m in tele.messages(2001) if "today at 16:00" in (m.text or "")]
        prompts = [m for m in tele.messages(2001) if any(d.startswith("pt:") for _, d in m.buttons)]
        assert len(reminders) == len(prompts) == 9
        assert {local(tele.sent_at[m.message_id]).strftime("%a %H:%M") for m in reminders} == {
            "Tue 14:00"
        }
        assert {local(tele.sent_at[m.message_id]).strftime("%a %H:%M") for m in prompts} == {
            "Tue 18:00"
        }

        # Low cadence: about two a week; off: no nudge at all, but the weekly summary comes.
        for week in iso_weeks(sent["low"], 0, days - 1).values():
            extra = sum(n.trigger == "milestone" for n in week)
            assert sum(n.trigger == "scheduled" for n in week) <= 2 and 2 <= len(week) <= 2 + extra
        assert sent["off"] == []
        summaries = [t for t in tele.texts(2003) if t.startswith(("Your week", "Weekly round-up"))]
        assert len(summaries) == 9  # every Sunday
    finally:
        await h.stop()


async def test_lapse_pause_and_block_each_silence_nudges(sqlite_url: str) -> None:
    h, users, sent = await run(sqlite_url, ("drifting", "paused", "blocked"), 42)
    tele = h.telegram
    assert isinstance(tele, ClockedTelegram)
    try:
        # Drifting: one commitment nudge after two missed days, then silence until day 30.
        drifting = sent["drifting"]
        missed = [n for n in drifting if n.trigger == "missed_days"]
        assert len(missed) == 1 and missed[0].day in (12, 13)
        assert [n for n in drifting if missed[0].day < n.day <= 30] == []
        assert any(n.day > 30 and n.trigger == "scheduled" for n in drifting)  # back: nudges resume
        prompts = [m for m in tele.messages(2004) if any(d.startswith("ci:") for _, d in m.buttons)]
        assert len(prompts) >= 20  # unanswered, the daily check-in itself keeps coming

        # Paused on day 15 for 7 days: nothing arrives, and the streak survives the pause.
        paused_msgs = tele.messages(2007)[users["paused"].marks["pause"] + 1 :]
        assert not [m for m in paused_msgs if 15 <= day_of(tele.sent_at[m.message_id]) <= 21]
        assert [n.nudge_id for n in sent["paused"] if n.trigger == "milestone"][
            -1
        ] == "milestone-30"
        async with h.services.sessions() as session:
            user = (
                await session.execute(select(User).where(User.telegram_id == 2007))
            ).scalar_one()
            last = DAY0 + timedelta(days=41)
            history = await load_days(session, user, DAY0 - timedelta(days=3), last)
        assert stats.streak(history, last) == 42 - 7  # every day but the seven paused ones

        # Blocked on day 10: not a single attempt to send anything afterwards.
        attempts = [c for c in tele.calls if c.chat_id == 2008 and c.method.startswith("send")]
        assert len(attempts) == users["blocked"].marks["block"]
        assert all(n.day <= 10 for n in sent["blocked"])
    finally:
        await h.stop()


async def test_pain_plateau_and_red_flag_get_the_right_nudge_or_none(sqlite_url: str) -> None:
    h, _, sent = await run(sqlite_url, ("in_pain", "plateaued", "red_flag"), 25)
    tele = h.telegram
    assert isinstance(tele, ClockedTelegram)
    try:
        # In pain: pain 7 on day 5 is above "see a professional" (issue 14.3): the reply itself
        # is the escalation advice, and the watch it raises holds nudges (so no day-5 flare
        # nudge) until pain settles the next session. A single "worse" morning on day 20 is a
        # pain-flare nudge with the safety advice and no push, the next day (the "worse" reply
        # already said to ease off on day 20); nudges right after stay gentle.
        escalations = [
            m for m in tele.messages(2005) if "before your next session" in (m.text or "")
        ]
        assert len(escalations) == 1 and day_of(tele.sent_at[escalations[0].message_id]) == 5
        flares = [n for n in sent["in_pain"] if n.trigger == "pain_flare"]
        assert [n.day for n in flares] == [21]
        for n in flares:
            assert "doctor" in n.text and not any(w in n.text.lower() for w in PUSH_WORDS)
        for n in sent["in_pain"]:
            after_flare = (between(5, time(19, 0)) < n.sent_at and n.day <= 8) or (
                between(20, time(8, 30)) < n.sent_at and n.day <= 22
            )
            if n.trigger == "scheduled" and after_flare:
                assert NUDGES[n.nudge_id].theme in GENTLE_THEMES, n.nudge_id

        # Plateaued: steady pain 4 over two weeks of exercise: one nudge, about the PT.
        plateau = [n for n in sent["plateaued"] if n.trigger == "plateau"]
        assert len(plateau) == 1 and 13 <= plateau[0].day <= 14
        assert "PT" in plateau[0].text or "physical therapist" in plateau[0].text

        # Red flag on day 10 at noon: no nudges until the clinician button on day 20.
        held_from, held_to = between(10, time(12, 0)), between(20, time(12, 0))
        red = sent["red_flag"]
        assert not [n for n in red if held_from <= n.sent_at <= held_to]
        assert any(n.sent_at < held_from for n in red) and any(n.sent_at > held_to for n in red)
        held = [
            m.caption or ""
            for m in tele.messages(2009)
            if m.kind == "photo" and held_from <= tele.sent_at[m.message_id] <= held_to
        ]
        assert held and all("ease off" in c for c in held)  # the weekly line turns to safety
    finally:
        await h.stop()


async def test_three_weeks_on_postgres(pg_url: str) -> None:
    """The same rules on PostgreSQL over a shorter stretch (row locks, JSON payloads, dates)."""
    h, _, sent = await run(pg_url, ("diligent", "drifting"), 15)
    try:
        assert [n.nudge_id for n in sent["diligent"] if n.trigger == "milestone"] == [
            "milestone-3",
            "milestone-7",
            "milestone-14",
        ]
        missed = [n for n in sent["drifting"] if n.trigger == "missed_days"]
        assert len(missed) == 1 and [n for n in sent["drifting"] if n.day > missed[0].day] == []
    finally:
        await h.stop()
