"""Settings: defaults from ``config.toml``, overridden by environment variables (pydantic-settings).

Every key in ``config.toml`` can be overridden by ``PTCOACH_<SECTION>_<KEY>`` (upper case),
e.g. ``PTCOACH_DATABASE_URL`` or ``PTCOACH_SCHEDULE_QUIET_START``; lists are comma-separated
(``PTCOACH_ADMIN_USER_IDS=11,22``). An untracked ``.env`` may hold the same variables; the
real environment wins over it. Secrets never live in the file: the bot token comes only from
``TELEGRAM_BOT_TOKEN`` and the webhook secret only from ``PTCOACH_TELEGRAM_WEBHOOK_SECRET``.
Both are ``SecretStr`` and the database URL a ``DatabaseUrl`` (its password masked), so none of
them prints in a repr, a log line or an error; ``get_secret_value()`` is called only where the
value is used (the PTB builder, ``setWebhook``, ``bot.db.engine.create_engine``).

The models are pydantic's: the types, ranges and formats are declared on the fields, and
``load_settings`` turns pydantic's first error into one ``ConfigError`` line naming the key
(``schedule.quiet_start: ... (set by PTCOACH_SCHEDULE_QUIET_START)`` when the environment set
it). A wrong value stops start-up, because a bot that starts with a half-understood
configuration fails later, at 3 a.m., in a user's chat. Unknown keys in the file and unknown
``PTCOACH_*`` variables are refused. Settings are frozen; ``Settings.with_overrides`` returns a
validated copy with some values replaced.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    InitSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

ENV_PREFIX = "PTCOACH_"
TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = ROOT / "config.toml"

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MIN_WEBHOOK_SECRET = 16
# The dispatcher reads the last week of a user's settled reminders (yesterday's check-in, to
# mark it missed); pruning must never reach that far.
MIN_KEEP_SETTLED_DAYS = 7
# Keys renamed since a release, so an old deployment is told the new name.
_RENAMED = {("logging", "json"): "json_lines"}


class ConfigError(ValueError):
    """A setting is missing or malformed; the message is one line meant for an operator."""


def _invalid(message: str) -> PydanticCustomError:
    """A field's own error; ``load_settings`` puts the key (and the variable) in front."""
    return PydanticCustomError("ptcoach_value", message)


def _rule(message: str) -> PydanticCustomError:
    """A rule across keys; the message names the keys itself."""
    return PydanticCustomError("ptcoach_rule", message)


def mask_password(url: str) -> str:
    """The URL with its password replaced by ``***``, for error messages and logs."""
    return re.sub(r"(://[^/:@\s]*:)[^/\s]*@", r"\1***@", url)


class DatabaseUrl(SecretStr):
    """A database URL that prints with its password masked (``postgresql+asyncpg://u:***@h/db``).

    ``get_secret_value()`` is the real URL; only ``bot.db.engine.create_engine`` asks for it.
    """

    def _display(self) -> str:
        return mask_password(self.get_secret_value())


# --- field types: each rule once, declared where the field is ------------------------------

_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _clock_time(raw: object) -> object:
    if isinstance(raw, time):
        return raw
    match = _TIME_RE.match(str(raw).strip())
    if not match:
        raise _invalid(f'expected a 24-hour time like "07:30", got {raw!r}')
    return time(int(match.group(1)), int(match.group(2)))


def _not_a_bool(raw: object) -> object:
    # pydantic reads true as 1; a flag written where a number belongs is a mistake.
    if isinstance(raw, bool):
        raise _invalid(f"expected a number, got {raw!r}")
    return raw


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _invalid(f'expected an IANA timezone like "Europe/Berlin", got {name!r}') from None
    return name


def _weekday(name: str) -> str:
    if name.strip().lower() not in WEEKDAYS:
        raise _invalid(f'expected a weekday name like "sunday", got {name!r}')
    return name.strip().lower()


def _http_url(value: str) -> str:
    if value:
        parsed = urlparse(value)
        if parsed.scheme not in {"http", "https"} or not parsed.netloc:
            raise _invalid(f"expected an http(s) URL, got {value!r}")
    return value


def _database_url(url: DatabaseUrl) -> DatabaseUrl:
    if urlparse(url.get_secret_value()).scheme not in {"sqlite+aiosqlite", "postgresql+asyncpg"}:
        raise _invalid(
            "expected sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db, "
            f"got {url._display()!r}"
        )
    return url


def _id_list(raw: object) -> object:
    return (
        [part.strip() for part in raw.split(",") if part.strip()] if isinstance(raw, str) else raw
    )


def _keep_days(days: int) -> int:
    if days != 0 and days < MIN_KEEP_SETTLED_DAYS:
        raise _invalid(f"expected 0 (keep forever) or at least {MIN_KEEP_SETTLED_DAYS}, got {days}")
    return days


def _stripped(raw: object) -> object:
    return raw.strip() if isinstance(raw, str) else raw


def _lower(raw: object) -> object:
    return raw.strip().lower() if isinstance(raw, str) else raw


def _upper(raw: object) -> object:
    return raw.strip().upper() if isinstance(raw, str) else raw


ClockTime = Annotated[time, BeforeValidator(_clock_time)]
Seconds = Annotated[float, BeforeValidator(_not_a_bool), Field(ge=0)]
Count = Annotated[int, BeforeValidator(_not_a_bool), Field(ge=0)]
Port = Annotated[int, BeforeValidator(_not_a_bool), Field(ge=0, le=65535)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TelegramSettings(_Section):
    base_url: HttpUrl = ""
    mode: Annotated[Literal["polling", "webhook"], BeforeValidator(_lower)] = "polling"
    webhook_listen: str = "127.0.0.1"
    webhook_port: Port = 8443
    webhook_url: HttpUrl = ""
    webhook_path: str = "telegram"
    webhook_secret: SecretStr = SecretStr("")
    rate_limit: bool = True
    max_messages_per_second: Annotated[Seconds, Field(gt=0, le=1000)] = 29.0
    # Messages an idle instance may send at once before the steady rate applies.
    send_burst: Annotated[Seconds, Field(ge=1)] = 1.0
    # Telegram's paid broadcasts: scheduled messages above 30 a second, charged in Stars.
    allow_paid_broadcast: bool = False
    health_port: Port = 0
    health_listen: str = "127.0.0.1"
    # Telegram's updates are a few kB; a body larger than this is refused before it is read.
    max_body_bytes: Annotated[Count, Field(ge=64 * 1024)] = 4 * 1024 * 1024
    # Updates from different chats handled at once; one chat's updates always run in order.
    max_concurrent_updates: Annotated[Count, Field(ge=1)] = 64
    # Updates accepted and waiting (for their chat's turn or a free slot) beyond which the
    # update queue is not drained further: bounds memory under a flood.
    max_pending_updates: Count = 1024

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.max_concurrent_updates > self.max_pending_updates:
            raise _rule(
                "telegram.max_concurrent_updates and telegram.max_pending_updates: expected "
                "1 <= max_concurrent_updates <= max_pending_updates"
            )
        if self.max_messages_per_second > 30 and not self.allow_paid_broadcast:
            raise _rule(
                "telegram.max_messages_per_second: Telegram allows about 30 a second per bot; "
                "a higher rate needs telegram.allow_paid_broadcast = true (see docs/deploy.md)"
            )
        if self.mode == "webhook":
            if not self.webhook_url:
                raise _rule("telegram.webhook_url: required in webhook mode (the public HTTPS URL)")
            pattern = rf"[A-Za-z0-9_-]{{{MIN_WEBHOOK_SECRET},256}}"
            if not re.fullmatch(pattern, self.webhook_secret.get_secret_value()):
                raise _rule(
                    f"telegram.webhook_secret: required in webhook mode, {MIN_WEBHOOK_SECRET}-256 "
                    "characters of A-Z, a-z, 0-9, _ and - (set PTCOACH_TELEGRAM_WEBHOOK_SECRET)"
                )
        return self


class DatabaseSettings(_Section):
    url: Annotated[DatabaseUrl, AfterValidator(_database_url)] = DatabaseUrl(
        "sqlite+aiosqlite:///data/ptcoach.db"
    )
    migrate_on_start: bool = True
    # Seconds; a partitioned database must fail fast, not freeze every user and the dispatcher.
    connect_timeout: Seconds = 5.0
    pool_timeout: Seconds = 10.0
    statement_timeout: Seconds = 15.0
    # How long a user's update that met a database outage is retried before the apology.
    outage_retry_seconds: Seconds = 20.0


class ScheduleSettings(_Section):
    default_checkin_time: ClockTime = time(19, 0)
    default_timezone: Annotated[str, AfterValidator(_timezone)] = "UTC"
    quiet_start: ClockTime = time(21, 0)
    quiet_end: ClockTime = time(8, 0)
    followup_after_hours: Seconds = 3.0
    tick_seconds: Annotated[Seconds, Field(gt=0)] = 5.0
    batch_size: Annotated[Count, Field(gt=0)] = 200
    send_attempts: Count = 10
    pt_reminder_hours_before: Seconds = 2.0
    weekly_summary_day: Annotated[str, AfterValidator(_weekday)] = "sunday"
    weekly_summary_time: ClockTime = time(19, 0)
    keep_settled_days: Annotated[Count, AfterValidator(_keep_days)] = 60
    proactive_per_day: Count = 2


class LoggingSettings(_Section):
    level: Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR"], BeforeValidator(_upper)] = "INFO"
    # One JSON object per line (``json`` before pydantic: that name is a BaseModel method).
    json_lines: bool = False


class FaqSettings(_Section):
    # Load the sentence-embedding model and embed the knowledge base in the background as
    # soon as the bot has started, so the first question does not wait for it.
    warm_up: bool = True


class AdminSettings(_Section):
    user_ids: Annotated[tuple[int, ...], NoDecode, BeforeValidator(_id_list)] = ()


class Settings(BaseSettings):
    """Everything configurable, validated and frozen; build it with ``load_settings``."""

    model_config = SettingsConfigDict(
        frozen=True,
        extra="forbid",
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="_",
        env_nested_max_split=1,  # PTCOACH_TELEGRAM_WEBHOOK_SECRET is telegram.webhook_secret
        populate_by_name=True,  # with_overrides(token=...) names the field, not the variable
    )

    telegram: TelegramSettings = TelegramSettings()
    database: DatabaseSettings = DatabaseSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    logging: LoggingSettings = LoggingSettings()
    faq: FaqSettings = FaqSettings()
    admin: AdminSettings = AdminSettings()
    token: Annotated[SecretStr, BeforeValidator(_stripped)] = Field(
        default=SecretStr(""), validation_alias=TOKEN_ENV
    )

    def with_overrides(self, **changes: Any) -> Self:
        """A validated copy with some values replaced (tests, benchmarks, the chat CLI).

        A section takes a mapping of its keys, anything else the value itself::

            settings.with_overrides(database={"url": url}, telegram={"rate_limit": False})
            settings.with_overrides(token="123456:TEST")
        """
        values = dict(self)
        for name, change in changes.items():
            current = values[name]  # KeyError: no such field
            if isinstance(current, BaseModel):
                values[name] = type(current).model_validate({**dict(current), **change})
            else:
                values[name] = change
        # Validated from these values alone (pydantic calls BaseSettings.__init__, which would
        # otherwise read the file and the environment again).
        return type(self)(_build_sources=((InitSettingsSource(type(self), values),), values))

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """``Settings()`` reads what ``load_settings()`` reads, but raises pydantic's error."""
        return _sources(settings_cls, DEFAULT_CONFIG_PATH, _environment(os.environ, ROOT / ".env"))


def _sections() -> dict[str, type[BaseModel]]:
    return {
        name: field.annotation
        for name, field in Settings.model_fields.items()
        if isinstance(field.annotation, type) and issubclass(field.annotation, _Section)
    }


def _env_name(section: str, key: str) -> str:
    return f"{ENV_PREFIX}{section}_{key}".upper()


def _known_env_names() -> set[str]:
    return {
        _env_name(section, key) for section, cls in _sections().items() for key in cls.model_fields
    }


class _ConfigFile(TomlConfigSettingsSource):
    """``config.toml``: tables of known keys only, and no secret written in it."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path) -> None:
        super().__init__(settings_cls, toml_file=path)
        sections = _sections()
        for name, table in self.toml_data.items():
            if not isinstance(table, dict):
                if name in sections:
                    raise ConfigError(f"{name}: expected a [{name}] table")
                raise ConfigError(f"{name}: unknown section in {path.name}")
            for key, value in table.items():
                if (name, key) in _RENAMED:
                    raise ConfigError(f"{name}.{key}: renamed to {name}.{_RENAMED[name, key]}")
                field = sections[name].model_fields.get(key) if name in sections else None
                if field is not None and field.annotation is SecretStr and value != "":
                    raise ConfigError(
                        f"{name}.{key}: a secret must not be written in {path.name}; "
                        f"set {_env_name(name, key)} in the environment instead"
                    )


class _Environment(EnvSettingsSource):
    """``PTCOACH_<SECTION>_<KEY>`` and ``TELEGRAM_BOT_TOKEN`` from the mapping it is given."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._given = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        # The names are exactly upper case, as documented; the library matches them lowered.
        known = _known_env_names() | {TOKEN_ENV}
        return {name.lower(): value for name, value in self._given.items() if name in known}


def _environment(environ: Mapping[str, str], dotenv: Path) -> dict[str, str]:
    """The untracked ``.env`` (parsed by python-dotenv) under the real environment."""
    # Taken literally: a secret with "${" in it is not a variable to expand.
    from_file = dotenv_values(dotenv, interpolate=False) if dotenv.is_file() else {}
    values = {key: value for key, value in from_file.items() if value is not None}
    values.update(environ)
    return values


def _sources(
    settings_cls: type[BaseSettings], path: Path, env: Mapping[str, str]
) -> tuple[PydanticBaseSettingsSource, ...]:
    return _Environment(settings_cls, env), _ConfigFile(settings_cls, path)


def _one_line(error: ErrorDetails, env: Mapping[str, str], file_name: str) -> str:
    """Pydantic's error as one operator line: the key, what is expected, where it was set."""
    loc = [str(part) for part in error["loc"]]
    kind, message = error["type"], error["msg"]
    if kind == "ptcoach_rule" or not loc:
        return message
    key = ".".join(loc[:2])
    if kind == "extra_forbidden":
        return (
            f"{key}: unknown setting (check the spelling)"
            if len(loc) > 1
            else f"{key}: unknown section in {file_name}"
        )
    if kind in {"model_type", "model_attributes_type"} and len(loc) == 1:
        return f"{key}: expected a [{key}] table"
    line = f"{key}: {message}"
    secret = loc[0] in {"token", TOKEN_ENV} or key in {"database.url", "telegram.webhook_secret"}
    if kind != "ptcoach_value" and not secret:
        line += f", got {error['input']!r}"
    if len(loc) > 1 and _env_name(loc[0], loc[1]) in env:
        line += f" (set by {_env_name(loc[0], loc[1])})"
    return line


def load_settings(
    path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    dotenv: Path | None = None,
) -> Settings:
    """Build validated settings from the TOML file, ``.env`` and the environment.

    ``environ`` defaults to ``os.environ`` and ``dotenv`` to the repository's ``.env``; any
    problem is one ``ConfigError`` line.
    """
    env = _environment(os.environ if environ is None else environ, dotenv or ROOT / ".env")
    config_path = path or DEFAULT_CONFIG_PATH
    for name in env:
        if name.startswith(ENV_PREFIX) and name not in _known_env_names():
            renamed = {_env_name(s, k): _env_name(s, new) for (s, k), new in _RENAMED.items()}
            if name in renamed:
                raise ConfigError(f"{name}: renamed to {renamed[name]}")
            raise ConfigError(f"{name}: unknown setting (see config.toml for the keys)")
    try:
        return Settings(_build_sources=(_sources(Settings, config_path, env), {}))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path.name}: not valid TOML ({exc})") from None
    except ValidationError as exc:
        raise ConfigError(_one_line(exc.errors()[0], env, config_path.name)) from None
    except SettingsError as exc:  # a source could not read a value
        raise ConfigError(str(exc).splitlines()[0]) from None
