"""The "Format data" action: reshape one value (text, number, date, JSON) for later steps.

Output: `steps[i].value`, the formatted value (text, an exact number, a list for a
split without an item, or any JSON value for JSON operations).
"""

from __future__ import annotations

import time

from pydantic import Field

from app.integrations.base import ActionContext, ActionResult, ActionType
from app.integrations.step_results import failed, finished
from app.workflows.formatting import FormatProblem, FormatSpec, apply_format
from app.workflows.templating import TemplateProblem, check_template, render_value

HELP = """\
Changes one value so the next steps can use it in the shape they need, and makes the \
result available as {{ steps[N].value }} (N is this step's position, counting from 0).

Text: upper/lower/title case, trim spaces, replace, split on a separator, shorten to a \
length, use a default when empty, URL-encode. Numbers: read "1,234.50" as a number, round, \
write with thousands separators, add/subtract/multiply/divide. Dates: read a date in any \
common format, convert it to another time zone, write it in your own format \
(strftime codes like %d %B %Y), add or subtract minutes, days or months. JSON: turn JSON \
text into data, or pick one value out of it with a path like data.items[0].id."""


class FormatterConfig(FormatSpec):
    """What the user fills in for a formatter step: the value, the operation and options."""

    input: str = Field(
        max_length=64 * 1024,
        title="Value",
        description="The value to format, usually a field like {{ trigger.body.email }}.",
    )
    operand: str | None = Field(
        default=None,
        title="Number to use",
        description="For calculations: a number or a field like {{ trigger.body.tax }}.",
    )


class FormatterAction(ActionType[FormatterConfig]):
    """Built-in action: format one value."""

    type_name = "formatter"
    title = "Format data"
    help = HELP
    config_model = FormatterConfig

    def validate_templates(self, config: FormatterConfig) -> dict[str, str]:
        problems: dict[str, str] = {}
        for name in ("input", "operand"):
            source = getattr(config, name)
            problem = check_template(source) if source else None
            if problem is not None:
                problems[name] = problem
        return problems

    async def execute(self, config: FormatterConfig, ctx: ActionContext) -> ActionResult:
        started = time.monotonic()
        try:
            value = render_value(config.input, ctx.template_context, on_missing=ctx.on_missing)
            operand = render_value(config.operand or "", ctx.template_context, on_missing="warn")
            result = apply_format(config, value.value, operand.value)
        except (TemplateProblem, FormatProblem) as exc:
            return failed(f"{config.operation}: {exc.message}", started)
        return finished("succeeded", {"value": result}, started, value.warnings + operand.warnings)
