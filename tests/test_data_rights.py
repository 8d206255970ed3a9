"""/export sends every row about the user; /delete, once confirmed, leaves none behind."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

from sqlalchemy import func, select

from bot.db.models import (
    Base,
    CheckIn,
    FaqQuestion,
    NudgeLog,
    PtSession,
    RedFlagReport,
    User,
)
from tests.harness.bot import BotHarness
from tests.helpers.onboarding import onboard, onboarded

USER_COLUMNS = ("user_id", "telegram_id")


async def _seed_history(harness: BotHarness) -> int:
    """One row in every table a later feature writes to, so export and delete see them all."""
    now = harness.clock.now()
    async with harness.services.sessions() as session:
        user = (await session.execute(select(User).where(User.telegram_id == 1001))).scalar_one()
        session.add_all(
            [
                CheckIn(
                    user_id=user.id,
                    local_date=date(2026, 11, 26),
                    status="done",
                    exercises_done=["Glute bridges"],
                    pain=3,
                    note="felt ok, a bit stiff",
                    created_at=now,
                    updated_at=now,
                ),
                CheckIn(
                    user_id=user.id,
                    local_date=date(2026, 11, 27),
                    status="skipped",
                    exercises_done=[],
                    skip_reason="no_time",
                    created_at=now,
                    updated_at=now,
                ),
                NudgeLog(user_id=user.id, nudge_id="patience-1", trigger="scheduled", sent_at=now),
                RedFlagReport(
                    user_id=user.id,
                    flag="numbness",
                    level="urgent",
                    text="numb foot",
                    created_at=now,
                ),
                FaqQuestion(
                    user_id=user.id, text="can I cycle?", decision="answer", created_at=now
                ),
                PtSession(
                    user_id=user.id,
                    session_date=date(2026, 11, 24),
                    note="new band",
                    created_at=now,
                ),
            ]
        )
        await session.commit()
        return user.id


async def _rows_referring_to(harness: BotHarness, user_id: int, telegram_id: int) -> dict[str, int]:
    found: dict[str, int] = {}
    async with harness.services.sessions() as session:
        for table in Base.metadata.sorted_tables:
            for column_name, value in (("user_id", user_id), ("telegram_id", telegram_id)):
                if column_name in table.c:
                    count = (
                        await session.execute(
                            select(func.count())
                            .select_from(table)
                            .where(table.c[column_name] == value)
                        )
                    ).scalar_one()
                    if count:
                        found[f"{table.name}.{column_name}"] = count
        users = (
            await session.execute(select(func.count()).select_from(User).where(User.id == user_id))
        ).scalar_one()
        if users:
            found["users.id"] = users
    return found


async def test_export_sends_json_with_every_table_and_a_checkin_csv(harness: BotHarness) -> None:
    user = await onboarded(harness)
    await user.say("/pause 3")
    await _seed_history(harness)
    await user.say("/export")
    documents = harness.telegram.calls_to("sendDocument", user.id)
    assert len(documents) == 2
    exported = json.loads(documents[0].files["document"])
    assert exported["user"]["telegram_id"] == 1001
    assert exported["user"]["timezone"] == "Europe/Berlin"
    assert exported["rehab_profiles"][0]["injury_area"] == "knee"
    assert [e["name"] for e in exported["exercises"]] == ["Glute bridges", "Monster walks"]
    assert [c["status"] for c in exported["checkins"]] == ["done", "skipped"]
    assert exported["checkins"][0]["pain"] == 3
    assert exported["pauses"][0]["start_date"] == "2026-11-27"
    assert exported["scheduled_messages"], "the cancelled check-in plan is part of the data"
    assert exported["nudge_log"][0]["nudge_id"] == "patience-1"
    assert exported["red_flags"][0]["flag"] == "numbness"
    assert exported["faq_questions"][0]["text"] == "can I cycle?"
    assert exported["pt_sessions"][0]["note"] == "new band"

    table = list(csv.DictReader(io.StringIO(documents[1].files["document"].decode("utf-8-sig"))))
    assert [(r["local_date"], r["status"], r["pain"]) for r in table] == [
        ("2026-11-26", "done", "3"),
        ("2026-11-27", "skipped", ""),
    ]
    assert table[0]["note"] == "felt ok, a bit stiff"
    assert documents[0].params["document__filename"].endswith(".json")
    assert documents[1].params["document__filename"].endswith(".csv")


async def test_export_without_data_says_so(harness: BotHarness) -> None:
    user = harness.user()
    await user.say("/export")
    assert "no data" in (user.last.text or "")
    assert harness.telegram.calls_to("sendDocument", user.id) == []


async def test_delete_after_confirmation_leaves_no_row_and_start_is_fresh(
    harness: BotHarness,
) -> None:
    user, other = harness.user(1001, "Alex"), harness.user(1002, "Sam")
    await onboard(user)
    await onboard(other)
    await user.say("/exercises")
    await user.press("Add")  # an open dialog row too
    user_id = await _seed_history(harness)
    assert len(await _rows_referring_to(harness, user_id, 1001)) >= 10

    await user.say("/delete")
    assert "cannot be undone" in (user.last.text or "")
    await user.press("No, keep")
    assert await _rows_referring_to(harness, user_id, 1001)
    await user.say("/delete")
    await user.press("Yes, delete everything")
    assert "erased" in (user.last.text or "")
    assert await _rows_referring_to(harness, user_id, 1001) == {}
    # Someone else's data is untouched.
    async with harness.services.sessions() as session:
        assert (await session.execute(select(func.count()).select_from(User))).scalar_one() == 1

    await user.say("/start")
    assert "Shall we set things up" in (user.last.text or "")
    await user.say("/export")
    assert "no data" in (user.last.text or "")


async def test_an_old_delete_confirmation_has_expired(harness: BotHarness) -> None:
    user = await onboarded(harness)
    await user.say("/delete")
    harness.clock.advance(timedelta(hours=2))
    await user.press("Yes, delete everything")
    assert "expired" in (user.last.text or "")
    async with harness.services.sessions() as session:
        assert (await session.execute(select(func.count()).select_from(User))).scalar_one() == 1
