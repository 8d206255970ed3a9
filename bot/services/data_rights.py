"""The user's rights over their data: a complete copy (/export) and complete erasure (/delete).

The use cases (``export_data``, ``offer_deletion``, ``confirm_deletion``) serve the
``handlers.data_rights`` adapter. Deletion needs a second, explicit tap; the button carries the
time it was offered so an old confirmation scrolled up days later cannot erase anything by
accident.

Both walk ``Base.metadata`` instead of a hand-written list of tables, so a table added later
with a ``user_id`` column is exported and erased without anyone having to remember it.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.db.engine import checkpoint_wal
from bot.db.models import Base, CheckIn, User
from bot.domain.callbacks import ButtonFamily, encode
from bot.domain.parsing import read_delete_request
from bot.domain.wording import button, t
from bot.services.outcome import Document, Outcome, Reply, rows
from bot.services.users import get_user

log = logging.getLogger(__name__)

CONFIRM_SECONDS = 15 * 60

log = logging.getLogger(__name__)

CHECKIN_CSV_COLUMNS = (
    "local_date",
    "status",
    "exercises_done",
    "pain",
    "note",
    "skip_reason",
    "morning_response",
)


def user_tables() -> list[Table]:
    """Every table holding rows about one user, children before parents (safe delete order)."""
    tables = [t for t in Base.metadata.sorted_tables if "user_id" in t.c]
    return list(reversed(tables))


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


async def export_user(session: AsyncSession, user_id: int) -> tuple[bytes, bytes]:
    """(JSON of every row about the user, CSV of their check-ins), both UTF-8."""
    user_table: Table = User.__table__  # type: ignore[assignment]
    account = (
        (await session.execute(select(user_table).where(user_table.c.id == user_id)))
        .mappings()
        .first()
    )
    if account is None:
        raise LookupError("no such user")
    document: dict[str, Any] = {
        "format": "pt-coach-export/1",
        "user": {key: _jsonable(value) for key, value in account.items()},
    }
    for table in sorted(user_tables(), key=lambda t: t.name):
        order = [c for c in table.primary_key.columns]
        rows = (
            await session.execute(select(table).where(table.c.user_id == user_id).order_by(*order))
        ).mappings()
        document[table.name] = [{k: _jsonable(v) for k, v in row.items()} for row in rows]
    json_bytes = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    return json_bytes, await _checkins_csv(session, user_id)


async def _checkins_csv(session: AsyncSession, user_id: int) -> bytes:
    rows = (
        await session.execute(
            select(CheckIn).where(CheckIn.user_id == user_id).order_by(CheckIn.local_date)
        )
    ).scalars()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CHECKIN_CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.local_date.isoformat(),
                row.status,
                "; ".join(row.exercises_done or []),
                "" if row.pain is None else row.pain,
                row.note or "",
                row.skip_reason or "",
                row.morning_response or "",
            ]
        )
    # A byte-order mark so spreadsheet programs read accents and emoji correctly.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


async def delete_user(session: AsyncSession, user_id: int) -> bool:
    """Erase the user and everything referring to them; False if there was nothing to erase.

    The foreign keys cascade, but rows are deleted table by table first so erasure does not
    depend on a database setting (SQLite's foreign_keys pragma) being on. The erasure is
    committed here, and SQLite's write-ahead log is then checkpointed, so the erased text is
    gone from the files on disk too (``secure_delete`` zeroes the freed pages).
    """
    exists = (await session.execute(select(User.id).where(User.id == user_id))).scalar_one_or_none()
    if exists is None:
        return False
    for table in user_tables():
        await session.execute(delete(table).where(table.c.user_id == user_id))
    await session.execute(delete(User).where(User.id == user_id))
    session.expunge_all()
    await session.commit()
    bind = session.bind
    if isinstance(bind, AsyncEngine) and not await checkpoint_wal(bind):
        log.warning("WAL checkpoint after an erasure was incomplete; SQLite will finish it")
    return True


async def export_data(session: AsyncSession, telegram_id: int) -> Outcome:
    """/export: the JSON copy of everything, the check-ins as CSV, and a closing note."""
    user = await get_user(session, telegram_id)
    if user is None:
        return Outcome.say(t("export.nothing"))
    json_bytes, csv_bytes = await export_user(session, user.id)
    log.info("data exported", extra={"user_id": user.id})
    return Outcome(
        (
            Reply(t("export.caption_json"), document=Document("pt-coach-data.json", json_bytes)),
            Reply(t("export.caption_csv"), document=Document("pt-coach-checkins.csv", csv_bytes)),
            Reply(t("export.sent")),
        ),
        changed=False,
    )


async def offer_deletion(session: AsyncSession, telegram_id: int, now: datetime) -> Outcome:
    """/delete: ask for the explicit second tap; the button carries when it was offered."""
    if await get_user(session, telegram_id) is None:
        return Outcome.say(t("delete.nothing"))
    stamp = int(now.timestamp())
    return Outcome.say(
        t("delete.confirm"),
        rows(
            [(button("delete_yes"), encode(ButtonFamily.DATA_RIGHTS, "del", stamp))],
            [(button("delete_no"), encode(ButtonFamily.DATA_RIGHTS, "keep"))],
        ),
    )


async def typed_deletion(
    session: AsyncSession, telegram_id: int, text: str, now: datetime
) -> Outcome | None:
    """Typed "yes, delete everything": erasing is only ever the confirmation's tap, so it is
    offered again with a word on why (None for any other text, or for nobody stored)."""
    if not read_delete_request(text) or await get_user(session, telegram_id) is None:
        return None
    offer = await offer_deletion(session, telegram_id, now)
    first = offer.replies[0]
    return Outcome.say(f"{t('delete.by_button')}\n\n{first.text}", first.buttons)


async def confirm_deletion(
    session: AsyncSession, telegram_id: int, action: str, stamp: str, now: datetime
) -> Outcome:
    """A press on the confirmation: "keep", or "del" with the time it was offered."""
    if action == "keep":
        return Outcome.say(t("delete.kept"), edit=True)
    if action != "del" or not stamp.isdecimal():
        return Outcome.nothing(t("common.stale"))
    if not 0 <= now.timestamp() - int(stamp) <= CONFIRM_SECONDS:
        return Outcome.say(t("delete.expired"), edit=True)
    user = await get_user(session, telegram_id)
    if user is None:
        return Outcome.say(t("delete.nothing"), edit=True)
    user_id = user.id
    await delete_user(session, user_id)
    log.info("user data erased", extra={"user_id": user_id})
    return Outcome.say(t("delete.done"), edit=True)
