"""`python -m bot chat`: the real bot in a terminal, buttons pressed by number, time moved
forward with /wait so the scheduled check-in shows up."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.chat import ChatClock, ChatMessage, ChatSession, chat_settings
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parent.parent


def _env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PTCOACH_") and k != "TELEGRAM_BOT_TOKEN"
    }


def _chat(*args: str, typed: str = "/start\n/quit\n") -> subprocess.CompletedProcess[str]:
    """``python -m bot chat ARGS`` with ``typed`` as what the user types, as a newcomer runs it."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "chat", *args],
        input=typed,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(),
        timeout=60,
    )


def test_the_command_shows_numbered_buttons_and_a_number_presses_one(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    result = _chat("--db", f"sqlite+aiosqlite:///{db}", "--fresh", typed="/start\n1\n/quit\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[1] ✅ Sounds good, let's start" in out and "[2] Not now" in out
    assert "Which area is your injury in?" in out  # "1" pressed the consent button
    assert "[2] Knee" in out
    assert db.exists()  # its own database, never the bot's


def test_fresh_refuses_a_database_it_cannot_delete(tmp_path: Path) -> None:
    result = _chat("--db", "postgresql+asyncpg://x@127.0.0.1/none", "--fresh", typed="/quit\n")
    assert result.returncode == 2 and "SQLite" in result.stderr


def test_db_takes_a_plain_file_path_and_explains_a_url_it_cannot_use(tmp_path: Path) -> None:
    db = tmp_path / "mine.db"
    result = _chat("--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "I'm PT Coach" in result.stdout and db.exists()

    refused = _chat("--db", "mysql://someone@host/db")
    assert refused.returncode == 2
    assert refused.stderr.startswith("--db: ") and "Traceback" not in refused.stderr
    assert "sqlite+aiosqlite" in refused.stderr  # says what it accepts


def test_a_second_session_on_the_same_database_is_answered(tmp_path: Path) -> None:
    """Each session numbers its own updates; the bot drops an update id it has handled (as
    it must for Telegram's redeliveries), so a new session goes on from the last one's ids."""
    db = str(tmp_path / "again.db")
    assert "I'm PT Coach" in _chat("--db", db).stdout
    second = _chat("--db", db)
    assert second.returncode == 0, second.stderr
    assert "I'm PT Coach" in second.stdout


def test_number_keys_use_the_label_on_a_number_scale() -> None:
    scale = ChatMessage(
        1,
        "pain?",
        {"inline_keyboard": [[{"text": str(n), "callback_data": f"p{n}"} for n in range(11)]]},
    )
    assert scale.press_keys() == [str(n) for n in range(11)]
    counts = ChatMessage(
        2,
        "how many?",
        {"inline_keyboard": [[{"text": t, "callback_data": t} for t in ("0", "1", "4+")]]},
    )
    assert counts.press_keys() == ["0", "1", "4"]
    words = ChatMessage(
        3,
        "?",
        {
            "inline_keyboard": [
                [{"text": "Yes", "callback_data": "y"}],
                [{"text": "No", "callback_data": "n"}],
            ]
        },
    )
    assert words.press_keys() == ["1", "2"]


async def test_onboard_by_numbers_then_wait_for_the_checkin(
    sqlite_url: str, tmp_path: Path
) -> None:
    lines: list[str] = []
    # The session runs on real time; start it at 09:00 in Berlin tomorrow, so that the check-in
    # two hours on and the three-hour wait stay on one local day whenever the suite runs.
    berlin = ZoneInfo("Europe/Berlin")
    clock = ChatClock()
    morning = (datetime.now(berlin) + timedelta(days=1)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    clock.advance(morning - datetime.now(berlin))
    session = ChatSession(
        chat_settings(make_settings(sqlite_url), sqlite_url),
        out=lines.append,
        files_dir=tmp_path / "files",
        clock=clock,
    )
    await session.start()

    async def press(label_part: str) -> None:
        """Type the key printed next to the button, as a person reading the screen would."""
        msg = session.telegram.current_keyboard()
        assert msg is not None, lines[-5:]
        labels = [label for label, _ in msg.buttons]
        index = next(i for i, label in enumerate(labels) if label_part.lower() in label.lower())
        key = msg.press_keys()[index]
        assert any(f"[{key}] {labels[index]}" in line for line in lines), "the key is on screen"
        await session.handle(key)

    try:
        await session.handle("/start")
        await press("let's start")
        await press("Knee")
        await press("A few days ago")
        await session.handle("0")  # no PT sessions: the key is the number itself
        await press("Glute bridges")
        await press("Confirm")
        checkin_at = (clock.now().astimezone(berlin) + timedelta(hours=2)).strftime("%H:%M")
        await session.handle(checkin_at)  # not a key: typed as the answer
        await session.handle("/location 52.52 13.40")
        await press("All set")
        assert any("You're all set" in line for line in lines)

        mark = len(lines)
        await session.handle("/wait 3h")  # past the check-in, still the same local day
        shown = "\n".join(lines[mark:])
        assert "Did them all" in shown and "session time" in shown
        await press("Did them all")
        await session.handle("4")  # pain 4 on the 0-10 scale
        assert any("4/10" in line for line in lines[mark:]), "\n".join(lines[mark:])

        await session.handle("/export")
        saved = [line for line in lines if "PT Coach sent a file:" in line]
        files = {p.name.split("-", 1)[1] for p in (tmp_path / "files").iterdir()}
        assert len(saved) == 2 and files == {"pt-coach-checkins.csv", "pt-coach-data.json"}
        assert await session.handle("/quit") is False
    finally:
        await session.stop()

    # A second session on the same database starts on the real clock, which is behind the
    # first one's after its /wait: it goes on from where the first stopped, so today's
    # check-in is not in its future.
    later: list[str] = []
    again = ChatSession(
        chat_settings(make_settings(sqlite_url), sqlite_url),
        out=later.append,
        files_dir=tmp_path / "files2",
        clock=ChatClock(),
    )
    await again.start()
    try:
        assert again.clock.now() >= clock.now() - timedelta(minutes=1)
        assert any("resuming at the last session's time" in line for line in later)
        await again.handle("/today")
        today = "\n".join(later)
        assert "Not logged yet" not in today and "4/10" in today, today
    finally:
        await again.stop()
