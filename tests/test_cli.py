"""The command line a newcomer and an operator meet first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PTCOACH_", "TELEGRAM_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_help_lists_the_subcommands() -> None:
    result = run("--help")
    assert result.returncode == 0
    for name in ("run", "migrate"):
        assert name in result.stdout


def test_without_a_token_it_explains_how_to_get_one(tmp_path: Path) -> None:
    result = run("run", env={"PTCOACH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db"})
    if (ROOT / ".env").exists():  # a developer's own token would start the real bot
        return
    assert result.returncode != 0
    assert "@BotFather" in result.stderr
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and ".env" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_setting_stops_start_up_with_one_line() -> None:
    result = run(
        "run", env={"PTCOACH_SCHEDULE_QUIET_END": "8 o'clock", "TELEGRAM_BOT_TOKEN": "1:x"}
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "PTCOACH_SCHEDULE_QUIET_END" in result.stderr
    assert "Traceback" not in result.stderr


def test_migrate_creates_the_schema(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    result = run("migrate", env={"PTCOACH_DATABASE_URL": f"sqlite+aiosqlite:///{db}"})
    assert result.returncode == 0, result.stderr
    import sqlite3

    tables = {r[0] for r in sqlite3.connect(db).execute("select name from sqlite_master")}
    assert {"users", "checkins", "scheduled_messages", "alembic_version"} <= tables
