"""The `hookline` command: serve, web, worker, migrate, users create, secrets rotate.

`hookline serve` is the embedded default: migrations, web and a worker on SQLite from
one command (the worker in a child process it supervises, or in-process). Production
runs `web`, `worker` and `release` (= migrate) as separate processes configured by the
environment.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from app.logs import configure_logging
from app.settings import Settings, SettingsError
from app.settings.problems import plain_problems

log = logging.getLogger("hookline.cli")
cli = typer.Typer(help="Hookline: webhook-triggered workflows.", no_args_is_help=True)
users_cli = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
cli.add_typer(users_cli, name="users")
secrets_cli = typer.Typer(help="Manage the keys that encrypt stored secrets.", no_args_is_help=True)
cli.add_typer(secrets_cli, name="secrets")

PortOption = Annotated[
    int | None, typer.Option("--port", help="Port to listen on (default: $PORT or 8000).")
]
HostOption = Annotated[str | None, typer.Option("--host", help="Interface (default: $HOST).")]


def load_settings() -> Settings:
    """Settings from the environment, or a readable message and exit code 2."""
    try:
        return Settings()
    except ValidationError as exc:
        for problem in plain_problems(exc):
            typer.echo(f"Configuration problem: {problem}", err=True)
        raise typer.Exit(2) from exc
    except SettingsError as exc:
        typer.echo(f"Configuration problem: {exc}", err=True)
        raise typer.Exit(2) from exc


def _migrate(settings: Settings) -> None:
    """Apply migrations, or say in one line that the database cannot be reached (exit 1)."""
    import asyncpg  # type: ignore[import-untyped]
    from sqlalchemy.exc import SQLAlchemyError

    from app.store.migrate import upgrade_to_head

    try:
        upgrade_to_head(settings.database.url)
    except (OSError, SQLAlchemyError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        where = make_url(settings.database.url).render_as_string(hide_password=True)
        reason = " ".join(str(exc).split()) or type(exc).__name__
        typer.echo(
            f"Cannot use the database at {where}: {reason[:300]}. Check DATABASE_URL and "
            "that the database server is running and reachable.",
            err=True,
        )
        raise typer.Exit(1) from None


def _configure_logging(settings: Settings) -> None:
    configure_logging(level=settings.app.log_level, log_format=settings.app.effective_log_format)


def _serve_http(
    settings: Settings,
    *,
    embedded_worker: bool,
    host: str | None,
    port: int | None,
    worker_process: bool = False,
) -> None:
    import uvicorn

    from app.web.asgi import create_app

    app = create_app(settings, embedded_worker=embedded_worker, worker_process=worker_process)
    uvicorn.run(
        app,
        host=host or settings.app.host,
        port=port or settings.app.port,
        log_level=settings.app.log_level.lower(),
        log_config=None,  # uvicorn's lines go through our handler (JSON or text)
        proxy_headers=True,
        forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
    )


def _listen_on(port: int | None, host: str | None) -> None:
    """--port/--host win over $PORT/$HOST, and so also shape the hook URLs printed."""
    if port is not None:
        os.environ["PORT"] = str(port)
    if host is not None:
        os.environ["HOST"] = host


@cli.command()
def serve(port: PortOption = None, host: HostOption = None) -> None:
    """Run everything in one process: migrations, web, worker and sweeper (embedded default)."""
    _listen_on(port, host)
    settings = load_settings()
    _configure_logging(settings)
    _migrate(settings)
    log.info(
        "Hookline is starting on %s (database: %s)",
        settings.app.public_base_url,
        make_url(settings.database.url).render_as_string(hide_password=True),
    )
    # EMBEDDED_WORKER=process: steps and the clock loops in a child process (second core).
    in_child = settings.broker.embedded_worker == "process"
    _serve_http(settings, embedded_worker=True, host=host, port=port, worker_process=in_child)


@cli.command()
def web(port: PortOption = None, host: HostOption = None) -> None:
    """Run only the web process (pair it with `hookline worker` and a shared broker)."""
    _listen_on(port, host)
    settings = load_settings()
    _configure_logging(settings)
    _serve_http(settings, embedded_worker=False, host=host, port=port)


@cli.command()
def worker(
    threads: Annotated[int | None, typer.Option(help="Worker threads (default 8).")] = None,
) -> None:
    """Run a Dramatiq worker (and the sweeper) for a Redis or RabbitMQ broker."""
    settings = load_settings()
    _configure_logging(settings)
    if settings.broker.kind == "stub":
        typer.echo(
            "BROKER_URL is not set: a separate worker needs a shared broker (redis:// or "
            "amqp://). For a single process, run `hookline serve`.",
            err=True,
        )
        raise typer.Exit(2)
    from app.worker.process import run_worker_process

    run_worker_process(settings, threads=threads or settings.broker.worker_threads)


@cli.command()
def clock() -> None:
    """Run periodic work: re-enqueue stalled runs (sweeper) and prune old history."""
    settings = load_settings()
    _configure_logging(settings)
    from app.worker.clock import run_clock

    asyncio.run(run_clock(settings))


@cli.command()
def migrate() -> None:
    """Apply database migrations (the Procfile's release phase)."""
    settings = load_settings()
    _configure_logging(settings)
    _migrate(settings)
    typer.echo("Database is up to date.")


@users_cli.command("create")
def create_user_command(
    email: str,
    api_token: Annotated[
        bool, typer.Option("--api-token", help="Also print a new API token.")
    ] = False,
    password: Annotated[
        str | None, typer.Option(help="Password for signing in (else: set one on sign-up).")
    ] = None,
) -> None:
    """Create a user; with --api-token, print a new API token (shown once)."""
    settings = load_settings()
    from app.auth.user_admin import create_user_with_token

    _migrate(settings)
    try:
        token = asyncio.run(
            create_user_with_token(settings, email=email, password=password, with_token=api_token)
        )
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Created user {email} in {_database_name(settings)}.")  # the server's must match
    if token:
        typer.echo(f"API token (shown once, keep it safe): {token}")


def _database_name(settings: Settings) -> str:
    """The database as an operator can check it: a SQLite file's absolute path."""
    url = make_url(settings.database.url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return str(Path(str(url.database)).resolve())
    return url.render_as_string(hide_password=True)


@secrets_cli.command("rotate")
def rotate_secrets_command(
    batch_size: Annotated[int, typer.Option(min=1, help="Rows per transaction.")] = 200,
) -> None:
    """Re-encrypt every stored secret with the first key of ENCRYPTION_KEYS."""
    settings = load_settings()
    if not settings.secrets.encryption_keys:
        typer.echo(
            "ENCRYPTION_KEYS is not set. Put a new key in ENCRYPTION_KEYS (see README), "
            "then run this again: secrets saved until now still open meanwhile.",
            err=True,
        )
        raise typer.Exit(2)
    from app.store.key_rotation import rotate_until_settled

    passes = asyncio.run(rotate_until_settled(settings, batch_size=batch_size))
    for number, counts in enumerate(passes, start=1):
        typer.echo(f"Pass {number}:")
        for count in counts:
            typer.echo(
                f"  {count.table}: {count.rows_with_secrets} rows with secrets, "
                f"{count.rotated} values re-encrypted, {count.already_current} already "
                f"current, {count.unreadable} unreadable"
            )
    unreadable = [count for count in passes[-1] if count.unreadable]
    for count in unreadable:
        ids = ", ".join(map(str, count.unreadable_ids))
        typer.echo(
            f"{count.unreadable} values in {count.table} (ids {ids}) open with no key in "
            "ENCRYPTION_KEYS. Add the key they were saved with (after the first) and run "
            "this again; until then those secrets cannot be used.",
            err=True,
        )
    if unreadable:
        raise typer.Exit(1)
    if any(count.rotated for count in passes[-1]):
        typer.echo("Secrets were still being saved with an old key: run this again.")
        raise typer.Exit(1)
    typer.echo("Every stored secret now uses the first key; the other keys can be removed.")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
