"""An answer larger than OUTBOUND_MAX_RESPONSE_BYTES is cut, and the step says so (issue 6)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.integrations.base import ActionContext
from app.integrations.http_request import HttpRequestAction, HttpRequestConfig
from app.integrations.outbound_client import build_outbound_client
from app.integrations.response_summary import byte_size
from tests.integrations.conftest import LOOPBACK_ALLOWED, LocalServer


@pytest.mark.parametrize(
    ("cap", "size", "warned"),
    [
        (1024 * 1024, 1024 * 1024 + 1, "The answer was larger than 1 MiB; only the first 1 MiB"),
        (64 * 1024, 64 * 1024, None),
        (5000, 5001, "The answer was larger than 5000 bytes; only the first 5000 bytes was kept."),
    ],
)
async def test_a_cut_answer_warns_with_the_configured_size(
    local_server: LocalServer, cap: int, size: int, warned: str | None
) -> None:
    policy = replace(LOOPBACK_ALLOWED, max_response_bytes=cap)
    async with build_outbound_client(policy) as client:
        context = ActionContext({"trigger": {}}, client, policy, "warn")
        config = HttpRequestConfig.model_validate(
            {"method": "GET", "url": local_server.url(f"/big?bytes={size}")}
        )
        result = await HttpRequestAction().execute(config, context)
    assert result.outcome == "succeeded", result.error
    cut = [warning for warning in result.warnings if "The answer was larger" in warning]
    if warned is None:
        assert cut == []
    else:
        assert len(cut) == 1 and cut[0].startswith(warned), cut


def test_byte_size_reads_like_the_settings() -> None:
    assert [byte_size(n) for n in (1_048_576, 65_536, 5000, 3 * 1024 * 1024)] == [
        "1 MiB",
        "64 KiB",
        "5000 bytes",
        "3 MiB",
    ]
