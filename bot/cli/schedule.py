"""`python -m bot schedule ...`: look at the scheduling engine from the shell.

``show`` answers "what will this user get next, and when?" from the database the bot uses, so
a support question ("why did I get no check-in?") is answered without reading SQL.
``next`` runs the very same DST-aware maths as the planner, so anyone can check how a
local time behaves on a daylight-saving day without a database or a bot.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.cli.session import run_with_session, telegram_id


class CliError(Exception):
    """A mistake in the operator's input: reported as one line, exit status 2."""


def parse_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise CliError(
            f'unknown timezone "{value}": expected an IANA name like "Europe/Berlin"'
        ) from None
    return value


def parse_time(value: str) -> time:
    try:
        parsed = time.fromisoformat(value)
    except ValueError:
        raise CliError(f'invalid time "{value}": expected HH:MM (24-hour), e.g. 07:30') from None
    if parsed.tzinfo is not None:
        raise CliError(f'invalid time "{value}": give a wall-clock time without an offset')
    return parsed


def parse_instant(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise CliError(
            f'invalid instant "{value}": expected ISO 8601 with a zone, e.g. 2027-03-28T00:00:00Z'
        ) from None
    if parsed.tzinfo is None:
        raise CliError(
            f'instant "{value}" has no timezone: add "Z" for UTC or an offset like +01:00'
        )
    return parsed.astimezone(UTC)


def cmd_next(args: argparse.Namespace) -> int:
    from bot.domain.timing import format_utc, next_daily

    try:
        zone = parse_zone(args.timezone)
        at = parse_time(args.time)
        after = parse_instant(args.after) if args.after is not None else datetime.now(UTC)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(format_utc(next_daily(at, zone, after)))
    return 0


def _local(instant: datetime, zone: str | None) -> str:
    if not zone:
        return "(no timezone)"
    return instant.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def cmd_show(args: argparse.Namespace) -> int:
    from bot.domain.timing import format_utc
    from bot.services.upcoming import upcoming

    found = run_with_session(lambda s: upcoming(s, args.telegram_id), reading="the schedule")
    if found is None:
        print(f"error: no user with Telegram id {args.telegram_id}", file=sys.stderr)
        return 1
    print(f"User {found.telegram_id} ({found.status}), timezone {found.timezone or '-'}")
    if not found.messages:
        print("No upcoming scheduled messages.")
        return 0
    header = f"{'KIND':<15} {'DUE (UTC)':<21} {'DUE (LOCAL)':<22} STATUS"
    print(header)
    for row in found.messages:
        print(
            f"{row.kind:<15} {format_utc(row.due_at):<21} "
            f"{_local(row.due_at, found.timezone):<22} {row.status}"
        )
    return 0


def register(sub: Any) -> None:
    schedule = sub.add_parser("schedule", help="inspect the scheduling engine")
    actions = schedule.add_subparsers(dest="schedule_command", metavar="ACTION", required=True)

    show = actions.add_parser("show", help="a user's upcoming scheduled messages")
    show.add_argument("telegram_id", type=telegram_id, help="the user's Telegram id")
    show.set_defaults(func=cmd_show)

    nxt = actions.add_parser("next", help="the next UTC instant a local daily time fires")
    nxt.add_argument("--timezone", required=True, help="IANA zone, e.g. Europe/Berlin")
    nxt.add_argument("--time", required=True, help="local wall-clock time, HH:MM")
    nxt.add_argument("--after", help="ISO 8601 instant with zone (default: now)")
    nxt.set_defaults(func=cmd_next)
