"""One-page PDF for the user's physical therapist.

A therapist skims this in a minute before or during a session, so it must stay on a
single page however much the user wrote: every list gets a line budget and ends with
"... and N more" when it overflows. It embeds DejaVu Sans (shipped with matplotlib), so
notes and questions in any script the font covers (Cyrillic, Greek, accented Latin, ...)
print as written; every piece of user text goes through ``sanitize`` first, which drops
only what the font cannot draw (emoji, control characters): an emoji in a note must never
stop the report from being made, nor print as a box.
"""

from __future__ import annotations

import asyncio
import functools
import io
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import matplotlib
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from bot.domain.wording import counted, day_month, day_month_time, day_month_year, say
from bot.reports.chart import has_enough_data, render_progress_chart
from bot.reports.data import NOT_PLANNED_STATUSES, DayRecord, ReportInput
from bot.reports.stats import (
    PAIN_TREND_MIN_SCORES,
    adherence,
    by_day,
    check_in_count,
    exercise_adherence,
    morning_counts,
    pain_trend,
    percent,
    streak,
)

PAGE_W = 210.0
PAGE_H = 297.0
MARGIN = 14.0
CONTENT_W = PAGE_W - 2 * MARGIN
FOOTER_TOP = PAGE_H - 13.0
LINE_H = 4.3
HEADING_H = 7.0
MAX_TABLE_ROWS = 9
GLANCE_W = 96.0
CHART_SIZE_IN = (8.0, 3.7)
CHART_DPI = 150
TEXT_GREY = (90, 90, 90)
RULE_GREY = (200, 200, 200)
ALERT_RED = (213, 94, 0)  # Okabe-Ito vermillion, as in the chart

_REPLACEMENTS = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u2022": "*",
    "\u2023": "*",
    "\u2192": "->",
    "\u2190": "<-",
    "\u2194": "<->",
    "\u21d2": "=>",
    "\u2264": "<=",
    "\u2265": ">=",
    "\u2248": "~",
    "\u2260": "!=",
    "\u20ac": "EUR",
    "\u2122": "(TM)",
    "\u2009": " ",
    "\u200a": " ",
    "\u202f": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\u00a0": " ",
}


FONT = "DejaVu"
_FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_FONT_FILES = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
    "BI": "DejaVuSans-BoldOblique.ttf",
}


@functools.cache
def _drawable() -> frozenset[int]:
    """Code points the embedded font (every style) can draw."""
    maps = [set(TTFont(_FONT_DIR / name).getBestCmap()) for name in _FONT_FILES.values()]
    return frozenset(set.intersection(*maps))


def sanitize(text: str | None) -> str:
    """Make any user text printable with the embedded font, on one line.

    Letters the font has stay as written ("Колено болит", "Ça va"); a character it lacks
    is replaced by its decomposition when that is drawable (an accent it lacks is dropped),
    and what has no stand-in (emoji, control characters, zero-width joiners) is dropped.
    Whitespace collapses to single spaces.
    """
    if not text:
        return ""
    drawable = _drawable()
    out: list[str] = []
    joined = False  # the character after a zero-width joiner belongs to an emoji sequence
    for char in text:
        code = ord(char)
        if joined or code == 0x200D or 0xFE00 <= code <= 0xFE0F:
            joined = code == 0x200D
            continue
        if code < 32 or 127 <= code < 160:
            out.append(" ")
            continue
        if char.isspace():
            out.append(" ")
            continue
        category = unicodedata.category(char)
        if category in ("Cf", "Co", "Cs") or (category in ("So", "Sk") and code > 0x2FFF):
            continue  # joiners, private use, emoji: nothing a therapist needs to read

        if code in drawable and unicodedata.category(char) not in ("Cf", "Co", "Cs"):
            out.append(char)
            continue
        if char in _REPLACEMENTS:
            out.append(_REPLACEMENTS[char])
            continue
        decomposed = unicodedata.normalize("NFKD", char)
        out.append("".join(c for c in decomposed if ord(c) in drawable and ord(c) >= 32))
    return " ".join("".join(out).split())


@dataclass(frozen=True, slots=True)
class _Item:
    """One list entry, already wrapped into lines for the space it will get."""

    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Section:
    title: str
    items: tuple[_Item, ...]
    empty_text: str
    alert: bool = False


class _Report:
    """Lays out one ``ReportInput`` on one A4 page, top to bottom."""

    def __init__(self, inp: ReportInput) -> None:
        self.inp = inp
        start, end = sorted((inp.period_start, inp.period_end))
        self.start = start
        self.end = end
        self.period_len = (end - start).days + 1
        self.days: tuple[DayRecord, ...] = tuple(
            sorted(
                (r for r in by_day(inp.days).values() if start <= r.day <= end),
                key=lambda r: r.day,
            )
        )
        self.enough = has_enough_data(self.days)
        self.pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        for style, name in _FONT_FILES.items():
            self.pdf.add_font(FONT, style=style, fname=str(_FONT_DIR / name))
        self.pdf.set_auto_page_break(auto=False)
        self.pdf.set_margins(MARGIN, MARGIN, MARGIN)
        self.pdf.set_title(sanitize(say("pdf.title", name=inp.first_name)))
        self.pdf.set_creator("PT Coach")
        self.pdf.add_page()

    # -- small drawing helpers -------------------------------------------------
    def _font(self, size: float, style: str = "") -> None:
        self.pdf.set_font(FONT, style=style, size=size)

    def _fit(self, text: str, width: float) -> str:
        """Cut ``text`` to ``width`` mm, ending with '...' when cut."""
        if self.pdf.get_string_width(text) <= width:
            return text
        while text and self.pdf.get_string_width(text + "...") > width:
            text = text[:-1]
        return text.rstrip() + "..."

    def _wrap(self, text: str, width: float, max_lines: int) -> tuple[str, ...]:
        """Greedy word wrap into at most ``max_lines`` lines; a cut ends with '...'."""
        words = text.split(" ")
        lines: list[str] = []
        current = ""
        i = 0
        while i < len(words) and len(lines) < max_lines:
            candidate = f"{current} {words[i]}" if current else words[i]
            if self.pdf.get_string_width(candidate) <= width:
                current = candidate
                i += 1
                continue
            if not current:  # one word wider than the line (or a script without spaces)
                word = words[i]
                cut = len(word)
                while cut > 1 and self.pdf.get_string_width(word[:cut]) > width:
                    cut -= 1
                current, rest = word[:cut], word[cut:]
                if rest:
                    words[i] = rest  # the rest of the word goes on the next line
                else:
                    i += 1
            lines.append(current)
            current = ""
        if current and len(lines) < max_lines:
            lines.append(current)
        if i < len(words) and lines:
            last = lines[-1]
            while last and self.pdf.get_string_width(last + "...") > width:
                last = last[:-1]
            lines[-1] = last.rstrip() + "..."
        return tuple(self._fit(line, width) for line in lines)

    def _rule(self) -> None:
        self.pdf.set_draw_color(*RULE_GREY)
        y = self.pdf.get_y()
        self.pdf.line(MARGIN, y, PAGE_W - MARGIN, y)

    def _line(
        self,
        text: str,
        *,
        x: float = MARGIN,
        width: float = CONTENT_W,
        size: float = 8.5,
        style: str = "",
        height: float = LINE_H,
    ) -> None:
        self._font(size, style)
        self.pdf.set_x(x)
        self.pdf.cell(width, height, self._fit(text, width), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    # -- sections ----------------------------------------------------------------
    def header(self) -> None:
        inp = self.inp
        self.pdf.set_text_color(0, 0, 0)
        self._line(say("pdf.heading"), size=15, style="B", height=8)
        name = sanitize(inp.first_name) or say("pdf.user")
        injury = sanitize(inp.injury_label) or say("pdf.not_specified")
        self._line(say("pdf.who", name=name, injury=injury), size=10.5, style="B", height=5.5)
        since = (self.end - inp.stopped_running).days
        stopped = day_month_year(inp.stopped_running)
        since_text = (
            say("pdf.stopped_before", date=stopped, days=counted(since, "day"))
            if since >= 0
            else say("pdf.stopped", date=stopped)
        )
        self.pdf.set_text_color(*TEXT_GREY)
        # Two lines: together they are wider than the page and the stop date was being cut.
        self._line(
            say(
                "pdf.period",
                start=day_month_year(self.start),
                end=day_month_year(self.end),
                days=self.period_len,
            ),
            size=9,
            height=5,
        )
        self._line(since_text, size=9, height=5)
        self.pdf.set_text_color(0, 0, 0)
        self.pdf.ln(1.5)
        self._rule()
        self.pdf.ln(2)

    def little_data_notice(self) -> None:
        count = check_in_count(self.days)
        self.pdf.set_fill_color(245, 240, 200)
        self._font(9, "B")
        self.pdf.cell(
            CONTENT_W,
            7,
            self._fit(
                say("pdf.little_data", count=counted(count, "checkin")),
                CONTENT_W - 4,
            ),
            fill=True,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        self.pdf.ln(2)

    def _pain_summary(self) -> tuple[str, str]:
        scores = [r.pain for r in self.days if r.pain is not None]
        if not scores:
            return say("pdf.no_pain_scores"), "-"
        window = max(2, self.period_len)
        trend = pain_trend(self.days, self.end, window=window)
        half = window // 2
        split = self.end - timedelta(days=half - 1)
        early = [r.pain for r in self.days if r.pain is not None and r.day < split]
        late = [r.pain for r in self.days if r.pain is not None and r.day >= split]
        if trend == "not enough data":
            trend_text = say("pdf.trend_too_few", min=PAIN_TREND_MIN_SCORES)
        else:
            trend_text = say(
                "pdf.trend",
                trend=say(f"stats.trend_{trend}"),
                early=f"{sum(early) / len(early):.1f}",
                late=f"{sum(late) / len(late):.1f}",
            )
        range_text = say(
            "pdf.pain_range",
            avg=f"{sum(scores) / len(scores):.1f}",
            low=min(scores),
            high=max(scores),
            count=len(scores),
        )
        return trend_text, range_text

    def glance(self, x: float, width: float) -> float:
        """Key figures as label/value rows; returns the y where the block ends."""
        statuses = [r.status for r in self.days]
        overall = adherence(self.days, self.end, self.period_len)
        planned = sum(
            1
            for r in self.days
            if r.status not in NOT_PLANNED_STATUSES
            and not (r.day == self.end and r.status == "none")
        )
        mornings = morning_counts(self.days)
        trend_text, range_text = self._pain_summary()
        sessions = sorted(d for d in self.inp.pt_sessions if self.start <= d <= self.end)
        red_flags = self._in_period(self.inp.red_flags)
        session_text = str(len(sessions))
        if sessions:
            session_text += " (" + ", ".join(day_month(d) for d in sessions) + ")"
        rows = [
            (
                say("pdf.adherence_whole"),
                say(
                    "pdf.adherence_whole_value",
                    percent=percent(overall),
                    planned=counted(planned, "planned_day"),
                )
                if overall is not None
                else say("pdf.no_planned_days"),
            ),
            (say("pdf.adherence_week"), percent(adherence(self.days, self.end, 7))),
            (
                say("pdf.statuses"),
                " / ".join(
                    str(statuses.count(s)) for s in ("done", "partial", "skipped", "missed")
                ),
            ),
            (
                say("pdf.paused_rest"),
                " / ".join(str(statuses.count(s)) for s in ("paused", "rest", "hold")),
            ),
            (
                say("pdf.streak"),
                counted(
                    self.inp.streak if self.inp.streak is not None else streak(self.days, self.end),
                    "day",
                ),
            ),
            (say("pdf.pain"), range_text),
            (say("pdf.pain_trend"), trend_text),
            (
                say("pdf.mornings"),
                say(
                    "pdf.mornings_value",
                    better=mornings["better"],
                    same=mornings["same"],
                    worse=mornings["worse"],
                ),
            ),
            (say("pdf.pt_sessions"), session_text),
            (say("pdf.warnings"), str(len(red_flags))),
        ]
        self.pdf.set_xy(x, self.pdf.get_y())
        self._line(say("pdf.at_a_glance"), x=x, width=width, size=10.5, style="B", height=6)
        label_w = 46.0
        for number, (label, value) in enumerate(rows):
            self._font(8)
            self.pdf.set_text_color(*TEXT_GREY)
            self.pdf.set_x(x)
            self.pdf.cell(label_w, LINE_H, self._fit(label, label_w - 1))
            self.pdf.set_text_color(0, 0, 0)
            self._font(8.5, "B" if number == 0 else "")  # the whole period's adherence
            self.pdf.cell(
                width - label_w,
                LINE_H,
                self._fit(sanitize(value), width - label_w),
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
        return self.pdf.get_y()

    def exercise_table(self, x: float, top: float, width: float) -> float:
        """Per-exercise adherence; returns the y where the table ends."""
        self.pdf.set_xy(x, top)
        self._line(say("pdf.per_exercise"), x=x, width=width, size=10.5, style="B", height=6)
        rows = exercise_adherence(self.days, self.inp.plan)
        if not rows:
            self._line(say("pdf.no_plan"), x=x, width=width)
            return self.pdf.get_y()
        cols = (width - 34, 10, 13, 11)
        self.pdf.set_fill_color(235, 235, 235)
        self._font(8, "B")
        self.pdf.set_x(x)
        for label, w, align in zip(
            (
                say("pdf.col_exercise"),
                say("pdf.col_done"),
                say("pdf.col_planned"),
                say("pdf.col_share"),
            ),
            cols,
            ("L", "R", "R", "R"),
            strict=True,
        ):
            self.pdf.cell(w, LINE_H + 0.5, label, align=align, fill=True)
        self.pdf.ln(LINE_H + 0.5)
        shown = rows if len(rows) <= MAX_TABLE_ROWS else rows[: MAX_TABLE_ROWS - 1]
        self._font(8)
        for name, done, planned in shown:
            share = percent(done / planned) if planned else "n/a"
            self.pdf.set_x(x)
            self.pdf.cell(cols[0], LINE_H, self._fit(sanitize(name), cols[0] - 1))
            self.pdf.cell(cols[1], LINE_H, str(done), align="R")
            self.pdf.cell(cols[2], LINE_H, str(planned), align="R")
            self.pdf.cell(cols[3], LINE_H, share, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if len(shown) < len(rows):
            self.pdf.set_text_color(*TEXT_GREY)
            more = say("report.more_exercises", count=len(rows) - len(shown))
            self._line(more, x=x, width=width, size=8)
            self.pdf.set_text_color(0, 0, 0)
        return self.pdf.get_y()

    def chart(self) -> None:
        weeks = min(12, max(1, math.ceil(self.period_len / 7)))
        png = render_progress_chart(
            self.days,
            today=self.end,
            weeks=weeks,
            pt_sessions=self.inp.pt_sessions,
            title=say("pdf.chart_title"),
            size_in=CHART_SIZE_IN,
            dpi=CHART_DPI,
        )
        height = CONTENT_W * CHART_SIZE_IN[1] / CHART_SIZE_IN[0]
        self.pdf.image(io.BytesIO(png), x=MARGIN, y=self.pdf.get_y(), w=CONTENT_W, h=height)
        self.pdf.set_y(self.pdf.get_y() + height + 1)

    def _in_period(self, entries: Sequence[tuple[datetime, str]]) -> list[tuple[datetime, str]]:
        return sorted(
            (e for e in entries if self.start <= e[0].date() <= self.end),
            key=lambda e: e[0],
            reverse=True,
        )

    def _sections(self, width: float) -> list[_Section]:
        self._font(8.5)
        latest_first = sorted(self.days, key=lambda r: r.day, reverse=True)

        def items(texts: Sequence[str], max_lines: int) -> tuple[_Item, ...]:
            return tuple(_Item(self._wrap(t, width, max_lines)) for t in texts)

        skipped = [
            f"{day_month(r.day)}: {sanitize(r.skip_reason) or say('pdf.no_reason')}"
            for r in latest_first
            if r.status == "skipped"
        ]
        notes = [
            f"{day_month(r.day)}: {sanitize(r.note)}" for r in latest_first if sanitize(r.note)
        ]
        flags = [
            f"{day_month_time(w)}: {sanitize(t)}" for w, t in self._in_period(self.inp.red_flags)
        ]
        questions = [
            f"{day_month_time(w)}: {sanitize(t)}" for w, t in self._in_period(self.inp.questions)
        ]
        running = []
        if self.inp.running:
            running = [
                _Section(
                    say("pdf.runs"),
                    items([sanitize(t) for t in self.inp.running], 2),
                    say("pdf.no_runs"),
                )
            ]
        return [
            _Section(say("pdf.warnings"), items(flags, 2), say("pdf.none_reported"), alert=True),
            *running,
            _Section(say("pdf.skipped"), items(skipped, 1), say("pdf.no_skipped")),
            _Section(say("pdf.notes"), items(notes, 2), say("pdf.no_notes")),
            _Section(say("pdf.questions"), items(questions, 2), say("pdf.no_questions")),
        ]

    def lists(self) -> None:
        sections = self._sections(CONTENT_W - 4)
        available = FOOTER_TOP - 2 - self.pdf.get_y() - HEADING_H * len(sections)
        budget = max(len(sections), int(available // LINE_H))
        shown = _allocate([[len(i.lines) for i in s.items] for s in sections], budget)
        for section, count in zip(sections, shown, strict=True):
            self.pdf.ln(1.5)
            if section.alert and section.items:
                self.pdf.set_text_color(*ALERT_RED)
            self._line(section.title, size=10, style="B", height=HEADING_H - 1.5)
            self.pdf.set_text_color(0, 0, 0)
            if not section.items:
                self.pdf.set_text_color(*TEXT_GREY)
                self._line(section.empty_text, x=MARGIN + 2, width=CONTENT_W - 2)
                self.pdf.set_text_color(0, 0, 0)
                continue
            for item in section.items[:count]:
                for number, text in enumerate(item.lines):
                    indent = 2 if number == 0 else 6
                    self._line(text, x=MARGIN + indent, width=CONTENT_W - indent)
            hidden = len(section.items) - count
            if hidden:
                self.pdf.set_text_color(*TEXT_GREY)
                more = say("report.more", count=hidden)
                self._line(more, x=MARGIN + 2, width=CONTENT_W - 2, style="I")
                self.pdf.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.pdf.set_y(FOOTER_TOP)
        self._rule()
        self.pdf.set_text_color(*TEXT_GREY)
        self._font(7.5, "I")
        self.pdf.cell(CONTENT_W, 6, say("pdf.footer"), align="C")

    def build(self) -> bytes:
        self.header()
        if not self.enough:
            self.little_data_notice()
        top = self.pdf.get_y()
        left_end = self.glance(MARGIN, GLANCE_W)
        right_end = self.exercise_table(MARGIN + GLANCE_W + 4, top, CONTENT_W - GLANCE_W - 4)
        self.pdf.set_y(max(left_end, right_end) + 2)
        if self.enough:
            self.chart()
        self.lists()
        self.footer()
        return bytes(self.pdf.output())


def _allocate(item_lines: Sequence[Sequence[int]], budget: int) -> list[int]:
    """How many items of each section fit in ``budget`` lines.

    Round-robin one item at a time (sections in priority order) so a long list of
    notes cannot push the red flags or questions off the page. An empty section or a
    cut list costs one line (its placeholder or the "... and N more" line).
    """
    shown = [0] * len(item_lines)

    def cost(i: int, n: int) -> int:
        lines = item_lines[i]
        return sum(lines[:n]) + (1 if n < len(lines) or not lines else 0)

    used = sum(cost(i, 0) for i in range(len(item_lines)))
    progress = True
    while progress:
        progress = False
        for i, lines in enumerate(item_lines):
            if shown[i] >= len(lines):
                continue
            new_used = used - cost(i, shown[i]) + cost(i, shown[i] + 1)
            if new_used <= budget:
                used = new_used
                shown[i] += 1
                progress = True
    return shown


def render_pt_report(inp: ReportInput) -> bytes:
    """Render the one-page physical-therapist report as PDF bytes."""
    return _Report(inp).build()


async def render_pt_report_async(inp: ReportInput) -> bytes:
    """``render_pt_report`` in a worker thread, so the bot's event loop is never blocked."""
    return await asyncio.to_thread(render_pt_report, inp)
