"""Settings: defaults from ``config.toml``, overridden by environment variables.

Every key in ``config.toml`` can be overridden by ``PTCOACH_<SECTION>_<KEY>`` (upper case),
e.g. ``PTCOACH_DATABASE_URL`` or ``PTCOACH_SCHEDULE_QUIET_START``. Secrets never live in the
file: the bot token comes only from ``TELEGRAM_BOT_TOKEN`` (or an untracked ``.env``).

A wrong value stops start-up with one line naming the key and what is expected, because a bot
that starts with a half-understood configuration fails later, at 3 a.m., in a user's chat.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ENV_PREFIX = "PTCOACH_"
TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = ROOT / "config.toml"

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message is one line meant for an operator."""


@dataclass(frozen=True)
class TelegramSettings:
    base_url: str = ""
    mode: Literal["polling", "webhook"] = "polling"
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_url: str = ""
    webhook_path: str = "telegram"
    webhook_secret: str = ""
    rate_limit: bool = True
    max_messages_per_second: float = 29.0
    # Messages an idle instance may send at once before the steady rate applies.
    send_burst: float = 1.0
    # Telegram's paid broadcasts: scheduled messages above 30 a second, charged in Stars.
    allow_paid_broadcast: bool = False
    health_port: int = 0
    health_listen: str = "127.0.0.1"
    # Telegram's updates are a few kB; a body larger than this is refused before it is read.
    max_body_bytes: int = 4 * 1024 * 1024
    # Updates from different chats handled at once; one chat's updates always run in order.
    max_concurrent_updates: int = 64
    # Updates accepted and waiting (for their chat's turn or a free slot) beyond which the
    # update queue is not drained further: bounds memory under a flood.
    max_pending_updates: int = 1024


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite+aiosqlite:///data/ptcoach.db"
    migrate_on_start: bool = True
    # Seconds; a partitioned database must fail fast, not freeze every user and the dispatcher.
    connect_timeout: float = 5.0
    pool_timeout: float = 10.0
    statement_timeout: float = 15.0
    # How long a user's update that met a database outage is retried before the apology.
    outage_retry_seconds: float = 20.0


@dataclass(frozen=True)
class ScheduleSettings:
    default_checkin_time: time = time(19, 0)
    default_timezone: str = "UTC"
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    followup_after_hours: float = 3.0
    tick_seconds: float = 5.0
    batch_size: int = 200
    send_attempts: int = 10
    pt_reminder_hours_before: float = 2.0
    weekly_summary_day: str = "sunday"
    weekly_summary_time: time = time(19, 0)
    keep_settled_days: int = 60


@dataclass(frozen=True)
class LoggingSettings:
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    json: bool = False


@dataclass(frozen=True)
class AdminSettings:
    user_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Settings:
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    admin: AdminSettings = field(default_factory=AdminSettings)
    token: str = field(default="", repr=False)

    def with_overrides(self, **sections: Mapping[str, Any]) -> Settings:
        """Return a copy with some keys replaced; used by tests and the chat CLI."""
        changed: dict[str, Any] = {}
        for name, values in sections.items():
            changed[name] = dataclasses.replace(getattr(self, name), **values)
        return dataclasses.replace(self, **changed)


_SECTIONS: dict[str, type] = {
    "telegram": TelegramSettings,
    "database": DatabaseSettings,
    "schedule": ScheduleSettings,
    "logging": LoggingSettings,
    "admin": AdminSettings,
}

# Secrets may only come from the environment (or the untracked .env), never the tracked file.
_SECRET_KEYS = {("telegram", "webhook_secret")}
MIN_WEBHOOK_SECRET = 16

_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _parse_time(key: str, raw: Any) -> time:
    match = _TIME_RE.match(str(raw).strip())
    if not match:
        raise ConfigError(f'{key}: expected a 24-hour time like "07:30", got {raw!r}')
    return time(int(match.group(1)), int(match.group(2)))


def _coerce(key: str, hint: Any, raw: Any, from_env: bool) -> Any:
    """Turn a TOML value (or an environment string) into the field's declared type."""
    origin = get_origin(hint)
    if hint is time:
        return _parse_time(key, raw)
    if hint is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{key}: expected true or false, got {raw!r}")
    if hint is int or hint is float:
        if isinstance(raw, bool):
            raise ConfigError(f"{key}: expected a number, got {raw!r}")
        try:
            value = hint(raw) if from_env or isinstance(raw, int | float) else None
        except ValueError:
            value = None
        if value is None:
            raise ConfigError(f"{key}: expected a number, got {raw!r}")
        if value < 0:
            raise ConfigError(f"{key}: expected a number >= 0, got {raw!r}")
        return value
    if origin is Literal:
        allowed = get_args(hint)
        text = str(raw).strip()
        for option in allowed:
            if text.lower() == str(option).lower():
                return option
        raise ConfigError(f"{key}: expected one of {', '.join(allowed)}, got {raw!r}")
    if origin is tuple:
        items = [p.strip() for p in raw.split(",") if p.strip()] if isinstance(raw, str) else raw
        if not isinstance(items, list | tuple):
            raise ConfigError(f"{key}: expected a list of Telegram user ids, got {raw!r}")
        try:
            return tuple(int(i) for i in items)
        except (TypeError, ValueError):
            raise ConfigError(f"{key}: expected a list of Telegram user ids, got {raw!r}") from None
    if hint is str:
        if not isinstance(raw, str):
            raise ConfigError(f"{key}: expected text, got {raw!r}")
        return raw
    raise ConfigError(f"{key}: unsupported setting type")  # pragma: no cover - programming error


# The dispatcher reads the last week of a user's settled reminders (yesterday's check-in, to
# mark it missed); pruning must never reach that far.
MIN_KEEP_SETTLED_DAYS = 7


def _validate(settings: Settings) -> None:
    """Cross-field and semantic checks that a type alone cannot express."""
    try:
        ZoneInfo(settings.schedule.default_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            'schedule.default_timezone: expected an IANA timezone like "Europe/Berlin", '
            f"got {settings.schedule.default_timezone!r}"
        ) from None
    if settings.schedule.weekly_summary_day.lower() not in WEEKDAYS:
        raise ConfigError(
            f'schedule.weekly_summary_day: expected a weekday name like "sunday", '
            f"got {settings.schedule.weekly_summary_day!r}"
        )
    if settings.schedule.tick_seconds <= 0 or settings.schedule.batch_size <= 0:
        raise ConfigError("schedule.tick_seconds and schedule.batch_size: expected numbers > 0")
    keep = settings.schedule.keep_settled_days
    if keep != 0 and keep < MIN_KEEP_SETTLED_DAYS:
        raise ConfigError(
            f"schedule.keep_settled_days: expected 0 (keep forever) or at least "
            f"{MIN_KEEP_SETTLED_DAYS}, got {keep}"
        )
    url = settings.database.url
    scheme = urlparse(url).scheme
    if scheme not in {"sqlite+aiosqlite", "postgresql+asyncpg"}:
        raise ConfigError(
            "database.url: expected sqlite+aiosqlite:///path.db or "
            f"postgresql+asyncpg://user@host/db, got {mask_password(url)!r}"
        )
    for key in ("base_url", "webhook_url"):
        value = getattr(settings.telegram, key)
        if value:
            parsed = urlparse(value)
            if parsed.scheme not in {"http", "https"} or not parsed.netloc:
                raise ConfigError(f"telegram.{key}: expected an http(s) URL, got {value!r}")
    if settings.telegram.mode == "webhook":
        if not settings.telegram.webhook_url:
            raise ConfigError(
                "telegram.webhook_url: required in webhook mode (the public HTTPS URL)"
            )
        pattern = rf"[A-Za-z0-9_-]{{{MIN_WEBHOOK_SECRET},256}}"
        if not re.fullmatch(pattern, settings.telegram.webhook_secret):
            raise ConfigError(
                f"telegram.webhook_secret: required in webhook mode, {MIN_WEBHOOK_SECRET}-256 "
                "characters of "
                "A-Z, a-z, 0-9, _ and - (set PTCOACH_TELEGRAM_WEBHOOK_SECRET)"
            )
    if settings.telegram.webhook_port > 65535 or settings.telegram.health_port > 65535:
        raise ConfigError("telegram.webhook_port/health_port: expected a port number up to 65535")
    if settings.telegram.max_messages_per_second <= 0 or settings.telegram.send_burst < 1:
        raise ConfigError(
            "telegram.max_messages_per_second and telegram.send_burst: expected a rate > 0 "
            "and a burst of at least 1"
        )
    telegram = settings.telegram
    if telegram.max_messages_per_second > 30 and not telegram.allow_paid_broadcast:
        raise ConfigError(
            "telegram.max_messages_per_second: Telegram allows about 30 a second per bot; "
            "a higher rate needs telegram.allow_paid_broadcast = true (see docs/deploy.md)"
        )
    if settings.telegram.max_messages_per_second > 1000:
        raise ConfigError("telegram.max_messages_per_second: at most 1000 (paid broadcasts)")
    if not 1 <= settings.telegram.max_concurrent_updates <= settings.telegram.max_pending_updates:
        raise ConfigError(
            "telegram.max_concurrent_updates and telegram.max_pending_updates: expected "
            "1 <= max_concurrent_updates <= max_pending_updates"
        )
    if settings.telegram.max_body_bytes < 64 * 1024:
        raise ConfigError("telegram.max_body_bytes: expected at least 65536 (64 KiB)")


def mask_password(url: str) -> str:
    """The URL with its password replaced by ``***``, for error messages and logs."""
    return re.sub(r"(://[^/:@\s]*:)[^/\s]*@", r"\1***@", url)


def read_dotenv(path: Path) -> dict[str, str]:
    """Read ``KEY=value`` lines from an untracked ``.env`` file; real env vars win over it."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw_line in path.read_text(encoding="utf-8").splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def load_settings(
    path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    dotenv: Path | None = None,
) -> Settings:
    """Build validated settings from the TOML file, ``.env`` and the environment."""
    env = dict(read_dotenv(dotenv if dotenv is not None else ROOT / ".env"))
    env.update(os.environ if environ is None else environ)
    config_path = path or DEFAULT_CONFIG_PATH
    try:
        data = (
            tomllib.loads(config_path.read_text(encoding="utf-8")) if config_path.exists() else {}
        )
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path.name}: not valid TOML ({exc})") from None

    sections: dict[str, Any] = {}
    for section_name, cls in _SECTIONS.items():
        hints = get_type_hints(cls)
        file_values = data.pop(section_name, {})
        if not isinstance(file_values, dict):
            raise ConfigError(f"{section_name}: expected a [{section_name}] table")
        values: dict[str, Any] = {}
        for key, raw in file_values.items():
            if key not in hints:
                raise ConfigError(f"{section_name}.{key}: unknown setting (check the spelling)")
            if (section_name, key) in _SECRET_KEYS and raw != "":
                env_key = f"{ENV_PREFIX}{section_name}_{key}".upper()
                raise ConfigError(
                    f"{section_name}.{key}: a secret must not be written in "
                    f"{config_path.name}; set {env_key} in the environment instead"
                )
            values[key] = _coerce(f"{section_name}.{key}", hints[key], raw, from_env=False)
        for name in hints:
            env_key = f"{ENV_PREFIX}{section_name}_{name}".upper()
            if env_key in env:
                values[name] = _coerce(f"{env_key}", hints[name], env[env_key], from_env=True)
        sections[section_name] = cls(**values)
    if data:
        raise ConfigError(f"{next(iter(data))}: unknown section in {config_path.name}")

    known_env = {
        f"{ENV_PREFIX}{section}_{name}".upper()
        for section, cls in _SECTIONS.items()
        for name in get_type_hints(cls)
    }
    for env_key in env:
        if env_key.startswith(ENV_PREFIX) and env_key not in known_env:
            raise ConfigError(f"{env_key}: unknown setting (see config.toml for the keys)")

    settings = Settings(**sections, token=env.get(TOKEN_ENV, "").strip())
    _validate(settings)
    return settings
