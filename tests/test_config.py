"""Configuration: defaults, environment overrides, and one clear line for every wrong value."""

from __future__ import annotations

import logging
from datetime import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import ConfigError, load_settings

NO_DOTENV = Path("/nonexistent/.env")


def load(env: dict[str, str] | None = None, path: Path | None = None):
    return load_settings(path=path, environ=env or {}, dotenv=NO_DOTENV)


def test_defaults_come_from_config_toml() -> None:
    settings = load()
    assert settings.telegram.mode == "polling"
    assert settings.database.url.get_secret_value().startswith("sqlite+aiosqlite:///data/")
    assert settings.schedule.quiet_start == time(21, 0)
    assert settings.token.get_secret_value() == ""


def test_environment_overrides_any_key_by_naming_rule() -> None:
    settings = load(
        {
            "PTCOACH_SCHEDULE_QUIET_START": "22:30",
            "PTCOACH_DATABASE_URL": "postgresql+asyncpg://u@db/pt",
            "PTCOACH_ADMIN_USER_IDS": "11, 22",
            "PTCOACH_TELEGRAM_RATE_LIMIT": "false",
            "TELEGRAM_BOT_TOKEN": "123:abc",
        }
    )
    assert settings.schedule.quiet_start == time(22, 30)
    assert settings.database.url.get_secret_value() == "postgresql+asyncpg://u@db/pt"
    assert settings.admin.user_ids == (11, 22)
    assert settings.telegram.rate_limit is False
    assert settings.token.get_secret_value() == "123:abc"


def test_dotenv_supplies_the_token_but_real_environment_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("# my secrets\nTELEGRAM_BOT_TOKEN='111:fromfile'\n")
    assert load_settings(environ={}, dotenv=dotenv).token.get_secret_value() == "111:fromfile"
    from_env = load_settings(environ={"TELEGRAM_BOT_TOKEN": "222:env"}, dotenv=dotenv)
    assert from_env.token.get_secret_value() == "222:env"


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"PTCOACH_SCHEDULE_QUIET_START": "25:99"}, "PTCOACH_SCHEDULE_QUIET_START"),
        ({"PTCOACH_SCHEDULE_DEFAULT_TIMEZONE": "Mars/Olympus"}, "schedule.default_timezone"),
        ({"PTCOACH_DATABASE_URL": "mysql://x"}, "database.url"),
        ({"PTCOACH_TELEGRAM_BASE_URL": "not a url"}, "telegram.base_url"),
        ({"PTCOACH_TELEGRAM_MODE": "carrier-pigeon"}, "PTCOACH_TELEGRAM_MODE"),
        ({"PTCOACH_SCHEDULE_TICK_SECONDS": "soon"}, "PTCOACH_SCHEDULE_TICK_SECONDS"),
        ({"PTCOACH_SCHEDULE_QUIET_STAR": "22:00"}, "PTCOACH_SCHEDULE_QUIET_STAR"),
        ({"PTCOACH_TELEGRAM_MODE": "webhook"}, "telegram.webhook_url"),
        ({"PTCOACH_TELEGRAM_MAX_CONCURRENT_UPDATES": "0"}, "telegram.max_concurrent_updates"),
        ({"PTCOACH_TELEGRAM_MAX_MESSAGES_PER_SECOND": "100"}, "allow_paid_broadcast"),
        (
            {
                "PTCOACH_TELEGRAM_MAX_CONCURRENT_UPDATES": "64",
                "PTCOACH_TELEGRAM_MAX_PENDING_UPDATES": "8",
            },
            "telegram.max_pending_updates",
        ),
    ],
)
def test_a_wrong_value_names_the_key_in_one_line(env: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigError) as err:
        load(env)
    message = str(err.value)
    assert names in message
    assert "\n" not in message


def test_unknown_key_in_the_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[schedule]\nquiet_hours = "22:00"\n')
    with pytest.raises(ConfigError, match=r"schedule\.quiet_hours: unknown setting"):
        load(path=path)


def test_webhook_mode_needs_a_secret() -> None:
    env = {"PTCOACH_TELEGRAM_MODE": "webhook", "PTCOACH_TELEGRAM_WEBHOOK_URL": "https://x.example"}
    with pytest.raises(ConfigError, match="webhook_secret"):
        load(env)
    with pytest.raises(ConfigError, match="16-256 characters"):
        load({**env, "PTCOACH_TELEGRAM_WEBHOOK_SECRET": "s3cret-Token_1"})  # 14: guessable
    ok = load({**env, "PTCOACH_TELEGRAM_WEBHOOK_SECRET": "s3cret-Token_1234"})
    assert ok.telegram.mode == "webhook"


def test_a_webhook_secret_written_in_config_toml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[telegram]\nwebhook_secret = "a-long-enough-secret-1234"\n')
    with pytest.raises(ConfigError, match="PTCOACH_TELEGRAM_WEBHOOK_SECRET") as err:
        load(path=path)
    assert "a-long-enough-secret-1234" not in str(err.value)


def test_servers_listen_on_loopback_unless_told_otherwise() -> None:
    settings = load()
    assert settings.telegram.webhook_listen == "127.0.0.1"
    assert settings.telegram.health_listen == "127.0.0.1"
    moved = load({"PTCOACH_TELEGRAM_HEALTH_LISTEN": "10.0.0.11"})
    assert moved.telegram.health_listen == "10.0.0.11"
    assert moved.telegram.webhook_listen == "127.0.0.1"


def test_a_bad_database_url_error_masks_the_password() -> None:
    with pytest.raises(ConfigError, match=r"database\.url") as err:
        load({"PTCOACH_DATABASE_URL": "mysql://ptcoach:hunter2-p@ss@db.internal/ptcoach"})
    assert "hunter2" not in str(err.value) and "ss@db" not in str(err.value)
    assert "ptcoach:***@db.internal" in str(err.value)


def test_every_setting_in_config_toml_has_a_comment() -> None:
    lines = (Path(__file__).parent.parent / "config.toml").read_text().splitlines()
    for i, line in enumerate(lines):
        if "=" in line and not line.lstrip().startswith("#"):
            assert lines[i - 1].lstrip().startswith("#"), f"no comment above: {line}"


TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
WEBHOOK_SECRET = "s3cret-Token_1234-webhook"
DB_PASSWORD = "hunter2-Secret"


def test_secrets_never_print_in_the_settings() -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "PTCOACH_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "PTCOACH_DATABASE_URL": f"postgresql+asyncpg://ptcoach:{DB_PASSWORD}@db.internal/pt",
    }
    settings = load(env)
    shown = [
        repr(settings),
        str(settings),
        f"{settings.database} {settings.telegram!r}",
        settings.model_dump_json(),
    ]
    for text in shown:
        assert TOKEN not in text and TOKEN.split(":")[1] not in text
        assert WEBHOOK_SECRET not in text
        assert DB_PASSWORD not in text
    # The URL still says which database it is, and the values are there for their one use.
    assert "postgresql+asyncpg://ptcoach:***@db.internal/pt" in repr(settings)
    assert settings.token.get_secret_value() == TOKEN
    assert DB_PASSWORD in settings.database.url.get_secret_value()


def test_a_dotenv_file_may_hold_any_setting_and_the_environment_still_wins(
    tmp_path: Path,
) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("export PTCOACH_SCHEDULE_QUIET_START=22:15\nOTHER_TOOL_SETTING=1\n")
    assert load_settings(environ={}, dotenv=dotenv).schedule.quiet_start == time(22, 15)
    env = {"PTCOACH_SCHEDULE_QUIET_START": "23:00"}
    assert load_settings(environ=env, dotenv=dotenv).schedule.quiet_start == time(23, 0)
    dotenv.write_text("TELEGRAM_BOT_TOKEN=1:a${HOME}b\n")  # a secret is taken literally
    assert load_settings(environ={}, dotenv=dotenv).token.get_secret_value() == "1:a${HOME}b"
    dotenv.write_text("PTCOACH_SCHEDULE_QUIET_STAR=22:15\n")
    with pytest.raises(ConfigError, match="PTCOACH_SCHEDULE_QUIET_STAR: unknown setting"):
        load_settings(environ={}, dotenv=dotenv)


def test_the_renamed_json_logging_key_says_its_new_name(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match="PTCOACH_LOGGING_JSON: renamed to PTCOACH_LOGGING_JSON_LINES"
    ):
        load({"PTCOACH_LOGGING_JSON": "true"})
    path = tmp_path / "config.toml"
    path.write_text("[logging]\njson = true\n")
    with pytest.raises(ConfigError, match=r"logging\.json: renamed to logging\.json_lines"):
        load(path=path)
    assert load({"PTCOACH_LOGGING_JSON_LINES": "true"}).logging.json_lines is True


def test_settings_are_frozen_and_overrides_are_validated() -> None:
    settings = load()
    with pytest.raises(ValidationError):
        settings.schedule.batch_size = 5
    changed = settings.with_overrides(schedule={"batch_size": "50"}, token="1:x")
    assert changed.schedule.batch_size == 50 and settings.schedule.batch_size == 200
    assert changed.token.get_secret_value() == "1:x"
    assert changed.schedule.quiet_start == settings.schedule.quiet_start
    with pytest.raises(ValidationError, match="allow_paid_broadcast"):
        settings.with_overrides(telegram={"max_messages_per_second": 40.0})


@pytest.mark.postgres
async def test_the_start_up_log_holds_neither_the_token_nor_the_database_password(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    from sqlalchemy.engine import make_url

    from bot.clock import FakeClock
    from tests.conftest import START
    from tests.harness.bot import BotHarness

    url = make_url(pg_url).set(password=DB_PASSWORD).render_as_string(hide_password=False)
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "PTCOACH_DATABASE_URL": url,  # the test server trusts local connections
        "PTCOACH_TELEGRAM_RATE_LIMIT": "false",
        "PTCOACH_FAQ_WARM_UP": "false",
    }
    settings = load(env)
    caplog.set_level(logging.INFO)  # unscrubbed: what the code itself puts in its lines
    harness = BotHarness(settings, FakeClock(START))
    await harness.start()
    try:
        await harness.app.post_init(harness.app)  # type: ignore[misc]
    finally:
        await harness.stop()
    started = [r.getMessage() for r in caplog.records if "PT Coach started" in r.getMessage()]
    assert len(started) == 1 and ":***@" in started[0]  # which database, password masked
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text
    assert DB_PASSWORD not in caplog.text
