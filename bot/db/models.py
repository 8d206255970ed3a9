"""The database schema: every piece of state PT Coach keeps lives here.

Design notes:
- All instants are ``UtcDateTime`` (timezone-aware, stored as UTC). Calendar days in the
  user's own zone (a check-in's day, a pause) are plain ``Date`` because they are local facts.
- Everything that belongs to a user references ``users.id`` with ``ON DELETE CASCADE``, so
  erasing a user (``/delete``) is a single delete that leaves no row behind.
- Scheduled messages are rows, not in-memory jobs: the dispatcher claims due rows, which is
  what makes restarts and several instances safe.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.domain.enums import (
    CheckInStatus,
    FaqDecision,
    MessageStatus,
    MorningResponse,
    NudgeCadence,
    RunStatus,
    UserStatus,
)
from bot.domain.kinds import MessageKind
from bot.domain.safety import SafetyLevel

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that refuses naive datetimes and always comes back aware, in UTC.

    SQLite has no timezone-aware type, so without this a value would silently lose its zone.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware UTC instants only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime,
        dict[str, Any]: JSON,
    }


def one_of(column: str, values: type[StrEnum]) -> CheckConstraint:
    """A check constraint that keeps ``column`` inside an enum's values (NULL allowed)."""
    listed = ", ".join(f"'{member.value}'" for member in values)
    return CheckConstraint(f"{column} IN ({listed})", name=column)


RED_FLAG_LEVELS = ("contact", "urgent", "emergency")


def _user_fk() -> Any:
    return mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        one_of("status", UserStatus),
        one_of("nudge_cadence", NudgeCadence),
        one_of("safety_level", SafetyLevel),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    first_name: Mapped[str] = mapped_column(String(64), default="")
    language: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64))
    checkin_time: Mapped[time | None] = mapped_column(Time)
    status: Mapped[str] = mapped_column(String(16), default=UserStatus.ONBOARDING)
    paused_until: Mapped[date | None] = mapped_column(Date)
    consent_at: Mapped[datetime | None]
    onboarded_at: Mapped[datetime | None]
    nudge_cadence: Mapped[str] = mapped_column(String(8), default=NudgeCadence.NORMAL)
    nudge_seed: Mapped[int] = mapped_column(Integer, default=0)
    quiet_start: Mapped[time] = mapped_column(Time, default=time(21, 0))
    quiet_end: Mapped[time] = mapped_column(Time, default=time(8, 0))
    # Weekday numbers (Monday = 0) the user plans to rest; they never break a streak.
    rest_weekdays: Mapped[list[int]] = mapped_column(JSON, default=list)
    weekly_summary_weekday: Mapped[int] = mapped_column(SmallInteger, default=6)
    weekly_summary_time: Mapped[time] = mapped_column(Time, default=time(19, 0))
    # The safety state (bot.domain.safety.SafetyState): raised by red flags and pain
    # escalation, cleared only when the user says a clinician has seen them.
    safety_level: Mapped[str] = mapped_column(String(12), default=SafetyLevel.NONE)
    safety_since: Mapped[datetime | None]
    safety_resolved_at: Mapped[datetime | None]
    safety_seen_at: Mapped[datetime | None]  # "a clinician has seen me", hold not yet cleared
    safety_followups: Mapped[int] = mapped_column(SmallInteger, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    profile: Mapped[RehabProfile | None] = relationship(
        back_populates="user", uselist=False, cascade="all, delete-orphan", passive_deletes=True
    )
    exercises: Mapped[list[Exercise]] = relationship(
        back_populates="user",
        order_by="Exercise.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class RehabProfile(Base):
    __tablename__ = "rehab_profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    # it_band | knee | hamstring | groin | hip | achilles_calf | foot_shin | other
    injury_area: Mapped[str] = mapped_column(String(32))
    injury_other: Mapped[str | None] = mapped_column(String(80))
    stopped_running_on: Mapped[date]
    pt_sessions_per_week: Mapped[int] = mapped_column(SmallInteger, default=0)
    pt_weekdays: Mapped[list[int]] = mapped_column(JSON, default=list)
    pt_time: Mapped[time | None] = mapped_column(Time)
    # The phase: False = rehab, True = returning to running (set when the user confirms
    # their clinician cleared them; see bot.services.return_to_run).
    returning_to_run: Mapped[bool] = mapped_column(Boolean, default=False)
    run_cleared_on: Mapped[date | None] = mapped_column(Date)
    # Where the user is on the walk-run ladder: stage (0-based) and good sessions there.
    run_stage: Mapped[int] = mapped_column(SmallInteger, default=0)
    run_good_sessions: Mapped[int] = mapped_column(SmallInteger, default=0)
    # The stages the user's PT gave them, instead of the template (a list of
    # {run_minutes, walk_minutes, repeats, sessions}); None: the template ladder.
    run_plan: Mapped[list[dict[str, int]] | None] = mapped_column(JSON)

    user: Mapped[User] = relationship(back_populates="profile")


class RunLog(Base):
    """One return-to-running session per user and local day, with the pain model's inputs
    (pain during, right after, the next morning) and what the ladder decided."""

    __tablename__ = "run_logs"
    __table_args__ = (
        UniqueConstraint("user_id", "local_date"),
        one_of("status", RunStatus),
        one_of("morning_response", MorningResponse),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = _user_fk()
    local_date: Mapped[date] = mapped_column(Date)
    stage: Mapped[int] = mapped_column(SmallInteger)  # 0-based, the stage that was run
    status: Mapped[str] = mapped_column(String(12))
    pain_during: Mapped[int | None] = mapped_column(SmallInteger)
    pain_after: Mapped[int | None] = mapped_column(SmallInteger)
    morning_response: Mapped[str | None] = mapped_column(String(8))
    decision: Mapped[str | None] = mapped_column(String(12))  # bot.domain.return_to_run.Move
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Exercise(Base):
    __tablename__ = "exercises"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = _user_fk()
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    name: Mapped[str] = mapped_column(String(40))
    sets: Mapped[int | None] = mapped_column(SmallInteger)
    reps: Mapped[int | None] = mapped_column(SmallInteger)
    seconds: Mapped[int | None] = mapped_column(SmallInteger)
    per_side: Mapped[bool] = mapped_column(Boolean, default=False)
    template_id: Mapped[str | None] = mapped_column(String(48))
    created_at: Mapped[datetime]

    user: Mapped[User] = relationship(back_populates="exercises")


class CheckIn(Base):
    """One row per user and local day: a second check-in that day updates this row."""

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("user_id", "local_date"),
        one_of("status", CheckInStatus),
        one_of("morning_response", MorningResponse),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = _user_fk()
    local_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    exercises_done: Mapped[list[str]] = mapped_column(JSON, default=list)
    pain: Mapped[int | None] = mapped_column(SmallInteger)
    note: Mapped[str | None] = mapped_column(Text)
    skip_reason: Mapped[str | None] = mapped_column(String(16))
    # The next-morning answer about this day's exercises.
    morning_response: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Pause(Base):
    """A period without reminders; its days never break a streak."""

    __tablename__ = "pauses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = _user_fk()
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)  # inclusive; None while open-ended


class ScheduledMessage(Base):
    """Something to send because time passed: the dispatcher's unit of work.

    ``(user_id, kind, local_date)`` is unique, so the same day's check-in can never be
    scheduled (and so never sent) twice, whatever restarts or instances do.
    """

    __tablename__ = "scheduled_messages"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "local_date"),
        Index("ix_scheduled_messages_status_due_at", "status", "due_at"),
        one_of("kind", MessageKind),
        one_of("status", MessageStatus),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    user_id: Mapped[int] = _user_fk()
    kind: Mapped[str] = mapped_column(String(16))
    local_date: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12), default=MessageStatus.PENDING)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]


class NudgeLog(Base):
    """Which nudge each user received, so none repeats before all suitable ones were used."""

    __tablename__ = "nudge_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = _user_fk()
    nudge_id: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(24))
    sent_at: Mapped[datetime]


class RedFlagReport(Base):
    __tablename__ = "red_flags"
    __table_args__ = (
        CheckConstraint(
            "level IN (" + ", ".join(f"'{v}'" for v in RED_FLAG_LEVELS) + ")", name="level"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = _user_fk()
    flag: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class FaqQuestion(Base):
    """A question a user asked: kept for content authors, erased with the user."""

    __tablename__ = "faq_questions"
    __table_args__ = (one_of("decision", FaqDecision),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = _user_fk()
    text: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(String(12))
    entry_id: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(default=0.0)
    helpful: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime]


class PtSession(Base):
    """A physical therapy session the user attended, with what the therapist changed."""

    __tablename__ = "pt_sessions"
    __table_args__ = (UniqueConstraint("user_id", "session_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = _user_fk()
    session_date: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class Dialog(Base):
    """Where a user is in a multi-step conversation; read from here on every update so that
    a restart, or another instance, carries on exactly where the user was."""

    __tablename__ = "dialogs"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    flow: Mapped[str] = mapped_column(String(24))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]


class ButtonPress(Base):
    """A press that took effect: one per user, message and button. Two quick presses of the
    same button on the same message (or one on each of two instances) give one effect and one
    answer, whatever their timestamps; kept as long as processed update ids."""

    __tablename__ = "button_presses"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    data: Mapped[str] = mapped_column(String(64), primary_key=True)
    pressed_at: Mapped[datetime] = mapped_column(index=True)


class ProcessedUpdate(Base):
    """Update ids taken for handling: Telegram may deliver an update twice (webhook retries,
    polling after a restart), and only one delivery may act on it.

    ``processed_at`` is when handling started (or was last taken over); ``finished_at`` stays
    empty until handling returns, so a delivery whose process died half-way can be handled
    again when Telegram redelivers it, instead of being lost.
    """

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime | None]
