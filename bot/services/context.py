"""Who the user is right now, loaded once per update: the one home of "is this user set up",
"what is the user's today" and the other facts every use case needs.

Handlers call ``load`` (or a use case calls it inside its own transaction) and act on the
``UserContext`` instead of re-deriving these facts from ORM rows, so that every step agrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from bot.db.models import Exercise, RehabProfile, User
from bot.domain.enums import UserStatus
from bot.domain.safety import SafetyState
from bot.domain.timing import local_date
from bot.domain.wording import say
from bot.services.safety import state_of

FALLBACK_ZONE = "UTC"
"""The zone for "today" before the user has chosen one (only during onboarding)."""


class Readiness(StrEnum):
    """Whether a user can use the daily features (check-ins, progress, settings)."""

    UNKNOWN = "unknown"  # never accepted the terms: nothing is stored
    ONBOARDING = "onboarding"  # accepted, still answering the set-up questions
    READY = "ready"  # active, paused or blocked-then-back: has a profile and a zone


def readiness(user: User | None) -> Readiness:
    if user is None:
        return Readiness.UNKNOWN
    if user.status == UserStatus.ONBOARDING or not user.timezone:
        return Readiness.ONBOARDING
    return Readiness.READY


def not_ready_text(state: Readiness) -> str:
    """The one message for "you can't do that yet" (empty when the user is ready)."""
    if state is Readiness.UNKNOWN:
        return say("fallback.not_set_up")
    if state is Readiness.ONBOARDING:
        return say("fallback.finish_set_up")
    return ""


def today_of(user: User, now: datetime, default_zone: str = FALLBACK_ZONE) -> date:
    """The user's own calendar day at ``now``."""
    return local_date(now, user.timezone or default_zone)


def rehab_day(profile: RehabProfile | date | None, today: date) -> int:
    """Day 1 is the day they stopped running: the one day number every message shows (the
    check-in, /today, /progress, the set-up summary before a profile exists, a date)."""
    if profile is None:
        return 1
    stopped = profile if isinstance(profile, date) else profile.stopped_running_on
    return max(1, (today - stopped).days + 1)


@dataclass(frozen=True)
class UserContext:
    user: User
    profile: RehabProfile | None
    readiness: Readiness
    today: date
    rehab_day: int
    safety: SafetyState

    @property
    def ready(self) -> bool:
        return self.readiness is Readiness.READY

    @property
    def injury_area(self) -> str | None:
        return self.profile.injury_area if self.profile is not None else None


_USER_WITH_PROFILE = (
    select(User)
    .options(joinedload(User.profile))
    .where(User.telegram_id == bindparam("telegram_id"))
)
_USER_WITH_PROFILE_AND_PLAN = _USER_WITH_PROFILE.options(joinedload(User.exercises))


async def load(
    session: AsyncSession,
    telegram_id: int,
    now: datetime,
    default_zone: str = FALLBACK_ZONE,
    *,
    with_plan: bool = False,
) -> UserContext | None:
    """The user with their profile in one query, and the facts derived from them.

    ``with_plan`` loads the exercise plan in the same query (``plan_of`` reads it): a check-in
    press needs it, and one joined query is cheaper than a second statement."""
    statement = _USER_WITH_PROFILE_AND_PLAN if with_plan else _USER_WITH_PROFILE
    result = await session.execute(statement, {"telegram_id": telegram_id})
    user = (result.unique() if with_plan else result).scalar_one_or_none()
    if user is None:
        return None
    return context_of(user, user.profile, now, default_zone)


def plan_of(ctx: UserContext) -> list[Exercise]:
    """The user's exercises in plan order, from a context loaded ``with_plan``."""
    return sorted(ctx.user.exercises, key=lambda e: (e.position, e.id))


def context_of(
    user: User, profile: RehabProfile | None, now: datetime, default_zone: str = FALLBACK_ZONE
) -> UserContext:
    today = today_of(user, now, default_zone)
    return UserContext(
        user=user,
        profile=profile,
        readiness=readiness(user),
        today=today,
        rehab_day=rehab_day(profile, today),
        safety=state_of(user),
    )
