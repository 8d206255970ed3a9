"""Where the content files are and the cached loaders the bot reads them through."""

from __future__ import annotations

import functools
from pathlib import Path

from bot.domain.content.parsing import (
    _read_toml,
    parse_checkin,
    parse_exercises,
    parse_nudges,
    parse_safety,
)
from bot.domain.content.schema import CheckinText, ExerciseCatalog, Nudge

CONTENT_DIR = Path(__file__).resolve().parent.parent.parent / "content"
NUDGES_FILE = CONTENT_DIR / "nudges.toml"
EXERCISES_FILE = CONTENT_DIR / "exercises.toml"
CHECKIN_FILE = CONTENT_DIR / "checkin.toml"
SAFETY_FILE = CONTENT_DIR / "safety.toml"

# ------------------------------------------------------------------------------ loaders


@functools.cache
def load_nudges(path: Path = NUDGES_FILE) -> tuple[Nudge, ...]:
    # Area tags must name the injury areas users can pick (exercises.toml).
    return parse_nudges(_read_toml(path), path, load_exercise_templates().area_ids)


@functools.cache
def load_exercise_templates(path: Path = EXERCISES_FILE) -> ExerciseCatalog:
    return parse_exercises(_read_toml(path), path)


@functools.cache
def load_checkin_text(path: Path = CHECKIN_FILE) -> CheckinText:
    return parse_checkin(_read_toml(path), path)


@functools.cache
def load_safety_text(path: Path = SAFETY_FILE) -> CheckinText:
    return parse_safety(_read_toml(path), path)


def clear_content_cache() -> None:
    """Forget loaded files, e.g. after a therapist edits content and the bot reloads."""
    load_nudges.cache_clear()
    load_exercise_templates.cache_clear()
    load_checkin_text.cache_clear()
    load_safety_text.cache_clear()
