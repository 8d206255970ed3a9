"""Pure rules of the asker's context: which near-tie wins, and how a message splits."""

from __future__ import annotations

from bot.domain.faq import FaqEntry, Match
from bot.domain.faq_context import (
    Asker,
    Fit,
    area_fit,
    order_for_asker,
    prefer_for_asker,
    questions_in,
)

NAMES = {"knee": ("knee",), "hip": ("hip", "glute"), "achilles_calf": ("achilles", "calf")}


def _entry(entry_id: str, *areas: str, topic: str = "Common injuries") -> FaqEntry:
    return FaqEntry(
        id=entry_id,
        title=entry_id.title(),
        topic=topic,
        questions=("q?",),
        answer="a",
        sources=("s",),
        areas=areas,
    )


KNEE, HIP, GENERAL = _entry("knee", "knee"), _entry("hip", "hip"), _entry("general")
HIP_USER = Asker("hip", "hip")


def test_a_tied_own_area_entry_displaces_another_areas_entry() -> None:
    matches = [Match(KNEE, 0.80), Match(HIP, 0.75)]
    assert prefer_for_asker(matches, "why does it ache", HIP_USER, NAMES) is HIP


def test_a_clear_winner_is_never_displaced() -> None:
    matches = [Match(KNEE, 0.80), Match(HIP, 0.60)]
    assert prefer_for_asker(matches, "why does it ache", HIP_USER, NAMES) is None


def test_a_general_entry_is_not_displaced_by_an_area_entry() -> None:
    matches = [Match(GENERAL, 0.80), Match(HIP, 0.79)]
    assert prefer_for_asker(matches, "can I cycle", HIP_USER, NAMES) is None


def test_another_areas_entry_gives_way_to_a_tied_general_one() -> None:
    matches = [Match(KNEE, 0.80), Match(GENERAL, 0.78)]
    assert prefer_for_asker(matches, "it hurt at the end", HIP_USER, NAMES) is GENERAL


def test_a_question_that_names_an_area_keeps_the_index_choice() -> None:
    matches = [Match(KNEE, 0.80), Match(HIP, 0.79)]
    assert prefer_for_asker(matches, "my knees ache", HIP_USER, NAMES) is None


def test_unknown_area_changes_nothing() -> None:
    matches = [Match(KNEE, 0.80), Match(HIP, 0.79)]
    assert prefer_for_asker(matches, "why", Asker("other", ""), NAMES) is None
    assert area_fit(KNEE, "why", None, NAMES).fit is Fit.UNKNOWN


def test_a_returning_user_prefers_a_tied_return_to_running_entry() -> None:
    back = _entry("back", topic="Return to running")
    matches = [Match(GENERAL, 0.80), Match(back, 0.77)]
    assert prefer_for_asker(matches, "how do I start", Asker(returning=True), NAMES) is back
    assert prefer_for_asker(matches, "how do I start", Asker(), NAMES) is None


def test_area_fit_reads_own_other_and_asked_about() -> None:
    assert area_fit(HIP, "why", HIP_USER, NAMES).fit is Fit.OWN_AREA
    other = area_fit(KNEE, "why", HIP_USER, NAMES)
    assert other.fit is Fit.OTHER_AREA and other.entry_area == "knee"
    assert area_fit(KNEE, "and my knee?", HIP_USER, NAMES).fit is Fit.UNKNOWN
    assert area_fit(GENERAL, "why", HIP_USER, NAMES).fit is Fit.UNKNOWN


def test_suggestions_put_the_own_area_first_and_other_areas_last() -> None:
    assert order_for_asker([KNEE, GENERAL, HIP], "why", HIP_USER, NAMES) == (HIP, GENERAL, KNEE)
    assert order_for_asker([KNEE, HIP], "my knee", HIP_USER, NAMES) == (KNEE, HIP)


def test_questions_in_splits_only_messages_with_several_questions() -> None:
    assert questions_in("How long will it take?") == ()
    assert questions_in("I hurt my knee. How long will it take? Can I swim?") == (
        "How long will it take?",
        "Can I swim?",
    )
    assert questions_in("Why?\nAnd can I still cycle at all?") == ()  # "Why?" is too short
    assert questions_in("Should I ice it?\nShould I use heat instead?") == (
        "Should I ice it?",
        "Should I use heat instead?",
    )
