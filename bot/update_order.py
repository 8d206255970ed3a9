"""Concurrent updates, each chat's strictly in order: PTB's update processor for PT Coach.

Why: with PTB's default the bot handles one update at a time, so at check-in time the
200th user who taps "Did them all" waits for 199 others' Telegram round trips. PTB's
``concurrent_updates`` alone runs everything at once, including two taps of one user, which
could then be recorded in the wrong order (a pain score before the "did them all" it
belongs to, a /delete before the message that came ahead of it).

This processor runs updates from different chats concurrently, at most
``max_concurrent_updates`` at a time, and the updates of one chat one after another, in the
order Telegram delivered them. The order is fixed when PTB hands an update over (before any
await), so it is arrival order even when many updates of one chat are waiting.

Two bounds, both from ``[telegram]`` in the configuration:

* ``max_concurrent_updates``: updates running at once (handlers, database, Telegram calls);
* ``max_pending_updates``: updates accepted but waiting (for their chat's turn or a free
  slot). It is PTB's own semaphore, so the update queue stops being drained beyond it and
  memory stays bounded under a flood. A chat waiting for its own earlier update does not hold
  a running slot, so one busy chat cannot starve the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def chat_key(update: object) -> int | None:
    """The chat whose updates must stay in order; None for updates bound to no chat."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        # Inline-mode callbacks carry no chat; their user is the natural sequence.
        return update.effective_user.id
    return None


class ChatOrderedUpdateProcessor(BaseUpdateProcessor):
    """Different chats concurrently (bounded); one chat's updates strictly one by one."""

    __slots__ = ("_running", "_running_limit", "_tails")

    def __init__(self, max_concurrent_updates: int, max_pending_updates: int) -> None:
        if max_concurrent_updates < 1:
            raise ValueError("max_concurrent_updates must be at least 1")
        # PTB's semaphore bounds everything accepted; ours bounds what actually runs.
        super().__init__(max(max_pending_updates, max_concurrent_updates))
        self._running_limit = max_concurrent_updates
        self._running = asyncio.Semaphore(max_concurrent_updates)
        # Per chat: the completion of its most recently accepted update. A chat appears here
        # only while it has an update in flight, so the dict is bounded by the pending bound.
        self._tails: dict[int, asyncio.Future[None]] = {}

    @property
    def max_running_updates(self) -> int:
        """Updates that may run at once (``max_concurrent_updates`` is PTB's pending bound)."""
        return self._running_limit

    @property
    def chats_in_flight(self) -> int:
        return len(self._tails)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:
            async with self._running:
                await coroutine
            return
        previous = self._tails.get(key)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tails[key] = done  # set before the first await: this fixes the chat's order
        started = False
        try:
            if previous is not None:
                # The predecessor's own failure is its own business (PTB's error handler
                # saw it); this update runs after it either way.
                await asyncio.wait([previous])
            async with self._running:
                started = True
                await coroutine
        finally:
            if not started and asyncio.iscoroutine(coroutine):
                coroutine.close()  # cancelled while waiting (shutdown): never to run
            done.set_result(None)
            if self._tails.get(key) is done:
                del self._tails[key]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
