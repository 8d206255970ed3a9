"""The editable content in ``bot/content``: what it is made of, how it is checked and read.

The wording of nudges, exercise templates, the daily check-in, the safety messages, setup,
the bot's other replies (replies.toml), the return-to-running ladder, the red-flag rules,
the FAQ and its synonyms live in TOML
so that a physical therapist can change them without touching Python.

* ``models``: pydantic models of every file (unknown fields refused, cross-checks);
* ``texts``: the catalogue of user-facing texts: ids, placeholders per text, locales;
* ``loading``: the one loader, and ``ContentError`` naming file, entry and field;
* ``rendering``: the one way a text is filled with a user's values;
* ``schema``: vocabularies and limits;
* ``loaders``: where the files are, read once and cached.
"""

from bot.domain.content.loaders import (
    CHECKIN_FILE,
    CONTENT_DIR,
    EXERCISES_FILE,
    NUDGES_FILE,
    ONBOARDING_FILE,
    REPLIES_FILE,
    SAFETY_FILE,
    clear_content_cache,
    content_file,
    load_checkin_text,
    load_exercise_templates,
    load_nudges,
    load_onboarding_text,
    load_replies_text,
    load_safety_text,
    load_texts,
)
from bot.domain.content.loading import ContentError, Problem, load
from bot.domain.content.models import (
    ExerciseCatalog,
    ExerciseTemplate,
    InjuryArea,
    NotTodayReason,
    Nudge,
)
from bot.domain.content.rendering import placeholders_in, render_text
from bot.domain.content.schema import (
    EXERCISE_NAME_MAX_CHARS,
    MILESTONE_STREAKS,
    NUDGE_MAX_CHARS,
    PHASES,
    SITUATIONS,
    THEMES,
    TRIGGERS,
    week_kind,
)
from bot.domain.content.texts import DEFAULT_LOCALE, TextCatalogue

# The check-in and safety wordings are text catalogues like every other.
CheckinText = TextCatalogue

__all__ = [
    "CHECKIN_FILE",
    "CONTENT_DIR",
    "DEFAULT_LOCALE",
    "EXERCISES_FILE",
    "EXERCISE_NAME_MAX_CHARS",
    "MILESTONE_STREAKS",
    "NUDGES_FILE",
    "NUDGE_MAX_CHARS",
    "ONBOARDING_FILE",
    "PHASES",
    "REPLIES_FILE",
    "SAFETY_FILE",
    "SITUATIONS",
    "THEMES",
    "TRIGGERS",
    "CheckinText",
    "ContentError",
    "ExerciseCatalog",
    "ExerciseTemplate",
    "InjuryArea",
    "NotTodayReason",
    "Nudge",
    "Problem",
    "TextCatalogue",
    "clear_content_cache",
    "content_file",
    "load",
    "load_checkin_text",
    "load_exercise_templates",
    "load_nudges",
    "load_onboarding_text",
    "load_replies_text",
    "load_safety_text",
    "load_texts",
    "placeholders_in",
    "render_text",
    "week_kind",
]
