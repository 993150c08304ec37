"""The "Paths" action: pick the first branch whose conditions hold and run its steps.

Paths are terminal, as in Zapier: a paths step is the last step of its list, and the
chosen branch's steps are spliced into the run right after it (so they are numbered
on from it: with paths as step N, a branch's first step is `steps[N+1]`). Unlike
Zapier, only the first matching branch runs (an if / else-if / else chain).
Output (`steps[i].path`): `branch` (name, or null when none matched), `index` (0-based,
null for the fallback), `fallback` (true/false), `steps` (how many will run), `summary`.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.integrations.base import ActionContext, ActionResult, ActionType
from app.integrations.filter import condition_problems
from app.integrations.step_results import failed, finished
from app.workflows.conditions import Condition, ConditionProblem, Match, check_conditions
from app.workflows.definition import StepDefinition, describe_paths_placement, plan_from_steps
from app.workflows.engine import FlowChange
from app.workflows.templating import TemplateProblem

MAX_BRANCHES = 5
MAX_BRANCH_STEPS = 25

HELP = """\
Splits the workflow into up to five paths, each with its own conditions and its own \
steps, for example "if the amount is over 1000, post to the #big-deals channel; otherwise \
send an e-mail". Paths are checked in order and the first one whose conditions hold runs; \
add a fallback path to run when none of them match, otherwise the run stops as "filtered".

A paths step is always the last step of the workflow: put everything that should happen \
next inside each path. Inside a path, earlier steps' results keep their numbers, and the \
path's own steps continue the count after the paths step."""


def _paths_come_last(steps: list[StepDefinition]) -> list[StepDefinition]:
    problem = describe_paths_placement(steps)
    if problem is not None:
        raise ValueError(problem)
    return steps


BranchSteps = Annotated[list[StepDefinition], AfterValidator(_paths_come_last)]


def _steps_field(description: str) -> Any:
    return Field(
        default_factory=list, max_length=MAX_BRANCH_STEPS, title="Steps", description=description
    )


class PathBranch(BaseModel):
    """One path: its name, its conditions and the steps it runs."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, title="Path name")
    match: Match = Field(default="all", title="Run this path when")
    conditions: list[Condition] = Field(min_length=1, max_length=20, title="Conditions")
    steps: BranchSteps = _steps_field("The steps to run when this path is chosen.")


class FallbackBranch(BaseModel):
    """The path taken when no other path matches."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="Otherwise", min_length=1, max_length=100, title="Path name")
    steps: BranchSteps = _steps_field("The steps to run when no other path matches.")


class PathsConfig(BaseModel):
    """What the user fills in for a paths step."""

    model_config = ConfigDict(extra="forbid")

    branches: list[PathBranch] = Field(
        min_length=1, max_length=MAX_BRANCHES, title="Paths", description="Checked in order."
    )
    fallback: FallbackBranch | None = Field(
        default=None, title="Fallback path", description="Runs when no other path matches."
    )


class PathsAction(ActionType[PathsConfig]):
    """Built-in action: branch into one of several step lists."""

    type_name = "paths"
    title = "Paths (if / otherwise)"
    help = HELP
    config_model = PathsConfig

    def validate_templates(self, config: PathsConfig) -> dict[str, str]:
        problems: dict[str, str] = {}
        for index, branch in enumerate(config.branches):
            problems.update(condition_problems(branch.conditions, f"branches.{index}.conditions"))
        return problems

    def nested_steps(self, config: PathsConfig) -> list[tuple[str, StepDefinition]]:
        nested = [
            (f"branches.{b}.steps.{s}", step)
            for b, branch in enumerate(config.branches)
            for s, step in enumerate(branch.steps)
        ]
        if config.fallback is not None:
            nested += [
                (f"fallback.steps.{s}", step) for s, step in enumerate(config.fallback.steps)
            ]
        return nested

    async def execute(self, config: PathsConfig, ctx: ActionContext) -> ActionResult:
        started = time.monotonic()
        warnings: list[str] = []
        for index, branch in enumerate(config.branches):
            try:
                verdict = check_conditions(branch.conditions, branch.match, ctx.template_context)
            except (TemplateProblem, ConditionProblem) as exc:
                return failed(f'Path "{branch.name}": {exc.message}', started, warnings)
            warnings.extend(verdict.warnings)
            if verdict.passed:
                return _chosen(branch.name, index, branch.steps, started, warnings)
        if config.fallback is not None:
            return _chosen(config.fallback.name, None, config.fallback.steps, started, warnings)
        summary = "No path matched and there is no fallback path, so the run stopped here."
        output = {
            "path": {
                "branch": None,
                "index": None,
                "fallback": False,
                "steps": 0,
                "summary": summary,
            }
        }
        return finished("filtered", output, started, warnings)


def _chosen(
    name: str,
    index: int | None,
    steps: list[StepDefinition],
    started: float,
    warnings: list[str],
) -> ActionResult:
    plan = plan_from_steps(steps)
    output = {
        "path": {
            "branch": name,
            "index": index,
            "fallback": index is None,
            "steps": len(plan),
            "summary": f'Took the path "{name}" ({len(plan)} step(s))',
        }
    }
    flow = FlowChange(insert_steps=tuple(plan))
    return finished("succeeded", output, started, warnings, flow)
