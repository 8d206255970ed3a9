"""The editable content in ``bot/content``: what it is made of, how it is checked and read.

The wording of nudges, exercise templates, the daily check-in and the safety messages lives
in TOML so that a physical therapist can change it without touching Python.

* ``schema``: the entry types, their limits and vocabularies;
* ``parsing``: strict validation that names file, entry and field on any mistake;
* ``rendering``: filling a template with a user's values;
* ``loaders``: where the files are, read once and cached.
"""

from bot.domain.content.loaders import (
    CHECKIN_FILE,
    CONTENT_DIR,
    EXERCISES_FILE,
    NUDGES_FILE,
    SAFETY_FILE,
    clear_content_cache,
    load_checkin_text,
    load_exercise_templates,
    load_nudges,
    load_safety_text,
)
from bot.domain.content.rendering import placeholders_in, render_template
from bot.domain.content.schema import (
    EXERCISE_NAME_MAX_CHARS,
    MILESTONE_STREAKS,
    NUDGE_MAX_CHARS,
    PHASES,
    SITUATIONS,
    THEMES,
    TRIGGERS,
    CheckinText,
    ContentError,
    ExerciseCatalog,
    ExerciseTemplate,
    InjuryArea,
    Nudge,
    week_kind,
)

__all__ = [
    "CHECKIN_FILE",
    "CONTENT_DIR",
    "EXERCISES_FILE",
    "EXERCISE_NAME_MAX_CHARS",
    "MILESTONE_STREAKS",
    "NUDGES_FILE",
    "NUDGE_MAX_CHARS",
    "PHASES",
    "SAFETY_FILE",
    "SITUATIONS",
    "THEMES",
    "TRIGGERS",
    "CheckinText",
    "ContentError",
    "ExerciseCatalog",
    "ExerciseTemplate",
    "InjuryArea",
    "Nudge",
    "clear_content_cache",
    "load_checkin_text",
    "load_exercise_templates",
    "load_nudges",
    "load_safety_text",
    "placeholders_in",
    "render_template",
    "week_kind",
]
