"""The catalogue of every user-facing text in ``bot/content``, and its declaration.

Each text has an id: the file's name and the key inside it (``checkin.prompt``,
``safety.hold.urgent``, ``onboarding.start.welcome``, ``return_to_run.good``). This module
declares, for every id, the placeholders the code fills in for it (and for check-in texts
how many variants it needs); the pydantic models of the text files are built from that
declaration, so a key missing from a file, a key the code does not know, or a placeholder
the code never fills in fails at start-up naming the file, the key and the placeholder.

All texts are filled by one function, ``render_text`` (``bot.domain.content.rendering``),
through :class:`TextCatalogue`. Texts are looked up by ``(locale, id)``: English lives in
``bot/content``; another language would live in ``bot/content/locales/<locale>/`` with the
same file names and keys (see docs/content.md), validated against the same models.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from bot.domain.content.models import (
    CheckinBase,
    Frozen,
    Label,
    SafetyBase,
    TextSpec,
    flatten,
    text_table_model,
)
from bot.domain.content.models import (
    NotTodayReason as NotTodayReason,
)
from bot.domain.content.rendering import placeholders_in, render_text
from bot.domain.content.schema import (
    CHECKIN_BUTTONS,
    CHECKIN_MAX_CHARS,
    CHECKIN_REQUIRED,
    HELP_COMMANDS,
    SAFETY_BUTTONS,
    SMALL_TALK_KINDS,
    WEEK_KINDS,
)

log = logging.getLogger(__name__)

DEFAULT_LOCALE = "en"


def _spec(placeholders: tuple[str, ...] | frozenset[str], minimum: int = 1) -> TextSpec:
    return TextSpec(minimum=minimum, placeholders=frozenset(placeholders))


# ------------------------------------------------------------------ check-in texts

_NAME = ("first_name",)
_NAME_INJURY = ("first_name", "injury")
_PERSONAL = ("first_name", "day", "injury")
# The placeholders the code fills in for each check-in text (default: none).
_CHECKIN_FIELDS: Mapping[str, tuple[str, ...]] = {
    "prompt": _PERSONAL,
    "morning_question": _PERSONAL,
    "followup": _NAME,
    "done_all": _NAME_INJURY,
    "did_some": _NAME_INJURY,
    "ask_reason": _NAME,
    "rising_pain_warning": _NAME,
    "snooze_ack": ("delay",),
    "weekly_header": ("first_name", "done", "planned"),
    "pt_session_reminder": ("first_name", "when"),
    "pt_session_reminder_hold": ("first_name", "when"),
    "flow.pain_head": ("pain",),
    "flow.recorded": ("status",),
    "flow.note_too_long": ("length", "max"),
    "weekly.adherence": ("percent",),
    "weekly.adherence_partial": ("percent",),
    "weekly.chart_title": ("first_name",),
    **{f"pain_response.{band}": _NAME_INJURY for band in ("low", "moderate", "high")},
    **{f"morning_response.{answer}": _NAME_INJURY for answer in ("better", "same", "worse")},
    **{f"weekly_summary.{kind}": _NAME for kind in WEEK_KINDS},
}
CHECKIN_TEXTS: Mapping[str, TextSpec] = {
    key: _spec(_CHECKIN_FIELDS.get(key, ()), minimum) for key, minimum in CHECKIN_REQUIRED.items()
}

# --------------------------------------------------------------------- safety texts

# The placeholders the code fills in for a safety text besides the follow-ups' {first_name}.
_SAFETY_FIELDS: Mapping[str, tuple[str, ...]] = {
    "answer.advice_too_long": ("max",),
    "answer.advice_in_report": ("advice", "text"),
}
SAFETY_TEXTS: Mapping[str, TextSpec] = {
    key: _spec(_NAME if key.startswith("followup.") else _SAFETY_FIELDS.get(key, ()))
    for key in (
        "followup.urgent",
        "followup.emergency",
        "followup.clearance",
        "answer.seen",
        "answer.noted",
        "answer.cleared",
        "answer.not_cleared",
        "answer.not_yet",
        "answer.not_yet_emergency",
        "answer.need_help",
        "answer.undo",
        "answer.ask_advice",
        "answer.advice_saved",
        "answer.advice_in_report",
        "answer.advice_empty",
        "answer.advice_too_long",
        "answer.nothing_to_undo",
        "hold.urgent",
        "hold.watch",
        "hold.status",
        "hold.emergency",
        "hold.awaiting_clearance",
        "watch.logged",
        "watch.low_pain",
        "watch.morning",
        "watch.after_pt",
        "escalation.very_high",
        "escalation.ceiling_twice",
        "escalation.worse_mornings",
        "escalation.rising",
        "escalation.settled",
        "escalation.still",
        "escalation.still_very_high",
        "escalation_run.very_high",
        "escalation_run.ceiling_twice",
        "escalation_run.worse_mornings",
        "escalation_run.rising",
        "escalation_run.still",
        "escalation_run.still_very_high",
    )
}

# ------------------------------------------------- onboarding and return-to-run texts

# The placeholders the code fills in for each text of onboarding.toml.
_ONBOARDING_FIELDS: Mapping[str, tuple[str, ...]] = {
    "help.intro": (),
    "help.commands": (),
    **{f"commands.{name}": () for name in HELP_COMMANDS},
    "start.welcome": ("first_name",),
    "start.consent_given": (),
    "start.declined": (),
    "start.consent_by_button": (),
    "start.resume": (),
    "start.welcome_back": ("checkin_time", "first_name", "timezone"),
    "start.welcome_back_paused": ("first_name", "until"),
    "start.checkin_hint": (),
    "cancel.onboarding": (),
    "cancel.flow": (),
    "cancel.nothing": (),
    "cancel.settings_menu": (),
    "cancel.menu": (),
    "cancel.question": (),
    "cancel.pause": (),
    "cancel.settings": (),
    "cancel.checkin_unsaved": (),
    "cancel.checkin_saved": (),
    "cancel.run": (),
    "cancel.run_plan": (),
    "cancel.exercises": (),
    "cancel.pt_note": (),
    "cancel.advice": (),
    "cancel.rest_days": ("days",),
    "area.ask": (),
    "area.ask_other": (),
    "area.other_too_long": ("length",),
    "area.other_not_text": (),
    "area.chosen": ("area",),
    "area.use_buttons": (),
    "stop.ask": (),
    "stop.chosen": ("date",),
    "pt.ask_count": (),
    "pt.count_chosen": ("count",),
    "pt.ask_days": (),
    "pt.days_chosen": ("days",),
    "pt.ask_time": (),
    "pt.time_chosen": ("days", "time"),
    "pt.none": (),
    "pt.count_word": ("count",),
    "exercises.ask": ("area", "note"),
    "exercises.ask_add": (),
    "exercises.added": ("exercise",),
    "exercises.too_many": ("max",),
    "exercises.not_text": (),
    "exercises.confirmed": ("plan",),
    "exercises.empty_plan": (),
    "exercises.selected_header": (),
    "exercises.how": ("how",),
    "exercises.added_with_how": ("exercise", "how"),
    "exercises.back_to_step": (),
    "exercises.not_an_exercise": (),
    "exercises.place_early": (),
    "exercises.time_early": (),
    "exercises.chat": (),
    "checkin_time.ask": (),
    "checkin_time.chosen": ("time",),
    "timezone.ask": (),
    "timezone.share_button": (),
    "timezone.not_found_location": (),
    "timezone.not_text": (),
    "timezone.pick": ("note",),
    "timezone.confirmed": ("local",),
    "timezone.picked_stale": (),
    "timezone.empty": (),
    "timezone.too_long": (),
    "timezone.not_found": ("text",),
    "timezone.hint_only": ("hint", "place"),
    "timezone.not_sure": ("text",),
    "timezone.several_places": ("text",),
    "timezone.several_zones": ("name",),
    "timezone.abbreviation": ("text",),
    "timezone.offset_invalid": ("text",),
    "timezone.offset_unused": ("text",),
    "timezone.offset_used_by": ("offset", "zone"),
    "timezone.offset_note": (),
    "timezone.location_invalid": (),
    "summary.header": (),
    "summary.area": ("value",),
    "summary.stop": ("day", "value"),
    "summary.pt": ("value",),
    "summary.exercises": (),
    "summary.checkin": ("value",),
    "summary.timezone": ("value",),
    "summary.use_buttons": (),
    "done.finished": ("first_name", "when"),
    "done.finished_on_hold": ("first_name",),
    "done.already": (),
    "settings.menu": (
        "area",
        "checkin_time",
        "nudges",
        "pt",
        "quiet_end",
        "quiet_start",
        "rest_days",
        "timezone",
    ),
    "settings.saved_time": ("time", "when"),
    "settings.saved_timezone": ("local", "when"),
    "settings.saved_pt": ("pt",),
    "settings.saved_area": ("area",),
    "settings.saved_nudges": ("nudges",),
    "settings.saved_quiet": ("end", "start"),
    "settings.ask_rest_days": ("days",),
    "settings.saved_rest_days": ("days",),
    "settings.ask_nudges": (),
    "settings.ask_quiet_start": (),
    "settings.quiet_start_chosen": ("time",),
    "settings.ask_quiet_end": (),
    "settings.quiet_same": (),
    "settings.closed": (),
    "settings.nudges_off": (),
    "settings.nudges_low": (),
    "settings.nudges_normal": (),
    "settings.use_buttons": (),
    "settings.back_to_step": (),
    "plan.header": (),
    "plan.empty": (),
    "plan.item": ("exercise", "position"),
    "plan.note": (),
    "plan.selected": ("exercise",),
    "plan.selected_with_how": ("exercise", "how"),
    "plan.ask_dose": ("name",),
    "plan.dose_missing": (),
    "plan.dose_saved": ("exercise",),
    "plan.removed": ("name",),
    "plan.gone": (),
    "plan.use_buttons": (),
    "pause.paused_until": ("date", "resume"),
    "pause.ask_how_long": (),
    "pause.choice_3": (),
    "pause.choice_7": (),
    "pause.choice_14": (),
    "pause.choice_open": (),
    "pause.choice_no": (),
    "pause.kept": (),
    "pause.already_paused_open": (),
    "pause.already_paused_until": ("resume",),
    "pause.choice_keep_paused": (),
    "pause.kept_paused": (),
    "pause.paused_open": (),
    "pause.already_active": ("when",),
    "pause.resumed": ("when",),
    "pause.not_active": (),
    "export.caption_json": (),
    "export.caption_csv": (),
    "export.nothing": (),
    "export.sent": (),
    "delete.confirm": (),
    "delete.done": (),
    "delete.kept": (),
    "delete.nothing": (),
    "delete.expired": (),
    "delete.by_button": (),
    "input.not_text": ("example", "what"),
    "input.empty": ("example", "what"),
    "input.too_long": ("example", "what"),
    "input.time_unreadable": ("example", "text"),
    "input.time_mixed": ("text", "time"),
    "input.time_24": (),
    "input.date_not_real": ("text",),
    "input.date_not_real_numeric": ("text",),
    "input.date_ambiguous": ("first", "second", "short", "text"),
    "input.ago_number": ("text",),
    "input.date_unreadable": ("example", "text"),
    "input.stop_future": ("date", "example"),
    "input.stop_too_old": ("date", "earliest"),
    "input.exercise_no_name": ("example",),
    "input.exercise_name_long": ("length", "max", "text"),
    "input.sets_range": ("sets",),
    "input.reps_range": ("reps",),
    "input.hold_range": ("seconds",),
    "input.number_example": ("hi", "lo"),
    "input.number_whole": ("hi", "lo", "what"),
    "input.number_unreadable": ("example", "text", "what"),
    "input.number_scale": ("hi", "lo", "mid", "what"),
    "input.number_above": ("example", "hi", "lo", "value", "what_capitalised"),
    "input.number_below": ("example", "hi", "lo", "value", "what_capitalised"),
    "input.duration_unit": ("number", "text"),
    "input.duration_unreadable": ("example", "text"),
    "input.duration_zero": ("example",),
    "input.duration_too_long": (),
    "input.pause_date_unreadable": ("date", "text"),
    "input.pause_unreadable": ("example", "text"),
    "input.pause_whole_days": ("example",),
    "input.pause_past": ("date", "example"),
    "input.pause_too_long": (),
    "input.day_unknown": ("example", "text"),
    "input.days_none": ("example",),
    "input.what_time": (),
    "input.example_time": (),
    "input.what_stop": (),
    "input.example_stop": (),
    "input.what_exercise": (),
    "input.example_exercise": (),
    "input.what_duration": (),
    "input.example_duration": (),
    "input.what_pause": (),
    "input.example_pause": (),
    "input.what_days": (),
    "input.example_days": (),
    "input.what_sessions": (),
    "common.step_done": (),
    "common.stale": (),
    "common.not_text": (),
    "common.today": (),
    "common.tomorrow": (),
    "common.at": ("day", "time"),
    "common.on_weekday": ("weekday",),
    "common.your_injury": (),
    "calendar.weekdays_short": (),
    "calendar.weekdays": (),
    "calendar.months_short": (),
    "calendar.day_month": ("day", "month"),
    "calendar.day_month_year": ("day", "month", "year"),
    "calendar.weekday_day_month": ("day", "month", "weekday"),
    "counts.day_one": (),
    "counts.day_many": ("count",),
    "counts.checkin_one": (),
    "counts.checkin_many": ("count",),
    "counts.planned_day_one": (),
    "counts.planned_day_many": ("count",),
    "counts.minute_one": (),
    "counts.minute_many": ("count",),
    "counts.minute_short_one": (),
    "counts.minute_short_many": ("count",),
    "counts.hour_one": (),
    "counts.hour_many": ("count",),
    "calendar.local_time": ("time", "weekday", "zone"),
    "calendar.day_month_time": ("day", "month", "time"),
    "dose.sets_of": ("amount", "sets"),
    "dose.sets_only": ("sets",),
    "dose.seconds": ("seconds",),
    "dose.each_side": ("dose",),
    "common.no_checkin": (),
    "common.until": ("date",),
    "buttons.consent": (),
    "buttons.decline": (),
    "buttons.other": (),
    "buttons.stop_today": (),
    "buttons.stop_few_days": (),
    "buttons.stop_week": (),
    "buttons.done": (),
    "buttons.skip": (),
    "buttons.add_own": (),
    "buttons.confirm_plan": (),
    "buttons.change_area": (),
    "buttons.change_stop": (),
    "buttons.change_pt": (),
    "buttons.change_exercises": (),
    "buttons.change_checkin": (),
    "buttons.change_timezone": (),
    "buttons.all_set": (),
    "buttons.review_settings": (),
    "buttons.check_in": (),
    "buttons.help": (),
    "buttons.set_checkin": (),
    "buttons.set_timezone": (),
    "buttons.set_pt": (),
    "buttons.set_area": (),
    "buttons.set_nudges": (),
    "buttons.set_rest": (),
    "buttons.set_quiet": (),
    "buttons.set_running": (),
    "buttons.set_close": (),
    "buttons.nudges_off": (),
    "buttons.nudges_low": (),
    "buttons.nudges_normal": (),
    "buttons.plan_add": (),
    "buttons.plan_up": (),
    "buttons.plan_down": (),
    "buttons.plan_dose": (),
    "buttons.plan_remove": (),
    "buttons.plan_back": (),
    "buttons.delete_yes": (),
    "buttons.delete_no": (),
}
# The placeholders the code fills in for each text of replies.toml.
_REPLIES_FIELDS: Mapping[str, tuple[str, ...]] = {
    "common.expired": (),
    "common.noted": (),
    "common.streak": ("streak",),
    "stats.adherence_none": (),
    "stats.adherence_too_early": ("min", "planned"),
    "stats.adherence_first_days": ("known", "note", "week"),
    "stats.adherence_first_weeks": ("known", "month", "note", "week"),
    "stats.adherence": ("month", "note", "week"),
    "stats.partial_note": (),
    "stats.hold_note": (),
    "stats.pain_trend_wait": ("min", "scored"),
    "stats.pain_trend": ("trend",),
    "stats.trend_improving": (),
    "stats.trend_steady": (),
    "stats.trend_worsening": (),
    "stats.rehab_day": ("day",),
    "fallback.unknown_command": ("command",),
    "fallback.unknown_button": (),
    "fallback.didnt_catch": (),
    "fallback.error": (),
    "fallback.private_only": (),
    "fallback.not_yours": (),
    "fallback.not_set_up": (),
    "fallback.finish_set_up": (),
    "faq.unknown": (),
    "faq.empty": (),
    "faq.too_long": ("max",),
    "faq.suggest": (),
    "faq.didnt_help": (),
    "faq.didnt_help_next": (),
    "faq.for_your_area": ("area",),
    "faq.other_area_note": ("area", "entry_area"),
    "faq.also_asked": (),
    "faq.sources": ("sources",),
    "faq.feedback_thanks": (),
    "faq.pick_topic": (),
    "faq.pick_topic_or_type": (),
    "faq.topic": ("topic",),
    "faq.not_text": ("what",),
    "faq.location": (),
    **{f"faq.small_talk.{kind}": () for kind in SMALL_TALK_KINDS},
    "faq.small_talk.greeting_new": (),
    "faq.small_talk.at_a_step": (),
    "faq.small_talk.at_a_typed_step": (),
    "faq.buttons.helpful": (),
    "faq.buttons.didnt_help": (),
    "faq.buttons.also": (),
    "faq.buttons.none_of_these": (),
    "faq.buttons.browse_topics": (),
    "faq.buttons.all_topics": (),
    "faq.buttons.topics": (),
    "today.headline": ("day", "status"),
    "today.not_logged": (),
    "today.done": (),
    "today.partial": ("count",),
    "today.not_today": (),
    "today.with_pain": ("pain", "status"),
    "today.paused": (),
    "today.paused_until": ("date",),
    "progress.little_data": ("so_far",),
    "progress.no_checkin_yet": (),
    "progress.so_far": ("count",),
    "progress.streak": ("streak",),
    "progress.rehab_day": ("day",),
    "progress.grow": (),
    "progress.show_weeks": ("weeks",),
    "report.caption": ("period",),
    "report.period_pt": (),
    "report.period_14": (),
    "report.period_28": (),
    "report.covers_14": (),
    "report.covers_28": (),
    "report.covers_no_session": ("days",),
    "report.covers_first_session": ("days",),
    "report.covers_since": ("date", "days"),
    "report.more": ("count",),
    "report.more_exercises": ("count",),
    **{
        f"chart.{key}": ()
        for key in (
            "done",
            "partial",
            "run",
            "skipped",
            "rest",
            "paused",
            "hold",
            "morning_better",
            "morning_same",
            "morning_worse",
            "pain",
            "pain_average",
            "pt_session",
            "pain_axis",
            "days_axis",
            "no_pain_scores",
            "no_checkins",
        )
    },
    "chart.average_later": ("count", "min"),
    "pdf.title": ("name",),
    "pdf.detail_scores": ("scores",),
    "pdf.detail_worse": ("count",),
    "pdf.detail_on_runs": ("detail",),
    "pdf.heading": (),
    "pdf.user": (),
    "pdf.not_specified": (),
    "pdf.who": ("injury", "name"),
    "pdf.stopped_before": ("date", "days"),
    "pdf.stopped": ("date",),
    "pdf.period": ("days", "end", "start"),
    "pdf.little_data": ("count",),
    "pdf.no_pain_scores": (),
    "pdf.trend_too_few": ("min",),
    "pdf.trend": ("early", "late", "trend"),
    "pdf.pain_range": ("avg", "count", "high", "low"),
    "pdf.at_a_glance": (),
    "pdf.adherence_whole": (),
    "pdf.adherence_whole_value": ("percent", "planned"),
    "pdf.no_planned_days": (),
    "pdf.adherence_week": (),
    "pdf.statuses": (),
    "pdf.paused_rest": (),
    "pdf.streak": (),
    "pdf.pain": (),
    "pdf.pain_trend": (),
    "pdf.mornings": (),
    "pdf.mornings_value": ("better", "same", "worse"),
    "pdf.pt_sessions": (),
    "pdf.warnings": (),
    "pdf.warning_unnamed": (),
    "pdf.per_exercise": (),
    "pdf.no_plan": (),
    "pdf.col_exercise": (),
    "pdf.col_done": (),
    "pdf.col_planned": (),
    "pdf.col_share": (),
    "pdf.chart_title": (),
    "pdf.none_reported": (),
    "pdf.runs": (),
    "pdf.no_runs": (),
    "pdf.skipped": (),
    "pdf.no_skipped": (),
    "pdf.no_reason": (),
    "pdf.notes": (),
    "pdf.no_notes": (),
    "pdf.questions": (),
    "pdf.no_questions": (),
    "pdf.footer": (),
    "pt_session.ask_note": (),
    "pt_session.note_saved": (),
    "pt_session.update_plan": (),
    "pt_session.nothing_changed": (),
    "pt_session.plan_hint": (),
    "pt_session.closed": (),
    "pt_session.not_text": (),
    "pt_session.empty": (),
    "pt_session.too_long": ("length", "max"),
    "pt_session.buttons.note": (),
    "pt_session.buttons.plan": (),
    "pt_session.buttons.same": (),
}
# The placeholders the code fills in for each [text] of return_to_run.toml, besides the pain
# model's numbers {run_max} and {ceiling}, which every ladder text may use.
_LADDER_FIELDS: Mapping[str, tuple[str, ...]] = {
    "clearance_ask": (),
    "clearance_refused": (),
    "clearance_done": (),
    "already_returning": (),
    "not_cleared": (),
    "rules": (),
    "good": ("good", "needed", "peak"),
    "progress": ("needed", "plan", "stage"),
    "finished": ("plan",),
    "repeat_pain": ("peak",),
    "repeat_cut": ("plan",),
    "step_back_pain": ("peak", "plan", "stage"),
    "step_back_morning": ("plan", "stage"),
    "why_pain": ("peak",),
    "why_morning": (),
    "step_back_first": ("why",),
    "held": (),
    "clearance_noticed": (),
    "logged_wait": ("after", "during"),
    "morning_ask": (),
    "skipped": ("plan",),
    "progress_headline": ("good", "needed", "plan", "runs", "stage", "stages", "whose"),
    "run_line": ("after", "day", "decision", "during", "morning", "stage", "status"),
    "run_short": ("after", "day", "during"),
    "pain_per_run": ("runs",),
    "weekly_runs": ("peak", "runs", "stage", "stages"),
    "rehab_phase": (),
    "not_returning": (),
    "expired": (),
    "stage_header": ("stage", "stages", "whose"),
    "whose_pt": (),
    "this_stage": ("good", "needed", "stage"),
    "next_run": ("day",),
    "ask_run": (),
    "first_stage": ("stage",),
    "stage_continuous": ("run",),
    "stage_intervals": ("repeats", "run", "total", "walk"),
    "ask_pain_during": (),
    "ask_pain_after": ("during",),
    "ask_pain_after_stop": ("during",),
    "already_logged": (),
    "already_noted": (),
    "ask_plan": (),
    "plan_unreadable": ("problem",),
    "problem_line": ("line",),
    "problem_count": ("count", "most"),
    "problem_limits": ("stage",),
    "readiness_heading": ("title",),
    "plan_saved": ("stages",),
    **{
        f"buttons.{key}": ()
        for key in (
            "cleared",
            "confirm_cleared",
            "not_yet",
            "done",
            "cut_short",
            "skipped",
            "set_stages",
        )
    },
}


ONBOARDING_TEXTS: Mapping[str, TextSpec] = {k: _spec(v) for k, v in _ONBOARDING_FIELDS.items()}
REPLIES_TEXTS: Mapping[str, TextSpec] = {k: _spec(v) for k, v in _REPLIES_FIELDS.items()}
LADDER_TEXTS: Mapping[str, TextSpec] = {
    k: _spec((*v, "run_max", "ceiling")) for k, v in _LADDER_FIELDS.items()
}


# -------------------------------------------------------------------- file models


def _buttons(name: str, keys: tuple[str, ...]) -> type[Frozen]:
    from pydantic import create_model

    fields: dict[str, Any] = {k: (Label, ...) for k in keys}
    model: type[Frozen] = create_model(name, __base__=Frozen, **fields)
    return model


CheckinFile = text_table_model(
    "CheckinFile",
    CHECKIN_TEXTS,
    multi=True,
    max_chars=CHECKIN_MAX_CHARS,
    base=CheckinBase,
    extra_fields={"buttons": (_buttons("CheckinButtons", CHECKIN_BUTTONS), ...)},
)
SafetyFile = text_table_model(
    "SafetyFile",
    SAFETY_TEXTS,
    multi=True,
    max_chars=CHECKIN_MAX_CHARS,
    base=SafetyBase,
    extra_fields={"buttons": (_buttons("SafetyButtons", SAFETY_BUTTONS), ...)},
)
OnboardingFile = text_table_model("OnboardingFile", ONBOARDING_TEXTS, multi=False, max_chars=None)
RepliesFile = text_table_model("RepliesFile", REPLIES_TEXTS, multi=False, max_chars=None)
LadderTexts = text_table_model("LadderTexts", LADDER_TEXTS, multi=False, max_chars=None)


# ----------------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class TextCatalogue:
    """The texts of one file, addressed by dotted keys such as ``pain_response.high``.

    Every key holds one or more variants so repeated days do not read the same; every text
    is filled by ``render_text``, and a placeholder the caller did not give stays visible
    (and is logged by name) instead of crashing a user's chat.
    """

    name: str
    variants_by_key: Mapping[str, tuple[str, ...]]
    buttons: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    not_today: tuple[NotTodayReason, ...] = ()

    def variants(self, key: str) -> tuple[str, ...]:
        try:
            return self.variants_by_key[key]
        except KeyError:
            raise KeyError(f"{self.name} has no text key {key!r}") from None

    def pick(self, key: str, rng: random.Random | None = None) -> str:
        """One raw variant; the first when no rng is given (stable for tests and previews)."""
        options = self.variants(key)
        return options[0] if rng is None else rng.choice(options)

    def render(self, key: str, rng: random.Random | None = None, /, **fields: object) -> str:
        return _fill(self.name, key, self.pick(key, rng), fields)

    def button(self, key: str) -> str:
        try:
            return self.buttons[key]
        except KeyError:
            raise KeyError(f"{self.name} has no button {key!r}") from None

    def reason(self, reason_id: str) -> NotTodayReason:
        for item in self.not_today:
            if item.id == reason_id:
                return item
        raise KeyError(f"unknown not-today reason {reason_id!r}")

    def render_reason(
        self, reason_id: str, rng: random.Random | None = None, /, **fields: object
    ) -> str:
        responses = self.reason(reason_id).responses
        chosen = responses[0] if rng is None else rng.choice(responses)
        return _fill(self.name, f"not_today.{reason_id}", chosen, fields)


def _fill(file: str, key: str, template: str, fields: Mapping[str, object]) -> str:
    missing = placeholders_in_safe(template) - fields.keys()
    if missing:
        log.warning("text %s.%s was rendered without {%s}", file, key, ", ".join(sorted(missing)))
    return render_text(template, **fields)


def placeholders_in_safe(template: str) -> set[str]:
    try:
        return placeholders_in(template)
    except ValueError:
        return set()


def catalogue_of(name: str, model: Any, *, split_buttons: bool = True) -> TextCatalogue:
    """A validated text-table model as a catalogue (buttons and reasons when it has them)."""
    flat = flatten(model)
    flat.pop("not_today", None)
    buttons: dict[str, str] = {}
    if split_buttons:
        buttons = {k[len("buttons.") :]: v for k, v in flat.items() if k.startswith("buttons.")}
        flat = {k: v for k, v in flat.items() if not k.startswith("buttons.")}
    texts = {k: (v if isinstance(v, tuple) else (v,)) for k, v in flat.items()}
    return TextCatalogue(
        name=name,
        variants_by_key=MappingProxyType(texts),
        buttons=MappingProxyType(buttons),
        not_today=tuple(getattr(model, "not_today", ())),
    )
