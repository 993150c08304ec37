"""Editor tools for one step: the field picker (fields of real data) and "test this step".

`GET /workflows/{id}/fields` lists the latest event's fields and earlier steps' last
outputs as a tree of insertable `{{ … }}` expressions; with no event yet it explains how
to send one and `POST /workflows/{id}/sample` keeps a pasted JSON sample instead.
`POST /workflows/{id}/steps/test` runs one step of the (unsaved) editor form for real,
records nothing, and shows what was sent and answered. htmx requests get the fragment,
others a page around it. Other users' workflows answer 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.sessions import user_from_session
from app.settings import Settings
from app.store.db import SessionFactory, transaction
from app.store.samples import (
    event_trigger,
    latest_data_event,
    latest_step_outputs,
    save_sample_event,
)
from app.store.tables import Event, User, Workflow
from app.store.workflows import list_workflow_steps, step_definitions
from app.web.deps import SignInRequired
from app.web.forms import read_workflow_form, to_definition
from app.web.owned import owned_workflow
from app.web.params import ObjectId
from app.web.problem_labels import types_of_forms
from app.web.secrets import SecretBox, editor_secrets
from app.web.step_summaries import step_title
from app.web.step_trial import StepTrial, context_for, plan_position, try_step
from app.workflows.definition import StepDefinition
from app.workflows.exact_json import InvalidJson, load_exact_json
from app.workflows.field_paths import FieldNode, field_tree

MAX_SAMPLE_BYTES = 1024 * 1024
StepIndex = QueryParameter(
    required=False, ge=0, le=1000, description="Show earlier steps' outputs for this step."
)
NO_EVENT_YET = (
    "No event has arrived at this workflow's URL yet, so there is no data to test with. "
    "Send one (or paste a sample in the field picker), then try again."
)


@dataclass
class StepOutputSection:
    """One earlier step in the picker: its tree, or why there is nothing to show yet."""

    title: str
    tree: FieldNode | None


@dataclass
class FieldsPanel:
    """The field picker's context: where the data came from and its trees."""

    workflow: Workflow
    hook_url: str
    event: Event | None
    trigger_trees: list[FieldNode] = field(default_factory=list)
    step_sections: list[StepOutputSection] = field(default_factory=list)
    sample_text: str = ""
    sample_error: str | None = None
    # The editor position the picker was opened for; a pasted sample keeps it.
    step: int | None = None


@dataclass
class TrialPage:
    """The test result's context."""

    workflow: Workflow
    trial: StepTrial | None
    event: Event | None
    message: str | None = None


def _is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


def _trigger_trees(trigger: dict[str, Any]) -> list[FieldNode]:
    about = {key: trigger[key] for key in ("method", "content_type", "received_at", "event_id")}
    trees = [field_tree(trigger["body"], root="trigger.body", label="Body")]
    if trigger["query"]:
        trees.append(field_tree(trigger["query"], root="trigger.query", label="Query string"))
    trees.append(field_tree(trigger["headers"], root="trigger.headers", label="Headers"))
    trees.append(field_tree(about, root="trigger", label="About the request"))
    return trees


async def _fields_panel(
    db: AsyncSession, settings: Settings, workflow: Workflow, before: int | None
) -> FieldsPanel:
    assert workflow.id is not None
    event = await latest_data_event(db, workflow_id=workflow.id)
    panel = FieldsPanel(workflow, settings.hook_url(workflow.hook_token), event, step=before)
    if event is not None:
        panel.trigger_trees = _trigger_trees(event_trigger(event))
    steps = step_definitions(await list_workflow_steps(db, workflow_id=workflow.id))
    count = plan_position(steps, len(steps) if before is None else min(before, len(steps)))
    enabled = [step for step in steps if step.enabled]
    outputs = await latest_step_outputs(db, workflow_id=workflow.id, before_step=count)
    for position, output in enumerate(outputs):
        step = enabled[position]
        title = f"Step {position + 1}: {step_title(step.type, step.name)}"
        tree = None if output is None else field_tree(output, root=f"steps[{position}]", label="")
        panel.step_sections.append(StepOutputSection(title, tree))
    return panel


def _panel_response(
    request: Request[Any, Any, Any], panel: FieldsPanel, user: User, status: int = 200
) -> Template:
    name = "workflows/_field_picker.html" if _is_htmx(request) else "workflows/step_tool_page.html"
    context = {"panel": panel, "user": user, "fragment": "workflows/_field_picker.html"}
    return Template(name, context=context, status_code=status)


def _parse_sample(text: str) -> tuple[Any, str | None]:
    if not text.strip():
        return None, 'Paste a JSON document, for example {"order": {"id": 1}}.'
    if len(text.encode("utf-8", "surrogatepass")) > MAX_SAMPLE_BYTES:
        return None, "That sample is over 1 MiB; paste a smaller example."
    try:
        return load_exact_json(text), None
    except InvalidJson as exc:
        return None, f"That is not valid JSON: {exc.message.removeprefix('Not valid JSON: ')}."


@dataclass
class FormStep:
    """The editor's step to test as typed, whether each earlier step is on, and the
    problems that stop it from being tested (with the step types that name them)."""

    step: StepDefinition | None
    enabled: list[bool] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)


def _step_from_form(form: Any, index: int, secrets: SecretBox) -> FormStep:
    """The editor's step `index` as typed (saved secrets resolved through `secrets`)."""
    editor = read_workflow_form(form)
    if not 0 <= index < len(editor.steps):
        return FormStep(None, problems={"test_step": "There is no such step in the editor."})
    enabled = [step.enabled for step in editor.steps[:index]]
    single = replace(editor, name=editor.name or "Untitled", steps=[editor.steps[index]])
    definition, problems = to_definition(single, secrets)
    prefix = f"steps[{index}]"
    problems = {key.replace("steps[0]", prefix, 1): text for key, text in problems.items()}
    if definition is None or not definition.steps:
        problems = problems or {prefix: "This step could not be read."}
        return FormStep(None, enabled, problems, types_of_forms(editor.steps))
    return FormStep(definition.steps[0], enabled)


class StepToolsController(Controller):
    path = "/workflows/{workflow_id:int}"

    @get("/fields")
    async def fields(
        self,
        workflow_id: ObjectId,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
        settings: NamedDependency[Settings],
        step: Annotated[int | None, StepIndex] = None,
    ) -> Template:
        workflow = await owned_workflow(db, user, workflow_id)
        panel = await _fields_panel(db, settings, workflow, step)
        return _panel_response(request, panel, user)

    @post("/sample")
    async def sample(
        self,
        workflow_id: ObjectId,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
        settings: NamedDependency[Settings],
    ) -> Template:
        workflow = await owned_workflow(db, user, workflow_id)
        assert workflow.id is not None
        form = await request.form()
        text = str(form.get("sample", ""))
        step_text = str(form.get("step", ""))
        before = int(step_text) if step_text.isdigit() else None
        body, problem = _parse_sample(text)
        if problem is None:
            await save_sample_event(db, workflow_id=workflow.id, body=body)
        panel = await _fields_panel(db, settings, workflow, before)
        if problem is not None:
            panel.sample_text, panel.sample_error = text, problem
        return _panel_response(request, panel, user, 400 if problem else 200)

    @post("/steps/test")
    async def test_step(self, workflow_id: ObjectId, request: Request[Any, Any, Any]) -> Template:
        """Run one step of the editor form. The request's data is read in a short
        transaction of its own: no database lock is held while the step calls out."""
        settings: Settings = request.app.state.settings
        sessions: SessionFactory = request.app.state.sessions
        form = await request.form()
        index_text = str(form.get("test_step", ""))
        index = int(index_text) if index_text.isdigit() else -1
        async with transaction(sessions) as db:
            user = await user_from_session(db, request.session)
            if user is None:
                raise SignInRequired("Please sign in first.")
            workflow = await owned_workflow(db, user, workflow_id)
            assert workflow.id is not None and user.id is not None
            stored = await list_workflow_steps(db, workflow_id=workflow.id)
            box = editor_secrets(settings, user_id=user.id, workflow=workflow, steps=stored)
            typed = _step_from_form(form, index, box)
            event = await latest_data_event(db, workflow_id=workflow.id)
            before = sum(typed.enabled)
            outputs = await latest_step_outputs(db, workflow_id=workflow.id, before_step=before)
        page = TrialPage(workflow, None, event)
        status = 200
        if typed.step is None:
            trial = StepTrial(index + 1, "", problems=typed.problems, types=typed.types)
            page.trial, status = trial, 422
        elif event is None:
            page.message, status = NO_EVENT_YET, 409
        else:
            context = context_for(event_trigger(event), outputs)
            page.trial = await try_step(settings, typed.step, context, number=index + 1)
            status = 422 if page.trial.problems else 200
        name = "workflows/_step_test_result.html"
        if not _is_htmx(request):
            name = "workflows/step_tool_page.html"
        context = {"page": page, "user": user, "fragment": "workflows/_step_test_result.html"}
        return Template(name, context=context, status_code=status)
