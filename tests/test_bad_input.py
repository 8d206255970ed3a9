"""Input no database or encoder accepts (NUL characters, lone UTF-16 surrogates) and updates
without a sender: the user gets the answer clean text would get, what is stored is the cleaned
text, and nothing ends in an apology. On SQLite and PostgreSQL (PostgreSQL refuses NUL)."""

from __future__ import annotations

import tracemalloc
from typing import Any

from sqlalchemy import select

from bot.db.models import FaqQuestion, RedFlagReport, User
from bot.domain.textnorm import TypoCorrector, clean_text, stem_all, tokenize
from tests.harness import updates
from tests.harness.bot import BotHarness
from tests.helpers.onboarding import onboard
from tests.helpers.seed import at_first_checkin, checkins, make_user, seeded_user
from tests.test_safety_stories import URGENT

APOLOGY = "Sorry, something went wrong"
NUL, LONE = "\x00", "\ud83c"  # a NUL, and the first half of an emoji's surrogate pair


def _no_apology(harness: BotHarness, user_id: int) -> None:
    assert not any(APOLOGY in t for t in harness.telegram.texts(user_id))
    assert harness.services.metrics.count("errors", source="handler") == 0


async def _rows(harness: BotHarness, model: type) -> list[Any]:
    async with harness.services.sessions() as session:
        return list((await session.execute(select(model))).scalars())


def test_clean_text_drops_nul_and_replaces_lone_surrogates() -> None:
    assert clean_text("Al\x00ex") == "Alex"
    assert clean_text("knee \ud83c hurts") == "knee \ufffd hurts"
    assert clean_text("\ud83c\udfc3") == "🏃"  # a correct pair, as two code points
    assert clean_text("clean 🏃 text") == "clean 🏃 text"


async def test_a_nul_and_a_lone_surrogate_in_the_first_name_do_not_block_onboarding(
    harness: BotHarness,
) -> None:
    user = harness.user(1001, first_name=f"Al{NUL}ex{LONE}")
    await onboard(user)
    assert "first check-in comes today at 19:00" in (user.last.text or "")
    (row,) = await _rows(harness, User)
    assert row.status == "active" and row.first_name == "Alex\ufffd"
    _no_apology(harness, 1001)


async def test_a_question_with_nul_and_lone_surrogate_is_answered_and_stored_clean(
    harness: BotHarness,
) -> None:
    alex = await seeded_user(harness)
    clean_answer = await alex.say("how long until I can run again?")
    dirty_answer = await alex.say(f"how long{NUL} until I can run again?{LONE}")
    assert clean_answer is not None and dirty_answer is not None
    assert dirty_answer.text == clean_answer.text
    questions = [q.text for q in await _rows(harness, FaqQuestion)]
    assert "how long until I can run again?\ufffd" in questions
    _no_apology(harness, 1001)


async def test_a_red_flag_with_nul_is_answered_and_reported_with_clean_text(
    harness: BotHarness,
) -> None:
    alex = await seeded_user(harness)
    await alex.say(URGENT.replace(" ", f" {NUL}", 1) + LONE)
    (report,) = await _rows(harness, RedFlagReport)
    assert report.text == URGENT + "\ufffd"
    assert any("calf" in t.lower() or "doctor" in t.lower() for t in alex.texts)
    _no_apology(harness, 1001)


async def test_a_checkin_note_and_a_button_with_bad_characters_are_taken(
    harness: BotHarness,
) -> None:
    alex = await at_first_checkin(harness)
    msg = alex.tg.last_with_buttons(1001)
    data = msg.button_data("Did them all")
    await alex.press_data(data[:3] + NUL + data[3:], msg)  # callback data with a NUL
    await alex.press("4")
    await alex.say(f"Bridges{NUL} felt easier{LONE}")
    (row,) = await checkins(harness)
    assert row.status == "done" and row.pain == 4
    assert row.note == "Bridges felt easier\ufffd"
    _no_apology(harness, 1001)


async def test_a_photo_caption_with_nul_gets_the_usual_answer(harness: BotHarness) -> None:
    await make_user(harness)
    raw = updates.photo_update(1001, "Alex")
    raw["message"]["caption"] = f"my knee{NUL}{LONE}"
    await harness.process(raw)
    _no_apology(harness, 1001)


async def test_updates_without_a_sender_are_ignored_without_an_error(harness: BotHarness) -> None:
    await make_user(harness)
    channel = {"id": -1009, "type": "channel", "title": "Runners"}
    group = {"id": -2002, "type": "supergroup", "title": "Club"}
    anonymous_admin = {"id": 1087968824, "is_bot": True, "first_name": "Group"}
    post = {"message_id": 5, "date": updates.DATE, "chat": channel, "text": "/export"}
    sent: list[dict[str, Any]] = [
        {"update_id": 900001, "channel_post": post},
        {"update_id": 900002, "edited_channel_post": {**post, "edit_date": updates.DATE}},
        # an anonymous group admin, and a message forwarded from a channel into a group
        {
            "update_id": 900003,
            "message": {
                "message_id": 6,
                "date": updates.DATE,
                "chat": group,
                "from": anonymous_admin,
                "sender_chat": group,
                "text": "my knee hurts at night",
            },
        },
        {
            "update_id": 900004,
            "message": {"message_id": 7, "date": updates.DATE, "chat": group, "text": "/today"},
        },
        # a private chat message without "from" (no client sends it; a forgery could)
        {
            "update_id": 900005,
            "message": {
                "message_id": 8,
                "date": updates.DATE,
                "chat": {"id": 1001, "type": "private", "first_name": "Alex"},
                "text": "/today",
            },
        },
    ]
    for raw in sent:
        await harness.process(raw)
    assert harness.services.metrics.count("errors", source="handler") == 0
    assert harness.telegram.messages(1001) == []  # nothing answered in Alex's private chat
    assert await _rows(harness, RedFlagReport) == []
    # The group got at most the short "message me privately", never anybody's data.
    for text in harness.telegram.texts(-2002):
        assert "private chat" in text


def test_caches_keyed_by_user_text_stay_small_in_bytes() -> None:
    """80,000 messages of 4,000 characters used to add half a gigabyte: each long "word" was
    cached by the stemmer and the typo corrector. Here 150 such messages may add < 200 kB."""
    corrector = TypoCorrector(["hamstring", "achilles", "tendon"], min_len=5)
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for n in range(150):
            word = f"{n:05d}" + "a" * 3995
            tokens = tokenize(f"{word} hurts")
            stem_all(tokens)
            corrector.correct_all(tokens)
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after - before < 200_000
