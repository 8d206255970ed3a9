"""The user's safety state and the one gate every outgoing message passes.

Safety comes before engagement. After a red flag the bot gives calm advice to contact a
clinician, and from then on nothing that cheers or pushes goes out until the user says a
clinician has seen them. That rule is decided here, once: the dispatcher asks
``allows_kind`` before sending any scheduled message, and replies ask ``allows_cheering``
before adding praise or streak talk.

Levels, from triage and the pain model:

* ``WATCH``: a sign worth raising with the physical therapist soon (a "contact" red flag, or
  pain escalating under the pain model). Check-ins go on, so the record stays complete, but
  no motivational or missed-day nudge, and no praise, until it is resolved.
* ``URGENT``: see a clinician today. Everything that asks for exercise stops: no check-in,
  no nudge, no cheering weekly summary, no after-PT message (a neutral PT appointment
  reminder still goes out). A calm follow-up asks whether the user was able to see someone.
* ``EMERGENCY``: emergency services now. As ``URGENT``, and the wording leads with the
  emergency number; nothing but the safety follow-up goes out, not even a PT reminder.

A level only rises while a hold is open; it falls back to ``NONE`` only when the user says a
clinician has seen them (or, for ``WATCH`` from pain alone, when the pain settles).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from bot.domain.kinds import MessageKind
from bot.domain.textnorm import fold, tokenize
from bot.domain.timing import local_date, local_instant


class SafetyLevel(StrEnum):
    NONE = "none"
    WATCH = "watch"
    URGENT = "urgent"
    EMERGENCY = "emergency"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {SafetyLevel.NONE: 0, SafetyLevel.WATCH: 1, SafetyLevel.URGENT: 2, SafetyLevel.EMERGENCY: 3}

# Triage's levels (red_flags.toml) mapped onto the user's safety level.
TRIAGE_LEVELS = {
    "contact": SafetyLevel.WATCH,
    "urgent": SafetyLevel.URGENT,
    "emergency": SafetyLevel.EMERGENCY,
}

# The triage levels whose red flag puts the user on hold (no exercise check-in goes out).
HOLD_TRIAGE_LEVELS = frozenset(
    name for name, level in TRIAGE_LEVELS.items() if level.rank >= SafetyLevel.URGENT.rank
)

# What may still go out at each level, decided here per kind, once. The safety follow-up
# always may. A PT appointment reminder is neutral (it neither cheers nor pushes) and helps
# an urgent user reach a clinician, so it goes out during an urgent hold; after an emergency
# flag the user was told to get emergency care now, and nothing but the safety follow-up
# goes out (a routine appointment reminder would read as if a PT session were the answer).
_SAFETY_ONLY = frozenset({MessageKind.SAFETY_FOLLOWUP})
_ALLOWED: dict[SafetyLevel, frozenset[MessageKind]] = {
    SafetyLevel.NONE: frozenset(MessageKind) - {MessageKind.SAFETY_FOLLOWUP},
    SafetyLevel.WATCH: _SAFETY_ONLY
    | {
        MessageKind.PT_REMINDER,
        MessageKind.CHECKIN,
        MessageKind.SNOOZE,
        MessageKind.FOLLOWUP,
        MessageKind.MORNING,
        MessageKind.RUN_MORNING,  # asks how the leg feels; never pushes the next run
        MessageKind.PT_AFTER,
        MessageKind.WEEKLY,  # rendered without praise (see allows_cheering)
    },
    SafetyLevel.URGENT: _SAFETY_ONLY | {MessageKind.PT_REMINDER},
    SafetyLevel.EMERGENCY: _SAFETY_ONLY,
}

# The follow-up after an urgent or emergency flag: first after a day, then every two days,
# at most this many times (the user can answer at any time; after that the hold simply stays).
FOLLOWUP_FIRST_AFTER = timedelta(days=1)
FOLLOWUP_REPEAT_EVERY = timedelta(days=2)
FOLLOWUP_MAX = 3


@dataclass(frozen=True)
class SafetyState:
    """One user's safety state, as stored on the user row."""

    level: SafetyLevel = SafetyLevel.NONE
    since: datetime | None = None
    resolved_at: datetime | None = None
    followups_sent: int = 0
    seen_at: datetime | None = None
    """During a hold: when the user said a clinician has seen them. The hold stays until they
    say the clinician cleared them; the follow-up then asks about that, not about being seen."""

    @property
    def on_hold(self) -> bool:
        """Exercise prompts stop: the user was told to see a clinician today or now."""
        return self.level.rank >= SafetyLevel.URGENT.rank

    @property
    def active(self) -> bool:
        return self.level is not SafetyLevel.NONE

    def allows_kind(self, kind: MessageKind | str) -> bool:
        """The gate: may a scheduled message of this kind go out now?"""
        return MessageKind(kind) in _ALLOWED[self.level]

    @property
    def allows_cheering(self) -> bool:
        """Praise, streaks and "keep going" lines: only when no safety concern is open."""
        return self.level is SafetyLevel.NONE

    def raised_to(self, level: SafetyLevel, now: datetime) -> SafetyState:
        """The state after a new concern at ``level``: never lowers an open concern."""
        if level.rank <= self.level.rank:
            return self
        return SafetyState(  # a graver concern needs a clinician of its own: not "seen" yet
            level=level,
            since=self.since if self.active else now,
            resolved_at=None,
            followups_sent=self.followups_sent if self.active else 0,
        )

    def seen(self, now: datetime) -> SafetyState:
        """A clinician has seen the user; on hold, the hold waits for their clearance."""
        return replace(self, seen_at=now) if self.on_hold else self

    @property
    def awaiting_clearance(self) -> bool:
        return self.on_hold and self.seen_at is not None

    def resolved(self, now: datetime) -> SafetyState:
        return SafetyState(SafetyLevel.NONE, since=None, resolved_at=now, followups_sent=0)

    def next_followup_due(self) -> datetime | None:
        """When the next "were you able to see someone?" message is due, if any."""
        if not self.on_hold or self.since is None or self.followups_sent >= FOLLOWUP_MAX:
            return None
        return self.since + FOLLOWUP_FIRST_AFTER + FOLLOWUP_REPEAT_EVERY * self.followups_sent


def hold_days(
    episodes: Iterable[tuple[datetime, datetime | None]],
    zone: str,
    checkin_time: time | None,
    start: date,
    end: date,
) -> set[date]:
    """The local days between ``start`` and ``end`` on which a safety hold kept the exercise
    check-in from going out. ``episodes`` are (raised, released) instants of urgent and
    emergency red flags (released None: still open, so it runs to ``end``).

    The day of the flag is a hold day whatever the hour (the user was told to stop and see a
    clinician), and so is every day after it up to the release. The day of the release is
    one only when the release came at or after that day's check-in time: released earlier,
    that day's check-in went out as usual, and leaving it unanswered is an ordinary miss.
    A watch (pain watch, a "contact" sign) is never a hold: its check-ins go on.
    """
    held: set[date] = set()
    for raised, released in episodes:
        first = local_date(raised, zone)
        if released is None:
            last = end
        else:
            last = local_date(released, zone)
            if checkin_time is not None and released < local_instant(last, checkin_time, zone):
                last -= timedelta(days=1)  # a hold raised and released that morning: none
        day = max(first, start)
        while day <= min(last, end):
            held.add(day)
            day += timedelta(days=1)
    return held


def level_for_triage(triage_level: str | None) -> SafetyLevel:
    if triage_level is None:
        return SafetyLevel.NONE
    return TRIAGE_LEVELS.get(triage_level, SafetyLevel.URGENT)


def says_no(text: str, not_yet: Sequence[str]) -> bool:
    """A whole typed "no", "nope" or "not yet" (``not_yet``): to "were you able to see
    someone?" it is "Not yet", and to "did they clear you?" it is "Not cleared yet"."""
    folded = " ".join(tokenize(text))
    return bool(folded) and any(folded == " ".join(tokenize(w)) for w in not_yet)


def says_not_seen_yet(
    text: str,
    clinician: Sequence[str],
    seen: Sequence[str],
    negation: Sequence[str],
    not_yet: Sequence[str],
    *,
    plans: Sequence[str] = (),
    visits: Sequence[str] = (),
    reported: Sequence[str] = (),
) -> bool:
    """Whether a typed message says the user has not been seen yet: a whole "no" or "not yet"
    (``not_yet``); a clinician and a seen word with a negation ("I haven't seen the doctor
    yet"); or a visit still ahead: a plan ("I'll see", "I'm seeing", "going to see", "booked",
    "tomorrow", "next week": ``plans``) about a clinician or an appointment (``visits``), that
    does not report what was already said or done ("the doctor said I'll be fine":
    ``reported``). "I'll see the physio tomorrow", "booked for Friday" and "appointment next
    week" are all "not yet". Answered as the "Not yet" button is: a reminder to get it
    checked, and the hold stays; never read as seen or cleared."""
    if says_no(text, not_yet):
        return True
    padded = f" {' '.join(tokenize(text))} "

    def has(words: Sequence[str]) -> bool:
        return any(f" {' '.join(tokenize(w))} " in padded for w in words if fold(w).strip())

    if has(clinician) and has(seen) and has(negation):
        return True
    ahead = has(plans) and (has(clinician) or has(visits)) and not has(reported)
    return ahead or (has(visits) and has(negation) and not has(reported))


def says_seen(
    text: str, clinician: Sequence[str], seen: Sequence[str], negation: Sequence[str]
) -> bool:
    """Whether a typed message says a clinician has seen the user ("I saw my doctor today,
    she said carry on"): a clinician word, a seen word and no negation or future ("I'll see
    the physio tomorrow" says nothing). Only ever answered as the "A clinician has seen me"
    button is, which asks about the clearance and releases nothing by itself."""
    folded = " " + " ".join(tokenize(text)) + " "

    def has(words: Sequence[str]) -> bool:
        return any(f" {' '.join(tokenize(w))} " in folded for w in words if fold(w).strip())

    return has(clinician) and has(seen) and not has(negation)
