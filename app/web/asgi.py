"""`create_app(settings)`: the one place where Hookline's web process is wired together.

No import-time side effects: engine, broker, templates and (in the embedded default)
the in-process Dramatiq worker and sweeper are created here, for these settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import dramatiq
from litestar import Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import RedocRenderPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from app.auth.sessions import SESSION_MAX_AGE
from app.settings import Settings
from app.store.db import create_engine, create_session_factory
from app.store.group_commit import GroupCommitter
from app.web.controllers.account import AccountController
from app.web.controllers.api_history import HistoryApiController
from app.web.controllers.api_workflows import WorkflowApiController
from app.web.controllers.auth import AuthController
from app.web.controllers.bulk_replays import BulkReplayApiController, BulkReplayPagesController
from app.web.controllers.event_data import EventDataApiController, EventDataPagesController
from app.web.controllers.health import health_routes
from app.web.controllers.help import HelpController
from app.web.controllers.hooks import receive_hook
from app.web.controllers.replays import ReplayApiController, ReplayPagesController
from app.web.controllers.retry_settings import RetrySettingsController
from app.web.controllers.runs import RunPagesController
from app.web.controllers.step_tools import StepToolsController
from app.web.controllers.workflows import WorkflowPagesController
from app.web.deps import (
    provide_api_user,
    provide_dispatcher,
    provide_page_user,
    provide_settings,
    provide_transaction,
)
from app.web.errors import EXCEPTION_HANDLERS
from app.web.hook_front import HookFrontApp
from app.web.security_headers import add_security_headers
from app.web.templating import configure_page_environment
from app.worker.alerts import alert_until
from app.worker.broker import Dispatcher, build_broker
from app.worker.clock import prune_until
from app.worker.embedded import start_in_process_worker
from app.worker.schedules import schedule_until
from app.worker.supervisor import WorkerProcess
from app.worker.sweeper import sweep_until

ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger("hookline.web")


def _derived_key(settings: Settings, purpose: str) -> bytes:
    return hashlib.sha256(f"{purpose}:{settings.app.secret_key}".encode()).digest()


def create_app(
    settings: Settings, *, embedded_worker: bool = False, worker_process: bool = False
) -> Litestar:
    """Build the web app; with `embedded_worker` it also runs the worker and sweeper
    (on this event loop, or with `worker_process` and `stub://` in a child process)."""
    settings.warn_if_insecure()
    broker = build_broker(settings.broker)
    dispatcher = Dispatcher(broker, settings.broker.queue_name)
    secure = settings.app.public_base_url.startswith("https://")

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        engine = create_engine(settings.database)
        app.state.engine = engine
        app.state.sessions = create_session_factory(engine)
        # One writer for SQLite (it has one write lock anyway); a few lanes for PostgreSQL.
        writers = 1 if settings.database.is_sqlite else 4
        app.state.committer = GroupCommitter(app.state.sessions, writers=writers)
        async with _embedded(
            settings, broker, dispatcher, app, enabled=embedded_worker, in_child=worker_process
        ):
            yield
        await asyncio.to_thread(dispatcher.flush)  # accepted runs reach the broker first
        await app.state.committer.close()
        await engine.dispose()

    api = Router(
        path="/",
        route_handlers=[
            WorkflowApiController,
            HistoryApiController,
            ReplayApiController,
            EventDataApiController,
            BulkReplayApiController,
        ],
        dependencies={"user": Provide(provide_api_user)},
    )
    pages = Router(
        path="/",
        route_handlers=[
            WorkflowPagesController,
            RunPagesController,
            AccountController,
            HelpController,
            ReplayPagesController,
            RetrySettingsController,
            EventDataPagesController,
            BulkReplayPagesController,
            StepToolsController,
        ],
        dependencies={"user": Provide(provide_page_user)},
    )
    # Litestar, with the hook URLs answered by a lean raw-ASGI front (hook_front.py).
    return HookFrontApp(
        route_handlers=[
            receive_hook,
            api,
            pages,
            AuthController,
            *health_routes,
            create_static_files_router(path="/static", directories=[ROOT / "static"]),
        ],
        dependencies={
            "db": Provide(provide_transaction),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "dispatcher": Provide(provide_dispatcher, sync_to_thread=False),
        },
        state=_initial_state(settings, dispatcher),
        lifespan=[lifespan],
        before_send=[add_security_headers],
        middleware=[
            CookieBackendConfig(
                secret=_derived_key(settings, "session"),
                key="hookline_session",
                httponly=True,
                secure=secure,
                samesite="lax",
                max_age=int(SESSION_MAX_AGE.total_seconds()),
                exclude="^/hooks/",  # the webhook edge has no session (issue 7: lean path)
            ).middleware,
        ],
        csrf_config=CSRFConfig(
            secret=_derived_key(settings, "csrf").hex(),
            cookie_name="hookline_csrf",
            cookie_secure=secure,
            cookie_httponly=True,
            exclude=["^/hooks/", "^/api/"],
        ),
        template_config=TemplateConfig(
            directory=ROOT / "templates",
            engine=JinjaTemplateEngine,
            engine_callback=configure_page_environment,
        ),
        plugins=[HTMXPlugin()],
        openapi_config=OpenAPIConfig(
            title="Hookline API",
            version="1",
            path="/schema",
            description=API_DESCRIPTION,
            # Vendored: the reference must render offline, with no CDN or web fonts.
            render_plugins=[
                RedocRenderPlugin(
                    js_url="/static/vendor/redoc-2.5.1.standalone.js", google_fonts=False, path="/"
                )
            ],
        ),
        exception_handlers=EXCEPTION_HANDLERS,
        request_max_body_size=settings.inbound.max_body_bytes,
        # Litestar's default would replace the root handlers that app/logs.py installed
        # (JSON in production) with its own text format; errors.py logs failures itself.
        logging_config=None,
    )


API_DESCRIPTION = (
    "Authenticate with `Authorization: Bearer <api token>`. Objects of other users answer 404."
)


def _initial_state(settings: Settings, dispatcher: Dispatcher) -> State:
    return State({"settings": settings, "dispatcher": dispatcher})


@contextlib.asynccontextmanager
async def _embedded(
    settings: Settings,
    broker: dramatiq.Broker,
    dispatcher: Dispatcher,
    app: Litestar,
    *,
    enabled: bool,
    in_child: bool = False,
) -> AsyncIterator[None]:
    """Run the worker, the sweeper and history pruning in this process or its child."""
    if not enabled:
        if settings.broker.kind == "stub":
            log.warning("web-only mode with the in-process broker: no worker will run steps")
        yield
        return
    if in_child and settings.broker.kind == "stub":
        # It runs the clock loops too (one of each); its claims and records run on our writer.
        child = WorkerProcess(writer=app.state.committer.sqlite_writer)
        dispatcher.run_locally(child.submit)
        await child.start()
        try:
            yield
        finally:
            await child.stop()
        return
    runtime, worker = start_in_process_worker(
        settings, broker, dispatcher, app.state.sessions, app.state.committer
    )
    stop = asyncio.Event()
    periodic = asyncio.gather(
        sweep_until(
            stop,
            app.state.sessions,
            dispatcher,
            lease=runtime.lease,
            interval=settings.broker.sweep_interval_seconds,
        ),
        prune_until(stop, app.state.sessions, settings),
        schedule_until(stop, app.state.sessions, dispatcher, settings),
        alert_until(stop, app.state.sessions, settings),
    )
    try:
        yield
    finally:
        stop.set()
        await periodic
        await worker.stop()
