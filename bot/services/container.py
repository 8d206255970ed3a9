"""The services every handler and the dispatcher share, built once by the composition root."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.metrics import Metrics

if TYPE_CHECKING:
    from bot.domain.faq import FaqIndex


def default_instance_id() -> str:
    """Names this process in claimed rows, so an operator can tell instances apart."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Services:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    instance_id: str = field(default_factory=default_instance_id)
    metrics: Metrics = field(default_factory=Metrics)

    @cached_property
    def faq(self) -> FaqIndex:
        """Built on first use: start-up stays fast and the index is shared by all updates.

        The knowledge base is embedded here, once (the model itself loads once per process,
        from the wordllama wheel: bot/faq_embeddings.py).
        """
        from bot.domain.faq import FaqIndex, load_entries
        from bot.faq_embeddings import load_embedder

        return FaqIndex(load_entries(), embedder=load_embedder())
