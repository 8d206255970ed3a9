"""`python -m bot stats`: what the bot is doing, read from the database any instance uses.

How many users, what is queued, what went out, what failed, and how far behind the
dispatcher is (the oldest due message still waiting); the counting is
``bot.services.stats.collect_stats``, this module only prints it.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from bot.cli.session import run_with_session
from bot.services.stats import DbStats, collect_stats


def format_stats(stats: DbStats) -> str:
    lines = [f"PT Coach at {stats.now:%Y-%m-%d %H:%M} UTC", "", f"Users: {stats.users_total}"]
    lines += [f"  {status:<12} {count:>8}" for status, count in stats.users_by_status.items()]
    lines += ["", "Scheduled messages by status:"]
    lines += [f"  {status:<12} {count:>8}" for status, count in stats.messages_by_status.items()]
    lines += ["", "Scheduled messages by kind:"]
    for kind, counts in stats.messages_by_kind_status.items():
        detail = ", ".join(f"{s} {n}" for s, n in counts.items())
        lines.append(f"  {kind:<14} {sum(counts.values()):>8}  ({detail})")
    oldest = f"{stats.oldest_due_at:%Y-%m-%d %H:%M:%S} UTC" if stats.oldest_due_at else "none"
    lines += [
        "",
        f"Sent in the last 24 h:   {stats.sent_last_24h}",
        f"Failed in the last 24 h: {stats.failed_last_24h} (all time {stats.failed_total})",
        f"Due and waiting:         {stats.due_waiting} (oldest due {oldest})",
        f"Tick lag:                {stats.tick_lag_seconds:.0f} s",
        f"Sent in the last hour:   {stats.sent_last_hour}, after their due time: median "
        f"{stats.late_p50_seconds:.0f} s, 95 % within {stats.late_p95_seconds:.0f} s",
        f"Updates in the last 24 h: {stats.updates_last_24h}",
    ]
    return "\n".join(lines)


def stats_json(stats: DbStats) -> str:
    data = asdict(stats)
    data["now"] = stats.now.isoformat()
    data["oldest_due_at"] = stats.oldest_due_at.isoformat() if stats.oldest_due_at else None
    data["users_total"] = stats.users_total
    data["tick_lag_seconds"] = round(stats.tick_lag_seconds, 3)
    return json.dumps(data, sort_keys=True)


def cmd_stats(args: argparse.Namespace) -> int:
    stats = run_with_session(
        lambda session: collect_stats(session, datetime.now(UTC)), reading="the counts"
    )
    print(stats_json(stats) if args.json else format_stats(stats))
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser("stats", help="counts from the database: users, queue, sends, lag")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    parser.set_defaults(func=cmd_stats)
