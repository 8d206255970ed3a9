"""A second language (issue 19.2): texts are found by (locale, file, key), another locale's
files live in ``locales/<locale>/`` next to the English ones, and they are checked against
the same models, so a translation that lacks a key fails with one line naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.content import (
    CONTENT_DIR,
    REPLIES_FILE,
    SAFETY_FILE,
    ContentError,
    content_file,
    load_texts,
)

ENGLISH = "I don't know the command {command}. Send /help to see what I can do."
GERMAN = "Den Befehl {command} kenne ich nicht. Mit /help siehst du, was ich kann."


def _locale_copy(root: Path, source: Path, old: str, new: str, locale: str = "xx") -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text, f"fixture text not found in {source.name}: {old!r}"
    path = root / "locales" / locale / source.name
    path.parent.mkdir(parents=True)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_text_is_rendered_from_the_locale_it_is_asked_in(tmp_path: Path) -> None:
    _locale_copy(tmp_path, REPLIES_FILE, ENGLISH, GERMAN)
    german = load_texts("replies.toml", "xx", root=tmp_path)
    assert german.render("fallback.unknown_command", command="/foo") == (
        "Den Befehl /foo kenne ich nicht. Mit /help siehst du, was ich kann."
    )
    # The default locale is still read from bot/content, untouched by the other one.
    english = load_texts("replies.toml")
    assert english.render("fallback.unknown_command", command="/foo") == (
        "I don't know the command /foo. Send /help to see what I can do."
    )
    assert content_file("replies.toml") == CONTENT_DIR / "replies.toml"
    assert content_file("replies.toml", "de") == CONTENT_DIR / "locales" / "de" / "replies.toml"


def test_a_locale_file_missing_a_key_fails_with_one_line(tmp_path: Path) -> None:
    line = 'didnt_catch = "I didn\'t catch that. /help shows what I can do."\n'
    path = _locale_copy(tmp_path, REPLIES_FILE, line, "")
    with pytest.raises(ContentError) as info:
        load_texts("replies.toml", "xx", root=tmp_path)
    assert str(info.value) == f'{path}: [fallback], field "didnt_catch": is missing'


def test_a_translation_may_not_invent_a_placeholder(tmp_path: Path) -> None:
    path = _locale_copy(tmp_path, REPLIES_FILE, ENGLISH, GERMAN.replace("{command}", "{befehl}"))
    with pytest.raises(ContentError) as info:
        load_texts("replies.toml", "xx", root=tmp_path)
    assert str(info.value) == (
        f'{path}: [fallback], field "unknown_command": placeholder {{befehl}} is not allowed '
        "here; allowed: {command}"
    )


def test_a_locale_safety_file_is_checked_against_the_same_red_flags(tmp_path: Path) -> None:
    label = 'rest-night-pain = "Pain at rest and at night"\n'
    path = _locale_copy(tmp_path, SAFETY_FILE, label, "")
    with pytest.raises(ContentError) as info:
        load_texts("safety.toml", "xx", root=tmp_path)
    assert str(info.value).startswith(f'{path}: [report_labels], field "rest-night-pain": ')


def test_a_locale_without_the_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(ContentError) as info:
        load_texts("replies.toml", "xx", root=tmp_path)
    assert str(info.value) == f"{tmp_path / 'locales' / 'xx' / 'replies.toml'}: file not found"
    with pytest.raises(KeyError, match="not a text file"):
        load_texts("nudges.toml", "xx", root=tmp_path)
