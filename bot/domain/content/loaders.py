"""Where the content files are and the cached loaders the bot reads them through.

Every file goes through the same ``load(path, Model)`` (``loading``); these functions only
add the cache and, where a file's checks need another file, the context.
"""

from __future__ import annotations

import functools
from pathlib import Path

from bot.domain.content.loading import load
from bot.domain.content.models import ExerciseCatalog, Nudge, NudgeFile, RedFlagsFile
from bot.domain.content.texts import (
    DEFAULT_LOCALE,
    CheckinFile,
    OnboardingFile,
    RepliesFile,
    SafetyFile,
    TextCatalogue,
    catalogue_of,
)

CONTENT_DIR = Path(__file__).resolve().parent.parent.parent / "content"
NUDGES_FILE = CONTENT_DIR / "nudges.toml"
EXERCISES_FILE = CONTENT_DIR / "exercises.toml"
CHECKIN_FILE = CONTENT_DIR / "checkin.toml"
SAFETY_FILE = CONTENT_DIR / "safety.toml"
ONBOARDING_FILE = CONTENT_DIR / "onboarding.toml"
REPLIES_FILE = CONTENT_DIR / "replies.toml"
RED_FLAGS_FILE = CONTENT_DIR / "red_flags.toml"


def content_file(name: str, locale: str = DEFAULT_LOCALE, root: Path = CONTENT_DIR) -> Path:
    """A text file for ``locale``: English in bot/content, others in bot/content/locales/."""
    return root / name if locale == DEFAULT_LOCALE else root / "locales" / locale / name


# ------------------------------------------------------------------------------ loaders


@functools.cache
def load_nudges(path: Path = NUDGES_FILE) -> tuple[Nudge, ...]:
    # Area tags must name the injury areas users can pick (exercises.toml).
    context = {"area_ids": load_exercise_templates().area_ids}
    return load(path, NudgeFile, context).nudge


@functools.cache
def load_exercise_templates(path: Path = EXERCISES_FILE) -> ExerciseCatalog:
    return load(path, ExerciseCatalog)


@functools.cache
def load_checkin_text(path: Path = CHECKIN_FILE) -> TextCatalogue:
    return catalogue_of(path.name, load(path, CheckinFile))


@functools.cache
def red_flag_ids(path: Path = RED_FLAGS_FILE) -> tuple[str, ...]:
    return tuple(flag.id for flag in load(path, RedFlagsFile).flag)


@functools.cache
def load_safety_text(path: Path = SAFETY_FILE) -> TextCatalogue:
    # Every red flag needs a report label, and every label a red flag (red_flags.toml).
    context = {"red_flag_ids": red_flag_ids()}
    return catalogue_of(path.name, load(path, SafetyFile, context))


@functools.cache
def load_onboarding_text(path: Path = ONBOARDING_FILE) -> TextCatalogue:
    return catalogue_of(path.name, load(path, OnboardingFile), split_buttons=False)


@functools.cache
def load_replies_text(path: Path = REPLIES_FILE) -> TextCatalogue:
    return catalogue_of(path.name, load(path, RepliesFile), split_buttons=False)


# The text files, by name: every locale has the same files, keys and placeholders.
_TEXT_LOADERS = {
    CHECKIN_FILE.name: load_checkin_text,
    SAFETY_FILE.name: load_safety_text,
    ONBOARDING_FILE.name: load_onboarding_text,
    REPLIES_FILE.name: load_replies_text,
}


def load_texts(name: str, locale: str = DEFAULT_LOCALE, root: Path = CONTENT_DIR) -> TextCatalogue:
    """The catalogue of text file ``name`` ("replies.toml") in ``locale``: a text is found by
    (locale, file, key). Another locale's file is validated against the same model as the
    English one, so a key it lacks or a placeholder the code does not fill fails here."""
    try:
        loader = _TEXT_LOADERS[name]
    except KeyError:
        raise KeyError(
            f"{name!r} is not a text file; text files: {', '.join(_TEXT_LOADERS)}"
        ) from None
    return loader(content_file(name, locale, root))


def clear_content_cache() -> None:
    """Forget loaded files, e.g. after a therapist edits content and the bot reloads."""
    load_nudges.cache_clear()
    load_exercise_templates.cache_clear()
    load_checkin_text.cache_clear()
    load_safety_text.cache_clear()
    red_flag_ids.cache_clear()
    load_onboarding_text.cache_clear()
    load_replies_text.cache_clear()
