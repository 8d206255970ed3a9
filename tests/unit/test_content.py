"""The editable content files load, cover what the bot needs, and fail loudly when broken."""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import pytest

from bot.domain.content import (
    CHECKIN_FILE,
    EXERCISE_NAME_MAX_CHARS,
    EXERCISES_FILE,
    NUDGE_MAX_CHARS,
    PHASES,
    THEMES,
    TRIGGERS,
    ContentError,
    ExerciseTemplate,
    load_checkin_text,
    load_exercise_templates,
    load_nudges,
    placeholders_in,
    render_text,
    week_kind,
)
from bot.domain.pain import band as pain_band_of

PUSH_WORDS = ("push through", "no pain no gain", "no pain, no gain", "tough it out", "work through")

# ----------------------------------------------------------------------------- nudges


def test_nudge_file_has_enough_nudges_for_months_without_repeats() -> None:
    assert len(load_nudges()) >= 66


def test_every_theme_has_at_least_eight_nudges() -> None:
    counts = Counter(n.theme for n in load_nudges())
    for theme in THEMES:
        assert counts[theme] >= 8, theme


def test_trigger_counts_and_scheduled_is_the_largest() -> None:
    counts = Counter(n.trigger for n in load_nudges())
    minimums = {
        "missed_days": 6,
        "pain_flare": 6,
        "plateau": 5,
        "milestone": 5,
        "after_pt_session": 5,
    }
    for trigger, minimum in minimums.items():
        assert counts[trigger] >= minimum, trigger
    assert counts["scheduled"] == max(counts.values())
    assert set(counts) == set(TRIGGERS)


def test_every_phase_has_several_scheduled_nudges() -> None:
    scheduled = [n for n in load_nudges() if n.trigger == "scheduled"]
    for phase in PHASES:
        assert sum(phase in n.phases for n in scheduled) >= 5, phase


def test_nudges_are_short_unique_and_use_only_known_placeholders() -> None:
    nudges = load_nudges()
    assert len({n.id for n in nudges}) == len(nudges)
    for nudge in nudges:
        assert len(nudge.text) <= NUDGE_MAX_CHARS, nudge.id
        assert placeholders_in(nudge.text) <= {"first_name", "day", "injury"}, nudge.id
        assert nudge.source.strip(), nudge.id
        rendered = nudge.render(first_name="Maria", day=12, injury="IT band")
        assert "{" not in rendered and "}" not in rendered, nudge.id


def test_pain_flare_nudges_give_safety_advice_and_never_push() -> None:
    for nudge in (n for n in load_nudges() if n.trigger == "pain_flare"):
        text = nudge.text.lower()
        assert not any(word in text for word in PUSH_WORDS), nudge.id
        assert "pt" in re.findall(r"[a-z]+", text) or "physical therapist" in text, nudge.id
        assert "doctor" in text, nudge.id


def test_plateau_nudges_send_the_user_to_their_pt() -> None:
    for nudge in (n for n in load_nudges() if n.trigger == "plateau"):
        text = nudge.text.lower()
        assert "pt" in re.findall(r"[a-z]+", text) or "physical therapist" in text, nudge.id


# -------------------------------------------------------------------------- exercises

EXPECTED_AREAS = {
    "it_band": "IT band",
    "knee": "Knee",
    "hamstring": "Hamstring",
    "groin": "Groin / adductor",
    "hip": "Hip",
    "achilles_calf": "Achilles / calf",
    "foot_shin": "Foot / shin",
    "other": "Other",
}


def test_every_injury_area_is_offered_with_its_button_label() -> None:
    catalog = load_exercise_templates()
    assert {a.id: a.label for a in catalog.areas} == EXPECTED_AREAS


def test_each_area_has_five_to_eight_button_sized_templates() -> None:
    for area in load_exercise_templates().areas:
        assert 5 <= len(area.templates) <= 8, area.id
        assert len({t.id for t in area.templates}) == len(area.templates), area.id
        for template in area.templates:
            assert len(template.name) <= EXERCISE_NAME_MAX_CHARS, template.id
            assert (template.reps is None) != (template.seconds is None), template.id
            assert template.how, template.id


def test_catalog_includes_classic_runner_rehab_exercises() -> None:
    catalog = load_exercise_templates()
    assert catalog.area("it_band").template("clamshells").dose == "3 × 15 each side"
    assert catalog.area("achilles_calf").template("eccentric-calf-raise").equipment == "step"
    assert catalog.area("knee").template("wall-sit").seconds is not None
    with pytest.raises(KeyError):
        catalog.area("elbow")


def test_catalog_note_defers_to_the_physical_therapist() -> None:
    assert "physical therapist" in load_exercise_templates().note.lower()


@pytest.mark.parametrize(
    ("sets", "reps", "seconds", "per_side", "expected"),
    [
        (3, 15, None, False, "3 × 15"),
        (3, None, 30, False, "3 × 30 s"),
        (3, 10, None, True, "3 × 10 each side"),
    ],
)
def test_dose_label(
    sets: int, reps: int | None, seconds: int | None, per_side: bool, expected: str
) -> None:
    template = ExerciseTemplate(
        id="x", name="X", sets=sets, reps=reps, seconds=seconds, per_side=per_side, how="cue"
    )
    assert template.dose == expected


# --------------------------------------------------------------------------- check-in


def test_prompt_has_variants_and_renders_personal_fields() -> None:
    text = load_checkin_text()
    assert len(set(text.variants("prompt"))) >= 3
    rendered = {
        text.render("prompt", random.Random(i), first_name="Sam", day=9, injury="knee")
        for i in range(50)
    }
    assert len(rendered) >= 3
    assert all("{" not in line for line in rendered)
    assert any("9" in line for line in rendered)


def test_every_checkin_text_renders_without_leftover_placeholders() -> None:
    text = load_checkin_text()
    fields = {
        "first_name": "Sam",
        "day": 3,
        "injury": "hip",
        "delay": "1 hour",
        "done": 5,
        "planned": 7,
        "streak": 7,
        "when": "tomorrow at 09:30",
        "pain": 4,
        "length": 1200,
        "max": 1000,
        "percent": "86 %",
        "status": "All exercises done · pain 4/10",
    }
    for key, variants in text.variants_by_key.items():
        for variant in variants:
            assert "{" not in render_text(variant, **fields), key


def test_pain_responses_follow_the_pain_monitoring_bands() -> None:
    text = load_checkin_text()
    assert [pain_band_of(p) for p in (0, 3, 4, 5, 6, 10)] == [
        "low",
        "low",
        "moderate",
        "moderate",
        "high",
        "high",
    ]
    for band in ("low", "moderate", "high"):
        assert len(text.variants(f"pain_response.{band}")) >= 2
    for variant in text.variants("pain_response.moderate"):
        assert "morning" in variant.lower()
    for variant in text.variants("pain_response.high"):
        lowered = variant.lower()
        assert "physical therapist" in lowered
        assert "doctor" in lowered
    with pytest.raises(ValueError):
        pain_band_of(11)


def test_no_checkin_text_encourages_pushing_through_pain() -> None:
    text = load_checkin_text()
    every_line = [v for vs in text.variants_by_key.values() for v in vs]
    every_line += [r for reason in text.not_today for r in reason.responses]
    for line in every_line:
        assert not any(word in line.lower() for word in PUSH_WORDS), line


def test_not_today_reasons_and_their_replies() -> None:
    text = load_checkin_text()
    assert [(r.id, r.label) for r in text.not_today] == [
        ("no_time", "No time"),
        ("pain", "Pain"),
        ("forgot", "Forgot"),
        ("unmotivated", "Not motivated"),
        ("other", "Other"),
    ]
    for reply in text.reason("pain").responses:
        assert "physical therapist" in reply.lower()
        assert "doctor" in reply.lower()
    assert all("5" in r for r in text.reason("no_time").responses)
    assert "habit" in text.render_reason("forgot").lower()


def test_morning_worse_says_reduce_load_and_tell_the_pt() -> None:
    for variant in load_checkin_text().variants("morning_response.worse"):
        lowered = variant.lower()
        assert "physical therapist" in lowered
        assert "load" in lowered or "lighter" in lowered


def test_weekly_and_milestone_keys() -> None:
    text = load_checkin_text()
    assert week_kind(7) == "great"
    assert week_kind(4) == "good"
    assert week_kind(2) == "tough"
    assert week_kind(0) == "empty"
    assert week_kind(7, pain_flare=True) == "pain_flare"
    # Three days in, three sessions: a great start, not a "tougher week".
    assert week_kind(3, 3) == "great"
    # An open safety concern without painful scores never reads as "pain was higher".
    assert week_kind(7, 7, held=True) == "held"
    assert week_kind(7, 7, pain_flare=True, held=True) == "pain_flare"
    assert text.render("weekly_header", done=5, planned=7, first_name="Sam").count("5") == 1


def test_every_streak_worth_celebrating_has_its_own_milestone_nudges() -> None:
    by_streak = Counter(n.streak for n in load_nudges() if n.trigger == "milestone")
    assert set(by_streak) == {3, 7, 14, 30, 60}
    assert all(count >= 2 for count in by_streak.values()), by_streak
    assert all(n.streak is None for n in load_nudges() if n.trigger != "milestone")


def test_snooze_ack_names_the_delay_and_buttons_fit() -> None:
    text = load_checkin_text()
    assert "20 minutes" in text.render("snooze_ack", delay="20 minutes")
    assert all(len(label) <= 30 for label in text.buttons.values())
    assert text.button("skip")


# -------------------------------------------------------------------------- rendering


def test_unknown_placeholder_stays_visible_instead_of_crashing() -> None:
    assert render_text("Hi {first_name}, {mystery}!", first_name="Li") == "Hi Li, {mystery}!"
    assert render_text("broken { brace", first_name="Li") == "broken { brace"


# ----------------------------------------------------------------------- broken files

GOOD_NUDGE = """
[[nudge]]
id = "a-01"
theme = "patience"
phases = ["first_week"]
trigger = "scheduled"
text = "Hello {first_name}"
source = "seed article"
"""


def _write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (GOOD_NUDGE.replace('"patience"', '"grit"'), ['nudge "a-01"', "theme", "grit"]),
        (GOOD_NUDGE.replace('["first_week"]', '["week_9"]'), ['nudge "a-01"', "phases", "week_9"]),
        (GOOD_NUDGE.replace('"scheduled"', '"hourly"'), ['nudge "a-01"', "trigger", "hourly"]),
        (GOOD_NUDGE.replace("{first_name}", "{surname}"), ['nudge "a-01"', "text", "{surname}"]),
        (GOOD_NUDGE.replace("Hello {first_name}", "x" * 400), ['nudge "a-01"', "text", "400"]),
        (GOOD_NUDGE + GOOD_NUDGE, ['nudge "a-01"', "id", "duplicate"]),
        (GOOD_NUDGE.replace('source = "seed article"', ""), ['nudge "a-01"', "source"]),
        ("[[nudge]\nid = ", ["not valid TOML"]),
        (GOOD_NUDGE.replace('"scheduled"', '"milestone"'), ['nudge "a-01"', "streak", "3, 7"]),
        (GOOD_NUDGE.replace('"scheduled"', '"milestone"\nstreak = 5'), ["streak"]),
        (GOOD_NUDGE.replace('"scheduled"', '"scheduled"\nstreak = 7'), ["only milestone"]),
    ],
)
def test_broken_nudge_file_names_file_entry_and_field(
    tmp_path: Path, body: str, expected: list[str]
) -> None:
    path = _write(tmp_path, "broken_nudges.toml", body)
    with pytest.raises(ContentError) as info:
        load_nudges(path)
    message = str(info.value)
    assert "broken_nudges.toml" in message
    for fragment in expected:
        assert fragment in message


def test_valid_minimal_nudge_file_loads(tmp_path: Path) -> None:
    nudges = load_nudges(_write(tmp_path, "ok.toml", GOOD_NUDGE))
    assert [n.id for n in nudges] == ["a-01"]


def test_broken_exercise_file_names_the_exercise(tmp_path: Path) -> None:
    body = EXERCISES_FILE.read_text(encoding="utf-8").replace(
        'id = "wall-sit"\nname = "Wall sit"\nsets = 3\nseconds = 30',
        'id = "wall-sit"\nname = "Wall sit"\nsets = 3\nreps = 10\nseconds = 30',
    )
    path = _write(tmp_path, "bad_exercises.toml", body)
    with pytest.raises(ContentError) as info:
        load_exercise_templates(path)
    message = str(info.value)
    assert "bad_exercises.toml" in message
    assert "wall-sit" in message
    assert "reps" in message


def test_overlong_exercise_name_is_rejected(tmp_path: Path) -> None:
    body = EXERCISES_FILE.read_text(encoding="utf-8").replace(
        'name = "Toe yoga"', 'name = "Toe yoga with extra long explanatory title"'
    )
    with pytest.raises(ContentError, match=r"toe-yoga.*name"):
        load_exercise_templates(_write(tmp_path, "long.toml", body))


def test_checkin_file_missing_a_key_or_with_bad_placeholder_is_rejected(tmp_path: Path) -> None:
    original = CHECKIN_FILE.read_text(encoding="utf-8")
    missing = original.replace("snooze_ack = [", "snooze_acknowledgement = [")
    with pytest.raises(
        ContentError, match=r"snooze_acknowledgement.*not a known field.*'snooze_ack' is missing"
    ):
        load_checkin_text(_write(tmp_path, "missing.toml", missing))
    bad = original.replace("OK, I'll ask again in {delay}.", "OK, I'll ask again in {later}.")
    with pytest.raises(ContentError, match=r"snooze_ack.*\{later\}"):
        load_checkin_text(_write(tmp_path, "bad.toml", bad))


def test_missing_content_file_is_reported_by_name(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match=r"nowhere\.toml.*not found"):
        load_checkin_text(tmp_path / "nowhere.toml")


def test_dates_counts_and_doses_are_worded_from_the_catalogue() -> None:
    """Weekday and month names, "N days" and dose words live in onboarding.toml, so a
    translation changes them; the name lists keep their seven and twelve entries."""
    from datetime import date, datetime

    from bot.domain import wording
    from bot.domain.content import load_onboarding_text

    text = load_onboarding_text()
    assert len(text.render("calendar.weekdays").split()) == 7
    assert len(text.render("calendar.weekdays_short").split()) == 7
    assert len(text.render("calendar.months_short").split()) == 12
    friday = date(2026, 11, 27)
    assert wording.human_date(friday) == "Fri 27 Nov"
    assert wording.day_month(date(2026, 12, 5)) == "5 Dec"  # no leading zero anywhere
    assert wording.day_month_year(friday) == "27 Nov 2026"
    assert wording.day_month_time(datetime(2026, 11, 27, 9, 5)) == "27 Nov 09:05"
    assert wording.weekday_name(friday) == "Friday"
    assert [wording.counted(n, "day") for n in (1, 5)] == ["1 day", "5 days"]
    assert wording.counted(1, "checkin") == "1 check-in"
    assert wording.counted(12, "planned_day") == "12 planned days"
    assert wording.format_dose(3, 15, None, True) == "3 × 15 each side"
    assert wording.format_dose(2, None, 30, False) == "2 × 30 s"
    assert wording.format_dose(3, None, None, False) == "3 sets"
