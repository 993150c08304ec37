"""The "Send a Slack message" action: post text (and optional blocks) to an incoming webhook.

Output: `steps[i].response` (`status`, `headers`, `body`; Slack answers the text "ok").
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.integrations.base import ActionContext, ActionResult, ActionType
from app.integrations.request_rendering import FieldProblem, TemplateRenderer
from app.integrations.step_results import failed
from app.integrations.webhook_post import check_webhook_url, post_json
from app.workflows.exact_json import InvalidJson, load_exact_json
from app.workflows.templating import check_template

MAX_TEXT = 40_000

HELP = """\
Posts a message to a Slack channel through an incoming webhook. In Slack, add the \
"Incoming Webhooks" app to your workspace, pick a channel and paste the webhook URL it \
gives you (https://hooks.slack.com/services/...) here; keep it private, as anyone with it \
can post to the channel.

Write the message in Text, using {{ trigger.body.field }} to insert data, for example \
"New order of {{ trigger.body.data.object.amount }} cents". Slack formatting such as \
*bold* and <https://example.com|links> works. For richer layouts paste Block Kit JSON in \
Blocks (the Text is then the notification preview)."""


class SlackMessageConfig(BaseModel):
    """What the user fills in for a Slack message step."""

    model_config = ConfigDict(extra="forbid")

    webhook_url: str = Field(
        min_length=1,
        max_length=2000,
        title="Webhook URL",
        description="The incoming-webhook address Slack gave you; keep it secret.",
    )
    text: str = Field(
        default="",
        max_length=MAX_TEXT,
        title="Text",
        description="The message; use {{ }} to insert data.",
    )
    blocks: str | None = Field(
        default=None,
        max_length=64 * 1024,
        title="Blocks (optional)",
        description="Block Kit JSON: a list of blocks, or an object with a blocks list.",
    )

    _webhook_url_is_valid = field_validator("webhook_url")(check_webhook_url)

    @model_validator(mode="after")
    def _says_something(self) -> SlackMessageConfig:
        if not self.text.strip() and not (self.blocks or "").strip():
            raise ValueError("Write the message text (or blocks).")
        return self


class SlackMessageAction(ActionType[SlackMessageConfig]):
    """Built-in action: post a message to Slack."""

    type_name = "slack_message"
    title = "Send a Slack message"
    help = HELP
    config_model = SlackMessageConfig

    def validate_templates(self, config: SlackMessageConfig) -> dict[str, str]:
        problems: dict[str, str] = {}
        for name in ("text", "blocks"):
            source = getattr(config, name)
            problem = check_template(source) if source else None
            if problem is not None:
                problems[name] = problem
        return problems

    async def execute(self, config: SlackMessageConfig, ctx: ActionContext) -> ActionResult:
        started = time.monotonic()
        renderer = TemplateRenderer(ctx.template_context, ctx.on_missing)
        try:
            payload = slack_payload(config, renderer)
        except FieldProblem as problem:
            return failed(problem.message, started, renderer.warnings)
        return await post_json(
            ctx,
            service="Slack",
            url=config.webhook_url,
            payload=payload,
            warnings=renderer.warnings,
            started=started,
        )


def slack_payload(config: SlackMessageConfig, renderer: TemplateRenderer) -> dict[str, Any]:
    """The JSON Slack expects: `text`, plus `blocks` when given."""
    payload: dict[str, Any] = {"text": renderer.text("Text", config.text)}
    if config.blocks and config.blocks.strip():
        try:
            blocks = load_exact_json(renderer.json_text("Blocks", config.blocks))
        except InvalidJson as exc:
            raise FieldProblem(f"Blocks: not valid JSON after filling in ({exc.message})") from exc
        if isinstance(blocks, dict):
            blocks = blocks.get("blocks")
        if not isinstance(blocks, list):
            raise FieldProblem("Blocks: expected a list of blocks, like [{...}, {...}]")
        payload["blocks"] = blocks
    return payload
