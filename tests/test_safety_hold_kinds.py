"""What a safety hold lets through, per message kind, over simulated days through the real
application and dispatcher (both databases): during an urgent hold the neutral PT
appointment reminder still comes (it helps the user reach a clinician), during an emergency
hold nothing but the safety follow-up does; once released, reminders come again."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.db.models import ScheduledMessage
from bot.domain.kinds import MessageKind
from tests.harness.bot import BotHarness, SimUser
from tests.helpers.onboarding import onboard
from tests.test_safety_stories import EMERGENCY, URGENT

# checkin.toml's pt_session_reminder variants.
PT_REMINDER_WORDS = (
    "Reminder: physical therapy",
    "Your PT session is",
    "Your physical therapy session is",
)


def _reminders(user: SimUser, since: int) -> list[str]:
    texts = [m.text or "" for m in user.tg.messages(user.id)[since:]]
    return [t for t in texts if t.startswith(PT_REMINDER_WORDS)]


async def _statuses(h: BotHarness, kind: MessageKind) -> list[str]:
    async with h.services.sessions() as session:
        rows = await session.execute(
            select(ScheduledMessage.status)
            .where(ScheduledMessage.kind == kind)
            .order_by(ScheduledMessage.due_at)
        )
        return list(rows.scalars())


async def test_an_urgent_hold_still_sends_the_pt_reminder_but_no_checkin(
    harness: BotHarness,
) -> None:
    user = harness.user()
    await onboard(user)  # Friday; PT on Tuesdays and Thursdays at 17:30 Berlin
    await user.say(URGENT)
    held_from = len(user.tg.messages(user.id))
    await harness.advance(timedelta(days=7), step=timedelta(minutes=30))
    reminders = _reminders(user, held_from)
    assert len(reminders) == 2, reminders  # Tuesday's and Thursday's sessions
    assert all("17:30" in text for text in reminders)
    # Nothing about the home exercises: the session is where the symptom can be checked.
    assert all("home exercises stay paused" in t.lower() for t in reminders), reminders
    assert not any("how the home exercises have been feeling" in t for t in reminders)
    later = " ".join(
        " ".join(lb for lb, _ in m.buttons) for m in user.tg.messages(user.id)[held_from:]
    )
    assert "Did them all" not in later
    assert "sent" not in await _statuses(harness, MessageKind.CHECKIN)


async def test_an_emergency_hold_sends_nothing_but_the_safety_follow_up(
    harness: BotHarness,
) -> None:
    user = harness.user()
    await onboard(user)
    await user.say(EMERGENCY)
    held_from = len(user.tg.messages(user.id))
    await harness.advance(timedelta(days=7), step=timedelta(minutes=30))
    during = [m.text or "" for m in user.tg.messages(user.id)[held_from:]]
    assert during and all("seen by a doctor" in text for text in during), during
    assert _reminders(user, held_from) == []
    # Each reminder was skipped at the gate and the next session's planned, not dropped.
    statuses = await _statuses(harness, MessageKind.PT_REMINDER)
    assert statuses.count("skipped") == 2 and statuses[-1] == "pending", statuses

    # Released by a clinician's go-ahead: the next session's reminder comes again.
    await user.press("clinician has seen me")
    await user.press("Cleared to carry on")
    released_at = len(user.tg.messages(user.id))
    await harness.advance(timedelta(days=5), step=timedelta(minutes=30))  # to Wednesday
    assert len(_reminders(user, released_at)) == 1  # Tuesday's
