"""Every content file is read by the one loader, and a mistake in any of them is one line
naming the file, the entry and the field, that a physical therapist can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain import faq, return_to_run, textnorm, triage
from bot.domain.content import (
    CHECKIN_FILE,
    CONTENT_DIR,
    EXERCISES_FILE,
    NUDGES_FILE,
    ONBOARDING_FILE,
    SAFETY_FILE,
    ContentError,
    load_checkin_text,
    load_exercise_templates,
    load_nudges,
    load_onboarding_text,
    load_safety_text,
)


def _broken(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text, f"fixture text not found in {source.name}: {old!r}"
    path = tmp_path / source.name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _message(load: object, path: Path) -> str:
    with pytest.raises(ContentError) as info:
        load(path)  # type: ignore[operator]
    message = str(info.value)
    assert "\n" not in message
    return message.removeprefix(str(path.parent) + "/")


def test_a_nudge_with_a_placeholder_the_code_never_fills(tmp_path: Path) -> None:
    first = load_nudges()[0]
    path = _broken(tmp_path, NUDGES_FILE, first.text, first.text + " {name2}")
    assert _message(load_nudges, path) == (
        f'nudges.toml: nudge "{first.id}", field "text": placeholder {{name2}} is not '
        "allowed here; allowed: {day}, {first_name}, {injury}"
    )


def test_a_misspelt_field_is_refused_not_ignored(tmp_path: Path) -> None:
    first = load_nudges()[0]
    path = _broken(tmp_path, NUDGES_FILE, "source = ", "sorce = ")
    assert _message(load_nudges, path) == (
        f'nudges.toml: nudge "{first.id}", field "sorce": is not a known field here '
        "(check the spelling); 'source' is missing"
    )


def test_an_exercise_with_two_doses(tmp_path: Path) -> None:
    path = _broken(
        tmp_path,
        EXERCISES_FILE,
        'id = "wall-sit"\nname = "Wall sit"\nsets = 3\nseconds = 30',
        'id = "wall-sit"\nname = "Wall sit"\nsets = 3\nreps = 10\nseconds = 30',
    )
    assert _message(load_exercise_templates, path) == (
        'exercises.toml: area "knee", exercise "wall-sit", field "reps": '
        "give exactly one of reps or seconds"
    )


def test_a_checkin_text_with_the_wrong_placeholder(tmp_path: Path) -> None:
    path = _broken(
        tmp_path, CHECKIN_FILE, "OK, I'll ask again in {delay}.", "OK, I'll ask again in {later}."
    )
    assert _message(load_checkin_text, path) == (
        'checkin.toml: field "snooze_ack": item 1: placeholder {later} is not allowed here; '
        "allowed: {delay}"
    )


def test_an_unknown_checkin_key_is_a_typo(tmp_path: Path) -> None:
    path = _broken(tmp_path, CHECKIN_FILE, "[pain_response]\nlow", "[pain_response]\nlw")
    assert _message(load_checkin_text, path) == (
        'checkin.toml: [pain_response], field "lw": is not a known field here '
        "(check the spelling); 'low' is missing"
    )


def test_a_safety_text_may_not_use_a_name_it_is_not_given(tmp_path: Path) -> None:
    text = load_safety_text().pick("hold.status")
    path = _broken(tmp_path, SAFETY_FILE, text, "{first_name}, " + text)
    assert _message(load_safety_text, path) == (
        'safety.toml: [hold], field "status": item 1: placeholder {first_name} is not allowed '
        "here; this text takes no placeholders"
    )


def test_a_report_label_must_say_the_pain_models_number(tmp_path: Path) -> None:
    path = _broken(tmp_path, SAFETY_FILE, '"Pain above 6/10"', '"Pain above 7/10"')
    assert _message(load_safety_text, path) == (
        'safety.toml: [report_labels], field "pain-very_high": says 7/10, but the pain '
        "model's limit is 6/10 (bot/domain/pain.py)"
    )


def test_every_red_flag_needs_a_report_label(tmp_path: Path) -> None:
    label = 'rest-night-pain = "Pain at rest and at night"\n'
    path = _broken(tmp_path, SAFETY_FILE, label, "")
    assert _message(load_safety_text, path) == (
        'safety.toml: [report_labels], field "rest-night-pain": is missing: the red flag in '
        "red_flags.toml needs a plain-words label for the PT report"
    )


def test_every_pain_escalation_needs_a_report_label(tmp_path: Path) -> None:
    path = _broken(
        tmp_path, SAFETY_FILE, 'pain-rising = "Pain scores rising over recent sessions"\n', ""
    )
    assert _message(load_safety_text, path) == (
        'safety.toml: [report_labels], field "pain-rising": is missing: the pain escalation '
        "needs a plain-words label for the PT report"
    )


def test_a_report_label_for_an_unknown_red_flag(tmp_path: Path) -> None:
    path = _broken(tmp_path, SAFETY_FILE, "rest-night-pain = ", "rest-nigth-pain = ")
    assert _message(load_safety_text, path) == (
        'safety.toml: [report_labels], field "rest-nigth-pain": names no red flag in '
        "red_flags.toml and no pain escalation (check the spelling, or remove the label of a "
        "removed flag)"
    )


def test_an_onboarding_text_without_a_value(tmp_path: Path) -> None:
    path = _broken(
        tmp_path,
        ONBOARDING_FILE,
        'nothing = "There\'s nothing to cancel right now."',
        'nothing = ""',
    )
    assert _message(load_onboarding_text, path) == (
        'onboarding.toml: [cancel], field "nothing": must be a non-empty string'
    )


def test_a_ladder_stage_that_is_too_long(tmp_path: Path) -> None:
    path = _broken(
        tmp_path,
        return_to_run.CONTENT_FILE,
        "[[stage]]\nrun_minutes = 1\nwalk_minutes = 4",
        "[[stage]]\nrun_minutes = 1\nwalk_minutes = 200",
    )
    assert _message(return_to_run.load_ladder, path) == (
        'return_to_run.toml: stage #1, field "walk_minutes": must be 120 or less (got 200)'
    )


def test_a_ladder_without_sources(tmp_path: Path) -> None:
    path = _broken(tmp_path, return_to_run.CONTENT_FILE, "sources = [", "references = [")
    assert _message(return_to_run.load_ladder, path) == (
        'return_to_run.toml: [plan], field "references": is not a known field here '
        "(check the spelling); 'sources' is missing"
    )


def test_a_red_flag_with_an_unknown_level(tmp_path: Path) -> None:
    first = triage.load_triager().flag_ids[0]
    source = triage.RED_FLAGS_PATH
    text = source.read_text(encoding="utf-8")
    start = text.index(f'id = "{first}"')
    level_at = text.index("level = ", start)
    old = text[level_at : text.index("\n", level_at)]
    path = _broken(tmp_path, source, old, 'level = "soon"')
    assert _message(triage.load_triager, path) == (
        f'red_flags.toml: flag "{first}", field "level": unknown value \'soon\'; '
        "allowed: emergency, urgent, contact"
    )


def test_a_synonym_that_is_not_a_list(tmp_path: Path) -> None:
    path = _broken(tmp_path, textnorm.SYNONYMS_PATH, "[synonyms]\n", '[synonyms]\n"shin" = 3\n')
    assert _message(textnorm.load_lexicon, path) == (
        'synonyms.toml: [synonyms], field "shin": must be a list'
    )


def test_a_faq_entry_without_sources(tmp_path: Path) -> None:
    source = sorted((CONTENT_DIR / "faq").glob("*.toml"))[0]
    folder = tmp_path / "faq"
    folder.mkdir()
    first = faq.load_entries()[0]
    text = source.read_text(encoding="utf-8")
    start = text.index("sources = [", text.index(f'id = "{first.id}"'))
    end = text.index("]", start) + 1
    (folder / source.name).write_text(text[:start] + "sources = []" + text[end:], "utf-8")
    with pytest.raises(ContentError) as info:
        faq.load_entries(folder)
    assert str(info.value).endswith(
        f'{source.name}: entry "{first.id}", field "sources": needs at least 1 item(s)'
    )


def test_bad_toml_and_a_missing_file_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nudges.toml"
    path.write_text("[[nudge]\nid = ", encoding="utf-8")
    assert _message(load_nudges, path).startswith("nudges.toml: not valid TOML (")
    assert _message(load_nudges, tmp_path / "gone.toml") == "gone.toml: file not found"


def test_the_shipped_content_names_itself_from_the_repository() -> None:
    with pytest.raises(ContentError) as info:
        load_nudges(CONTENT_DIR / "no_such_file.toml")
    assert str(info.value) == "bot/content/no_such_file.toml: file not found"


def test_all_shipped_content_loads() -> None:
    assert load_nudges() and load_exercise_templates().areas
    assert load_checkin_text().not_today and load_safety_text().buttons
    assert load_onboarding_text().variants("start.welcome")
    assert return_to_run.load_ladder().stages
    assert triage.load_triager().flag_ids
    assert textnorm.load_lexicon().domain
    assert faq.load_entries()
