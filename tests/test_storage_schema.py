"""The schema as migrations build it matches the models, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.engine import create_engine, create_session_factory
from bot.db.models import Base, CheckIn, User


async def test_migrations_and_models_agree(db_url: str) -> None:
    engine = create_engine(db_url)

    def _diff(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    await engine.dispose()
    assert diff == []


NOW = datetime(2026, 11, 27, 8, tzinfo=UTC)
SessionFactory = async_sessionmaker[AsyncSession]


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[SessionFactory]:
    """Sessions on the test's fresh, migrated database; the engine is disposed afterwards."""
    engine = create_engine(db_url)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


async def _user(session, telegram_id: int = 42) -> User:
    """Add a bare user row (no profile, no plan) created at ``NOW``, and flush."""
    user = User(
        telegram_id=telegram_id, chat_id=telegram_id, first_name="A", created_at=NOW, updated_at=NOW
    )
    session.add(user)
    await session.flush()
    return user


def _done_checkin(user: User) -> CheckIn:
    """A check-in row of ``user``, done, for the local day of ``NOW`` (not yet added)."""
    return CheckIn(
        user_id=user.id, local_date=NOW.date(), status="done", created_at=NOW, updated_at=NOW
    )


async def test_times_come_back_aware_in_utc_and_naive_ones_are_refused(
    sessions: SessionFactory,
) -> None:
    async with sessions() as session:
        await _user(session)
        await session.commit()
    async with sessions() as session:
        user = (await session.execute(select(User))).scalar_one()
        assert user.created_at == NOW
        assert user.created_at.tzinfo is not None
        user.updated_at = datetime(2026, 11, 27, 9)  # naive
        with pytest.raises(Exception, match="naive"):
            await session.commit()


async def test_one_checkin_per_user_and_local_day(sessions: SessionFactory) -> None:
    async with sessions() as session:
        user = await _user(session)
        for _ in range(2):
            session.add(_done_checkin(user))
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_foreign_keys_cascade_on_delete(sessions: SessionFactory) -> None:
    async with sessions() as session:
        user = await _user(session)
        session.add(_done_checkin(user))
        await session.commit()
        await session.execute(text("DELETE FROM users"))
        await session.commit()
        remaining = (await session.execute(text("SELECT count(*) FROM checkins"))).scalar_one()
    assert remaining == 0
