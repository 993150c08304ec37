"""The "Send a Discord message" action: post content to a channel webhook.

Hookline asks Discord to wait for the message (`?wait=true`), so the answer carries the
created message. Output: `steps[i].response` (`status`, `headers`, `body` with the
message's `id`, `channel_id`, ...).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.integrations.base import ActionContext, ActionResult, ActionType
from app.integrations.request_rendering import FieldProblem, TemplateRenderer
from app.integrations.step_results import failed
from app.integrations.webhook_post import check_webhook_url, post_json
from app.workflows.templating import check_template

MAX_CONTENT = 2000  # Discord refuses longer messages

HELP = """\
Posts a message to a Discord channel through a webhook. In Discord, open the channel's \
settings, choose Integrations, then Webhooks, create one and copy its URL \
(https://discord.com/api/webhooks/...) here; keep it private, as anyone with it can post.

Write the message in Content, using {{ trigger.body.field }} to insert data; Discord \
markdown such as **bold** works. Messages can be up to 2000 characters. Username \
optionally changes the name the message is posted under."""


class DiscordMessageConfig(BaseModel):
    """What the user fills in for a Discord message step."""

    model_config = ConfigDict(extra="forbid")

    webhook_url: str = Field(
        min_length=1,
        max_length=2000,
        title="Webhook URL",
        description="The channel webhook address from Discord; keep it secret.",
    )
    content: str = Field(
        min_length=1,
        max_length=8000,
        title="Content",
        description="The message (up to 2000 characters once filled in).",
    )
    username: str | None = Field(
        default=None, max_length=80, title="Post as (optional)", description="A display name."
    )

    _webhook_url_is_valid = field_validator("webhook_url")(check_webhook_url)


class DiscordMessageAction(ActionType[DiscordMessageConfig]):
    """Built-in action: post a message to Discord."""

    type_name = "discord_message"
    title = "Send a Discord message"
    help = HELP
    config_model = DiscordMessageConfig

    def validate_templates(self, config: DiscordMessageConfig) -> dict[str, str]:
        problems: dict[str, str] = {}
        for name in ("content", "username"):
            source = getattr(config, name)
            problem = check_template(source) if source else None
            if problem is not None:
                problems[name] = problem
        return problems

    async def execute(self, config: DiscordMessageConfig, ctx: ActionContext) -> ActionResult:
        started = time.monotonic()
        renderer = TemplateRenderer(ctx.template_context, ctx.on_missing)
        try:
            payload = discord_payload(config, renderer)
        except FieldProblem as problem:
            return failed(problem.message, started, renderer.warnings)
        return await post_json(
            ctx,
            service="Discord",
            url=waiting_url(config.webhook_url),
            payload=payload,
            warnings=renderer.warnings,
            started=started,
        )


def discord_payload(config: DiscordMessageConfig, renderer: TemplateRenderer) -> dict[str, Any]:
    """The JSON Discord expects: `content`, plus `username` when given."""
    content = renderer.text("Content", config.content)
    if not content.strip():
        raise FieldProblem("Content: the message came out empty, and Discord refuses that")
    if len(content) > MAX_CONTENT:
        raise FieldProblem(
            f"Content: the message is {len(content)} characters; Discord allows {MAX_CONTENT}"
        )
    payload: dict[str, Any] = {"content": content}
    if config.username:
        payload["username"] = renderer.text("Username", config.username)
    return payload


def waiting_url(url: str) -> str:
    """The webhook URL with `wait=true`, so Discord answers with the created message."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if not any(name == "wait" for name, _ in query):
        query.append(("wait", "true"))
    return urlunsplit(parts._replace(query=urlencode(query)))
