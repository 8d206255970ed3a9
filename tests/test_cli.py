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


def test_every_reading_command_on_an_unmigrated_database_says_to_migrate(tmp_path: Path) -> None:
    env = {"PTCOACH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/empty.db"}
    for command in (["stats"], ["faq", "unanswered"], ["faq", "served"], ["schedule", "show", "5"]):
        result = run(*command, env=env)
        assert result.returncode == 1, (command, result.stderr)
        assert "Traceback" not in result.stderr, command
        line = result.stderr.strip()
        assert line.startswith("error: could not read") and "\n" not in line, command
        assert "python -m bot migrate" in line, command


def test_an_unreachable_database_is_one_line_too() -> None:
    env = {"PTCOACH_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:1/none"}
    result = run("stats", env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: could not read the counts")


def test_a_limit_below_one_is_refused_by_the_parser(tmp_path: Path) -> None:
    env = {"PTCOACH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db"}
    for bad in ("-3", "0", "ten"):
        result = run("faq", "unanswered", "--limit", bad, env=env)
        assert result.returncode == 2 and "Traceback" not in result.stderr, bad
        assert "--limit" in result.stderr, bad


def test_an_empty_question_is_refused_at_once_without_reading_stdin(tmp_path: Path) -> None:
    """`faq ask ""` (an unset shell variable) used to wait on stdin: now one line, status 2,
    while stdin stays open (a terminal nobody types into)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PTCOACH_", "TELEGRAM_"))}
    for question in ("", "   "):
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "faq", "ask", question],
            cwd=ROOT,
            env=base,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            status = proc.wait(timeout=60)  # stdin is never written to nor closed
        finally:
            proc.kill()
        out, err = proc.communicate()
        assert status == 2, repr(question)
        assert out == "" and err.strip().count("\n") == 0, repr(question)
        assert err.startswith("error: the question is empty"), err


def test_bad_cli_input_gets_one_line_and_a_non_zero_status(tmp_path: Path) -> None:
    env = {"PTCOACH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db"}
    assert run("migrate", env=env).returncode == 0
    cases = {
        ("faq", "ask"): "no questions on stdin",  # stdin with nothing but blank lines
        ("schedule",): "required: ACTION",  # was the whole help
        ("schedule", "show", "99999999999999999999999"): "too large for a Telegram id",
        ("schedule", "show", "-1"): "must be at least 1",
        ("schedule", "next", "--timezone", "Europe/Berlin", "--time", "07:30", "--after", ""): (
            'invalid instant ""'  # was silently "now"
        ),
        ("chat", "--db", ""): "--db: empty",  # was silently the default chat database
    }
    for args, message in cases.items():
        result = subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=ROOT,
            env={**{k: v for k, v in os.environ.items() if not k.startswith("PTCOACH_")}, **env},
            input="\n  \n",
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode != 0, args
        assert "Traceback" not in result.stderr, args
        errors = [line for line in result.stderr.splitlines() if not line.startswith("usage:")]
        assert len(errors) == 1 and message in errors[0], (args, result.stderr)
