""" "That didn't help" searches again for the next best entries: the stored question's
embedding runs in a worker thread before the use case's transaction opens (as a typed
question's does, ``handlers.common.faq_ready_for``), never while a database connection is
held. Through the real bot, on both databases."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import event

from bot.domain.faq import FaqIndex, load_entries
from bot.faq_embeddings import load_embedder
from tests.harness.bot import BotHarness
from tests.helpers.onboarding import onboard


async def test_the_didnt_help_search_embeds_outside_the_transaction(harness: BotHarness) -> None:
    real = load_embedder()
    held = 0
    calls: list[tuple[str, int]] = []  # (thread, connections held) per question embedded

    def recording(texts: Sequence[str]) -> NDArray[np.float32]:
        if len(texts) == 1:
            calls.append((threading.current_thread().name, held))
        return real(texts)

    def out(*_: object) -> None:
        nonlocal held
        held += 1

    def back(*_: object) -> None:
        nonlocal held
        held -= 1

    pool = harness.services.engine.sync_engine
    event.listen(pool, "checkout", out)
    event.listen(pool, "checkin", back)
    index = FaqIndex(load_entries(), embedder=recording)
    harness.services.__dict__["faq"] = index
    user = harness.user()
    await onboard(user)
    await user.say("Should I stop running completely?")
    assert (user.last.text or "").startswith("Do I really have to stop running?")
    index._recent.clear()  # the question's vector is gone, as after many other questions
    calls.clear()
    await user.press("That didn't help")
    assert (user.last.text or "").startswith("Sorry that didn't help.")
    assert calls, "the stored question was embedded again"
    assert all(connections == 0 for _, connections in calls), calls
    assert threading.main_thread().name not in {name for name, _ in calls}
    event.remove(pool, "checkout", out)
    event.remove(pool, "checkin", back)
