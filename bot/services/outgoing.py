"""What a scheduled message turns into, independent of Telegram types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ScheduledMessage, User
from bot.domain.enums import MessageStatus
from bot.services.container import Services
from bot.services.outcome import ButtonRows


@dataclass(frozen=True)
class Outgoing:
    text: str
    buttons: ButtonRows = ()
    photo: bytes | None = None  # sent as a photo with `text` as its caption


@dataclass(frozen=True)
class Skip:
    """Nothing to send: ``status`` is what the row becomes (missed, skipped, cancelled)."""

    status: MessageStatus
    reason: str


@dataclass
class SendContext:
    session: AsyncSession
    services: Services
    user: User
    row: ScheduledMessage
    now: datetime
    extra: dict[str, object] = field(default_factory=dict)


class KindHandler(Protocol):
    async def prepare(self, ctx: SendContext) -> Outgoing | Skip: ...

    async def after_sent(self, ctx: SendContext) -> None: ...

    async def after_skip(self, ctx: SendContext, skip: Skip) -> None: ...


_registry: dict[str, KindHandler] = {}


def register_kind(kind: str, handler: KindHandler) -> None:
    _registry[kind] = handler


def handler_for(kind: str) -> KindHandler | None:
    if kind not in _registry:
        load_kinds()
    return _registry.get(kind)


def load_kinds() -> None:
    """Import the modules that register kinds (kept out of import time to avoid cycles)."""
    import bot.services.outgoing_checkin
    import bot.services.outgoing_run
    import bot.services.outgoing_safety

    try:
        import bot.services.outgoing_nudges  # noqa: F401
    except ModuleNotFoundError as exc:  # pragma: no cover - only while nudges are not built
        if exc.name != "bot.services.outgoing_nudges":
            raise
