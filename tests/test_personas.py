"""Sixty days with five people, read as a physical therapist would read them (issue 18).

Five personas live through two months of rehab on the real bot, dispatcher and database
(steady, flaring, lapsing, anxious, returning), each with their own injury. The test asserts
what an attentive coach would never do: send a nudge that does not fit the person, send more
proactive messages in a day than the budget, leave a template placeholder in a message, or
get its own arithmetic wrong in a weekly summary. It also writes each persona's transcript;
with ``WRITE_PERSONA_TRANSCRIPTS=1`` into ``docs/personas/`` (the copies kept in the
repository), otherwise into the test's temporary folder.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from datetime import time
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db.models import ScheduledMessage, User
from bot.domain.dispatch_policy import proactive_rank
from tests.harness.bot import BotHarness
from tests.test_nudges_simulation import (
    NUDGES,
    ClockedTelegram,
    Script,
    local,
    make_harness,
    sent_nudges,
    simulate,
)

pytestmark = pytest.mark.slow  # two months of five people's rehab

DAYS = 60
ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
WEEKLY = re.compile(r"(\d+) of (\d+) days")
WEEK_ADHERENCE = re.compile(r"done on (\d+) of (\d+) days\.?\s*\nAdherence \(7 days\): (\d+) %(.*)")


def personas() -> dict[str, Script]:
    return {
        "steady": Script(3001, area="knee", first_name="Maya", pt_weekdays=(1, 3)),
        "flaring": Script(
            3002,
            area="achilles_calf",
            first_name="Tom",
            pain=lambda d: {10: 6, 11: 7, 12: 7, 13: 5}.get(d, 2),
            morning=lambda d: "Worse" if d in (11, 12, 13) else "Better",
            pt_weekdays=(2,),
        ),
        "lapsing": Script(
            3003,
            area="hip",
            first_name="Lena",
            answer=lambda d: "absent" if 7 <= d < 25 else ("skip" if d % 5 == 0 else "done"),
        ),
        "anxious": Script(
            3004,
            area="it_band",
            first_name="Ravi",
            pain=lambda d: 3 + d % 2,
            events={
                (2, time(12, 0)): "say:Is it normal that my outer knee aches after the bridges?",
                (5, time(12, 0)): "say:Will I lose all my fitness if I stop running for weeks?",
                (9, time(12, 0)): "say:how long until I can run again",
                (9, time(12, 5)): "say:thanks",
                (16, time(12, 0)): "say:I'm scared I'll never get back to racing",
            },
        ),
        "returning": Script(
            3005,
            area="knee",
            first_name="Ana",
            pt_weekdays=(4,),
            events={(30, time(17, 0)): "clearance"},
        ),
    }


def fits(nudge_id: str, area: str) -> bool:
    """The area rule of the nudge's own tags, read independently of the chooser."""
    nudge = NUDGES.get(nudge_id)
    if nudge is None:  # a streak milestone: written for everyone
        return True
    areas, not_areas = set(nudge.areas), set(nudge.not_areas)
    return (not areas or area in areas) and area not in not_areas


async def proactive_per_day(h: BotHarness, tg: int) -> Counter[object]:
    async with h.services.sessions() as session:
        user = (await session.execute(select(User).where(User.telegram_id == tg))).scalar_one()
        rows = (
            await session.execute(
                select(ScheduledMessage).where(
                    ScheduledMessage.user_id == user.id, ScheduledMessage.status == "sent"
                )
            )
        ).scalars()
        per_day: Counter[object] = Counter()
        for row in rows:
            trigger = (row.payload or {}).get("trigger")
            if proactive_rank(row.kind, trigger) is not None and row.sent_at is not None:
                per_day[local(row.sent_at).date()] += 1
    return per_day


def transcript(h: BotHarness, name: str, script: Script) -> str:
    tele = h.telegram
    assert isinstance(tele, ClockedTelegram)
    lines = [
        f"# {name}: {script.first_name}, {script.area.replace('_', ' ')}, {DAYS} days",
        "",
        "What PT Coach sent, in order, with the local time (Europe/Berlin). Buttons in [brackets].",
        "",
    ]
    for msg in tele.messages(script.tg):
        at = local(tele.sent_at[msg.message_id]).strftime("%a %d %b %H:%M")
        body = (msg.text or msg.caption or f"({msg.kind})").strip()
        buttons = "  ".join(f"[{label}]" for label, _ in msg.buttons)
        lines.append(f"**{at}**  ")
        lines.append(body.replace("\n", "  \n"))
        if buttons:
            lines.append("")
            lines.append(buttons)
        lines.append("")
    return "\n".join(lines)


async def test_sixty_days_with_five_people_read_like_one_attentive_coach(
    sqlite_url: str, tmp_path: Path
) -> None:
    h = make_harness(sqlite_url)
    await h.start()
    try:
        people = personas()
        await simulate(h, list(people.values()), DAYS)
        budget = h.settings.schedule.proactive_per_day
        out = (
            ROOT / "docs" / "personas" if os.environ.get("WRITE_PERSONA_TRANSCRIPTS") else tmp_path
        )
        out.mkdir(parents=True, exist_ok=True)
        for name, script in people.items():
            messages = h.telegram.messages(script.tg)
            assert len(messages) >= DAYS // 2, f"{name} heard from the coach on most days"
            for msg in messages:
                text = msg.text or msg.caption or ""
                assert not PLACEHOLDER.search(text), (name, text)
                for done, planned in WEEKLY.findall(text):
                    assert int(done) <= int(planned) <= 7, (name, text)
                # The weekly count and its percentage are one figure read two ways (partial
                # days count half in the percentage, and the summary says so).
                for done, planned, percent, rest in WEEK_ADHERENCE.findall(text):
                    if "partial days count half" not in rest and int(planned):
                        assert int(percent) == round(100 * int(done) / int(planned)), (name, text)
            for nudge in await sent_nudges(h, script.tg):
                assert fits(nudge.nudge_id, script.area), (name, nudge.nudge_id, nudge.text)
            per_day = await proactive_per_day(h, script.tg)
            assert max(per_day.values(), default=0) <= budget, (name, per_day.most_common(3))
            (out / f"{name}.md").write_text(transcript(h, name, script), encoding="utf-8")
    finally:
        await h.stop()
