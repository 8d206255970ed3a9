from tests.test_nudges_simulation import *  # noqa


async def test_dbg(sqlite_url: str) -> None:
    h, users, sent = await run(sqlite_url, ("in_pain",), 23)
    tele = h.telegram
    for chat in (2001, 2005):
        for m in tele.messages(chat):
            d = day_of(tele.sent_at[m.message_id])
            if (chat == 2001 and d >= 55) or (
                chat == 2005 and 3 <= d <= 8 or chat == 2005 and 18 <= d <= 22
            ):
                print(
                    chat,
                    d,
                    local(tele.sent_at[m.message_id]).strftime("%a %H:%M"),
                    (m.text or "")[:90].replace("\n", " "),
                )
    async with h.services.sessions() as session:
        from bot.db.models import ScheduledMessage

        rows = (
            await session.execute(
                select(ScheduledMessage)
                .where(ScheduledMessage.kind.in_(["nudge", "pt_reminder", "pt_after"]))
                .order_by(ScheduledMessage.due_at)
            )
        ).scalars()
        for r in rows:
            if r.last_error or r.status != "sent":
                print(r.user_id, r.kind, r.local_date, r.status, r.last_error, r.payload)
    await h.stop()
    assert 0
