"""The composition root: builds the PTB Application with its services, handlers and tick.

Everything that talks to the outside world (the Telegram transport, the clock, the database)
is passed in here, so tests build the very same application with fakes.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application, ApplicationBuilder, Defaults
from telegram.request import BaseRequest

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import pending_revisions, upgrade
from bot.send_budget import PriorityRateLimiter, SendBudget
from bot.services.container import Services
from bot.update_order import ChatOrderedUpdateProcessor

log = logging.getLogger(__name__)

PTBApp = Application[Any, Any, Any, Any, Any, Any]


class MigrationsPending(RuntimeError):
    pass


def _handler_modules() -> list[Any]:
    # Imported here so that `python -m bot --help` stays fast and import cycles stay impossible.
    from handlers import (
        checkin,
        data_rights,
        errors,
        exercises,
        faq,
        help,
        membership,
        middleware,
        morning,
        onboarding,
        pause,
        private_only,
        progress,
        pt_session,
        return_to_run,
        router,
        settings,
        today,
    )

    return [
        middleware,
        private_only,
        errors,
        help,
        checkin,
        today,
        morning,
        faq,
        progress,
        router,
        onboarding,
        settings,
        exercises,
        pause,
        data_rights,
        membership,
        pt_session,
        return_to_run,
    ]


def build_rate_limiter(settings: Settings) -> PriorityRateLimiter:
    """A bucket of ``send_burst`` messages refilled at ``max_messages_per_second``, replies
    first (``bot/send_budget.py``).

    A small bucket bounds any one-second window to ``rate + burst`` messages per instance
    (docs/deploy.md derives the per-instance share); a large one would let an idle instance
    send a whole second's budget at once and then its steady rate.
    """
    rate = settings.telegram.max_messages_per_second
    burst = max(1.0, min(settings.telegram.send_burst, rate))
    return PriorityRateLimiter(SendBudget(rate, burst), max_retries=2)


def build_application(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    clock: Clock | None = None,
    engine: AsyncEngine | None = None,
    run_ticks: bool = True,
) -> PTBApp:
    engine = engine or create_engine(settings.database.url, limits=settings.database)
    services = Services(
        settings=settings,
        clock=clock or SystemClock(),
        engine=engine,
        sessions=create_session_factory(engine),
    )
    from handlers.middleware import ExactlyOnceApplication

    builder = (
        ApplicationBuilder()
        .application_class(ExactlyOnceApplication)
        .token(settings.token.get_secret_value() or "0:offline")
        .defaults(Defaults())
        .concurrent_updates(
            ChatOrderedUpdateProcessor(
                settings.telegram.max_concurrent_updates,
                settings.telegram.max_pending_updates,
            )
        )
    )
    if settings.telegram.base_url:
        base = settings.telegram.base_url.rstrip("/")
        builder = builder.base_url(base).base_file_url(base.removesuffix("/bot") + "/file/bot")
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    if settings.telegram.rate_limit:
        # PTB types the builder's rate limiter too narrowly for a limiter's own generic.
        builder = builder.rate_limiter(build_rate_limiter(settings))  # type: ignore[arg-type]
    builder = builder.post_init(_post_init).post_shutdown(_post_shutdown)
    app = builder.build()
    app.bot_data["services"] = services
    app.bot_data["run_ticks"] = run_ticks
    for module in _handler_modules():
        module.register(app)
    from handlers.router import register_fallbacks

    register_fallbacks(app)
    from bot.outage_retry import wrap_handlers

    wrap_handlers(app, services)
    return app


async def prepare_database(services: Services) -> None:
    """Apply pending migrations, or refuse to start if the operator asked us not to."""
    if services.settings.database.migrate_on_start:
        await upgrade(services.engine)
        return
    pending = await pending_revisions(services.engine)
    if pending:
        raise MigrationsPending(
            f"{len(pending)} database migration(s) pending; run `python -m bot migrate` first"
        )


async def start_services(app: PTBApp) -> None:
    """What must happen before the first update: a current schema, the FAQ model's files
    (a missing model stops the start, loudly, instead of failing the first question) and the
    command menu."""
    from bot.faq_embeddings import check_model
    from handlers.help import bot_commands

    check_model()
    services: Services = app.bot_data["services"]
    await prepare_database(services)
    await app.bot.set_my_commands(bot_commands())


async def _post_init(app: PTBApp) -> None:
    services: Services = app.bot_data["services"]
    await start_services(app)
    if app.bot_data.get("run_ticks") and app.job_queue is not None:
        from scheduler.dispatcher import register_tick
        from scheduler.retention import register_retention

        register_tick(app)
        register_retention(app)
    if services.settings.faq.warm_up:
        # In the background: updates are handled meanwhile, and the first question finds the
        # model loaded (a question asked in the first second waits for the same build).
        # (Application.create_task would warn: the application is not running yet here.)
        app.bot_data["faq_warm_up"] = asyncio.create_task(services.warm_faq(), name="faq-warm-up")
    from bot.health import start_health

    await start_health(app)
    # The database URL prints with its password masked (bot.config.DatabaseUrl).
    log.info(
        "PT Coach started as @%s (%s) on %s",
        app.bot.username,
        services.instance_id,
        services.settings.database.url,
    )


async def _post_shutdown(app: PTBApp) -> None:
    services: Services = app.bot_data["services"]
    warm_up: asyncio.Task[None] | None = app.bot_data.pop("faq_warm_up", None)
    if warm_up is not None:
        await warm_up  # a thread cannot be cancelled: let it finish (under a second)
    from bot.health import stop_health

    await stop_health(app)
    await services.engine.dispose()
