"""Progress chart (PNG) for the /progress command and the PT report.

Built on ``matplotlib.figure.Figure`` with the Agg canvas and never on pyplot: pyplot
keeps global state and is not safe to use from the worker threads the bot renders in.
Colours are the Okabe-Ito palette so the chart reads the same with colour-blindness,
and every colour is backed by a shape or a legend entry.
"""

from __future__ import annotations

import asyncio
import io
import math
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from bot.domain.wording import day_month, say
from bot.reports.data import DayRecord
from bot.reports.stats import MIN_CHECK_INS as MIN_CHECK_INS
from bot.reports.stats import by_day
from bot.reports.stats import has_enough_data as has_enough_data

"""Below this a chart is mostly empty space; the bot says "not enough yet" instead."""

FIG_SIZE_IN = (8.0, 5.0)
DPI = 130  # 1040 x 650 px: sharp on a phone, well under 250 KB.

# Okabe-Ito palette.
BLUE = "#0072B2"
SKY = "#56B4E9"
GREEN = "#009E73"
YELLOW = "#F0E442"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#999999"
PAUSE_FILL = "#E8E8E8"
HOLD_FILL = "#F2DDE8"  # a pale tint of PURPLE, hatched the other way from a pause

STATUS_STYLE: dict[str, tuple[str, float, str]] = {
    # status: (colour, bar height, legend label's key in replies.toml [chart])
    "done": (GREEN, 1.0, "done"),
    "partial": (YELLOW, 1.0, "partial"),
    "run": (SKY, 1.0, "run"),
    "skipped": (VERMILLION, 1.0, "skipped"),
    "missed": (VERMILLION, 1.0, "skipped"),
    "rest": (GREY, 0.35, "rest"),
}

SHADED_STYLE: dict[str, tuple[str, str, str]] = {
    # status: (fill colour, hatch, legend label's key in replies.toml [chart]). The user was
    # not exercising on these days: no bar, a shaded block, and the pain line breaks there.
    "paused": (PAUSE_FILL, "//", "paused"),
    "hold": (HOLD_FILL, "\\\\", "hold"),
}

MORNING_STYLE: dict[str, tuple[str, str, float, str]] = {
    # answer: (marker, colour, offset from that day's pain, legend label's key)
    "better": ("v", GREEN, -0.8, "morning_better"),
    "same": ("o", "#000000", 0.0, "morning_same"),
    "worse": ("^", VERMILLION, 0.8, "morning_worse"),
}

ROLLING_DAYS = 7
ROLLING_MIN_SCORES = 4
"""Scores a 7-day window needs before its average is drawn: two points are not an average."""
AVERAGE_MIN_SCORES = 7
"""Pain scores in the chart before the average line appears at all; until then the chart
says how many more it needs, so a new user reads when it becomes useful."""


def _rolling_pain(index: dict[date, DayRecord], day: date) -> float | None:
    scores = [
        record.pain
        for offset in range(ROLLING_DAYS)
        if (record := index.get(day - timedelta(days=offset))) is not None
        and record.pain is not None
    ]
    return sum(scores) / len(scores) if len(scores) >= ROLLING_MIN_SCORES else None


def _runs(indices: Sequence[int]) -> list[tuple[int, int]]:
    """Group sorted day indices into (first, last) runs so a pause is one shaded block."""
    runs: list[tuple[int, int]] = []
    for i in indices:
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _broken_at_pauses(
    points: Sequence[tuple[int, float]], paused: set[int]
) -> tuple[list[float], list[float]]:
    """Insert a gap (NaN) where a pause lies between two points, so the line does not
    pretend we know how the pain went while the user was not exercising."""
    xs: list[float] = []
    ys: list[float] = []
    for x, y in points:
        if xs and any(p in paused for p in range(int(xs[-1]) + 1, x)):
            xs.append(math.nan)
            ys.append(math.nan)
        xs.append(x)
        ys.append(y)
    return xs, ys


def render_progress_chart(
    days: Iterable[DayRecord],
    *,
    today: date,
    weeks: int = 4,
    pt_sessions: Iterable[date] = (),
    title: str,
    size_in: tuple[float, float] = FIG_SIZE_IN,
    dpi: int = DPI,
) -> bytes:
    """Render the last ``weeks`` weeks ending at ``today`` as PNG bytes.

    Top panel: exercise pain (0-10) with a 7-day average, and the next-morning answer
    drawn as a marker relative to that day's pain (below = better, ring = same,
    above = worse). Bottom strip: what happened each day. Paused and hold days are shaded and
    PT sessions are dashed vertical lines across both panels. ``size_in`` and ``dpi``
    let the PDF ask for a wider, flatter print version; the default suits a phone.
    """
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    n_days = weeks * 7
    start = today - timedelta(days=n_days - 1)
    index = by_day(days)
    visible = {d: r for d, r in index.items() if start <= d <= today}

    fig = Figure(figsize=size_in, dpi=dpi)
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, 1, height_ratios=(4.2, 0.8), hspace=0.08)
    ax = fig.add_subplot(grid[0])
    strip = fig.add_subplot(grid[1], sharex=ax)
    width_in, height_in = size_in
    # Margins in inches so the legend and labels keep their room at any size.
    fig.subplots_adjust(
        left=0.65 / width_in,
        right=1 - 0.28 / width_in,
        top=1 - 0.4 / height_in,
        bottom=1.05 / height_in,
    )
    handles: list[Line2D | Patch] = []

    def x_of(day: date) -> int:
        return (day - start).days

    # Paused days and days on a safety hold: shaded across both panels, each its own way.
    paused: list[int] = []
    for status, (fill, hatch, label_key) in SHADED_STYLE.items():
        shaded = sorted(x_of(d) for d, r in visible.items() if r.status == status)
        for first, last in _runs(shaded):
            for axis in (ax, strip):
                axis.axvspan(
                    first - 0.5,
                    last + 0.5,
                    facecolor=fill,
                    edgecolor="#BBBBBB",
                    hatch=hatch,
                    linewidth=0,
                    zorder=0,
                )
        if shaded:
            handles.append(
                Patch(
                    facecolor=fill,
                    edgecolor="#BBBBBB",
                    hatch=hatch,
                    label=say(f"chart.{label_key}"),
                )
            )
        paused.extend(shaded)

    # Pain during exercise and its 7-day average; both lines break across a pause or a hold.
    pain_points = sorted((x_of(d), r.pain) for d, r in visible.items() if r.pain is not None)
    if pain_points:
        paused_set = set(paused)
        xs, ys = _broken_at_pauses(pain_points, paused_set)
        (line,) = ax.plot(
            xs,
            ys,
            color=BLUE,
            marker="o",
            markersize=4,
            linewidth=1.8,
            label=say("chart.pain"),
            zorder=3,
        )
        handles.append(line)
        last_scored = pain_points[-1][0]
        rolling = [
            (x, avg)
            for d in sorted(visible)
            if (x := x_of(d)) <= last_scored
            and x not in paused_set
            and (avg := _rolling_pain(index, d)) is not None
        ]
        if len(pain_points) < AVERAGE_MIN_SCORES:
            rolling = []
            ax.text(
                0.01,
                0.97,
                say("chart.average_later", min=AVERAGE_MIN_SCORES, count=len(pain_points)),
                transform=ax.transAxes,
                ha="left",
                va="top",
                fontsize=9,
                color="#555555",
            )
        if rolling:
            rx, ry = _broken_at_pauses(rolling, paused_set)
            (avg_line,) = ax.plot(
                rx,
                ry,
                color=SKY,
                linestyle="--",
                linewidth=1.6,
                label=say("chart.pain_average"),
                zorder=2,
            )
            handles.append(avg_line)

    # Next-morning answers, placed relative to that day's pain.
    for answer, (marker, colour, offset, label_key) in MORNING_STYLE.items():
        label = say(f"chart.{label_key}")
        points = [
            (x_of(d), min(10.5, max(-0.3, r.pain + offset)))
            for d, r in visible.items()
            if r.morning == answer and r.pain is not None
        ]
        if not points:
            continue
        mx, my = zip(*points, strict=True)
        hollow = answer == "same"
        ax.plot(
            mx,
            my,
            linestyle="none",
            marker=marker,
            markersize=9 if hollow else 7,
            markerfacecolor="none" if hollow else colour,
            markeredgecolor=colour,
            markeredgewidth=1.3,
            zorder=4,
        )
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker=marker,
                markersize=7,
                markerfacecolor="none" if hollow else colour,
                markeredgecolor=colour,
                label=label,
            )
        )

    # Day status strip.
    legend_status: dict[str, str] = {}
    for status, (colour, height, label_key) in STATUS_STYLE.items():
        label = say(f"chart.{label_key}")
        xs_status = [x_of(d) for d, r in visible.items() if r.status == status]
        if not xs_status:
            continue
        # One PolyCollection per status: ~10x cheaper than a Rectangle per day via bar().
        strip.broken_barh(
            [(x - 0.4, 0.8) for x in xs_status],
            (0, height),
            facecolors=colour,
            edgecolors="#555555",
            linewidth=0.4,
            zorder=2,
        )
        legend_status[label] = colour
    for label, colour in legend_status.items():
        handles.append(Patch(facecolor=colour, edgecolor="#555555", linewidth=0.4, label=label))

    # PT sessions.
    pt_xs = sorted({x_of(d) for d in pt_sessions if start <= d <= today})
    for x in pt_xs:
        for axis in (ax, strip):
            axis.axvline(x, color=PURPLE, linestyle=(0, (4, 2)), linewidth=1.6, zorder=5)
    if pt_xs:
        handles.append(
            Line2D(
                [],
                [],
                color=PURPLE,
                linestyle=(0, (4, 2)),
                linewidth=1.6,
                label=say("chart.pt_session"),
            )
        )

    # Axes, ticks, labels.
    ax.set_xlim(-0.6, n_days - 0.4)
    ax.set_ylim(-0.6, 10.9)
    ax.set_yticks(range(0, 11, 2))
    ax.set_ylabel(say("chart.pain_axis"), fontsize=10)
    ax.grid(axis="y", color="#DDDDDD", linewidth=0.8, zorder=1)
    ax.tick_params(axis="x", labelbottom=False, length=0)
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if not pain_points:
        message = say("chart.no_pain_scores" if visible else "chart.no_checkins")
        ax.text(
            0.5,
            0.5,
            message,
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=12,
            color="#555555",
        )

    strip.set_ylim(0, 1.05)
    strip.set_yticks([])
    strip.set_ylabel(say("chart.days_axis"), fontsize=10, rotation=0, ha="right", va="center")
    for side in ("top", "right", "left"):
        strip.spines[side].set_visible(False)
    tick_xs = list(range(n_days - 1, -1, -7))[::-1]
    strip.set_xticks(tick_xs)
    strip.set_xticklabels([day_month(start + timedelta(days=x)) for x in tick_xs], fontsize=8.5)

    if handles:
        fig.legend(
            handles=handles,
            loc="lower center",
            ncol=4,
            fontsize=8.5,
            frameon=False,
            bbox_to_anchor=(0.5, 0.0),
            handlelength=1.8,
            columnspacing=1.2,
        )

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


async def render_progress_chart_async(
    days: Iterable[DayRecord],
    *,
    today: date,
    weeks: int = 4,
    pt_sessions: Iterable[date] = (),
    title: str,
) -> bytes:
    """Same as ``render_progress_chart`` but in a worker thread, so the bot's event loop
    keeps answering other users while matplotlib draws (100+ ms of CPU)."""
    return await asyncio.to_thread(
        render_progress_chart,
        tuple(days),
        today=today,
        weeks=weeks,
        pt_sessions=tuple(pt_sessions),
        title=title,
    )
