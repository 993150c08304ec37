"""Is the message broker reachable? One short-lived connection with tight timeouts.

Used by `/readyz`. The in-process broker (`stub://`) is always reachable. Redis answers
a PING; RabbitMQ must accept an AMQP connection (its handshake proves it is serving).
"""

from __future__ import annotations

import logging

from app.settings import BrokerSettings

log = logging.getLogger("hookline.broker")


def broker_problem(settings: BrokerSettings, *, timeout: float = 2.0) -> str | None:
    """None when the broker answers; otherwise what is down, in plain words. Blocking."""
    if settings.kind == "stub":
        return None
    try:
        if settings.kind == "redis":
            _ping_redis(settings.url, timeout)
        else:
            _connect_rabbitmq(settings.url, timeout)
    except Exception:  # any failure (refused, timeout, auth) means "not reachable"
        log.warning("readiness: the %s broker is unreachable", settings.kind, exc_info=True)
        name = "Redis" if settings.kind == "redis" else "RabbitMQ"
        return f"the message broker ({name}) is unreachable"
    return None


def _ping_redis(url: str, timeout: float) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()


def _connect_rabbitmq(url: str, timeout: float) -> None:
    import pika  # type: ignore[import-untyped]

    parameters = pika.URLParameters(url)
    parameters.connection_attempts = 1
    parameters.socket_timeout = timeout
    parameters.stack_timeout = timeout
    pika.BlockingConnection(parameters).close()
