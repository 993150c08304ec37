"""Every page handler answers HTML: a handler typed `-> Any` would send its error pages
(a Template with status 400/429) as application/json, which browsers show as source."""

from __future__ import annotations

import pytest
from litestar.enums import MediaType
from litestar.routes import HTTPRoute

from app.settings import Settings
from app.web.asgi import create_app

JSON_PREFIXES = ("/api/", "/healthz", "/static/")
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_no_page_handler_defaults_to_json(settings: Settings) -> None:
    app = create_app(settings)
    json_pages = [
        f"{sorted(handler.http_methods)} {route.path}"
        for route in app.routes
        if isinstance(route, HTTPRoute) and not route.path.startswith(JSON_PREFIXES)
        for handler in route.route_handlers
        if handler.media_type in (MediaType.JSON, MediaType.JSON.value)
    ]
    assert json_pages == []
