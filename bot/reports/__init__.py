"""Progress chart (PNG) and physical-therapist report (PDF), rendered from plain data.

Nothing here knows about the database or Telegram: callers build ``DayRecord`` and
``ReportInput`` values and get bytes back. The renderers are exported lazily so that
code needing only the numbers (``/today``, the weekly summary) does not pay for
importing matplotlib and fpdf2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.reports.data import DayRecord, DayStatus, MorningAnswer, ReportInput
from bot.reports.stats import (
    adherence,
    caption,
    exercise_adherence,
    morning_counts,
    pain_trend,
    streak,
)

if TYPE_CHECKING:
    from bot.reports.chart import (
        has_enough_data,
        render_progress_chart,
        render_progress_chart_async,
    )
    from bot.reports.pdf import render_pt_report, render_pt_report_async

_LAZY = {
    "has_enough_data": "bot.reports.chart",
    "render_progress_chart": "bot.reports.chart",
    "render_progress_chart_async": "bot.reports.chart",
    "render_pt_report": "bot.reports.pdf",
    "render_pt_report_async": "bot.reports.pdf",
}

__all__ = [
    "DayRecord",
    "DayStatus",
    "MorningAnswer",
    "ReportInput",
    "adherence",
    "caption",
    "exercise_adherence",
    "has_enough_data",
    "morning_counts",
    "pain_trend",
    "render_progress_chart",
    "render_progress_chart_async",
    "render_pt_report",
    "render_pt_report_async",
    "streak",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
