"""What counts as a database outage: an error worth waiting out rather than apologising for.

A connection that cannot be made or was lost, a pool with no free connection, a statement
cancelled by its timeout, SQLite's "database is locked": all pass by themselves. Integrity
errors, programming errors and bugs do not, and are never retried.
"""

from __future__ import annotations

from sqlalchemy import exc as sa_exc

_OUTAGE_TYPES: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,  # connection refused/lost, "database is locked", cancelled
    sa_exc.TimeoutError,  # QueuePool limit reached: no free connection within pool_timeout
    sa_exc.DisconnectionError,
    TimeoutError,  # connect_timeout / command_timeout (asyncio.TimeoutError)
    ConnectionError,  # OSError subclasses from a socket that went away
)


def is_database_outage(error: BaseException | None) -> bool:
    if error is None:
        return False
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, _OUTAGE_TYPES)
