"""Editing actions on the unsaved editor form: add, duplicate, move, remove step cards
(at any depth), add/remove condition rows, paths and the fallback path.

An action is the value of the submit button pressed (`name="action"`), e.g.
`add:steps:slack_message`, `duplicate:steps-1`, `up:steps-0-branches-1-steps-2`,
`add_condition:steps-0`, `remove_branch:steps-3-branches-1`. Older forms send
`add_step`, `up:1`, `remove_step:0`. An action never saves; a stale or unknown target
changes nothing and the form is shown again.
"""

from __future__ import annotations

import copy
import re

from app.integrations.paths import MAX_BRANCHES
from app.web.step_forms.model import BranchForm, ConditionForm, StepForm
from app.web.step_forms.paths import new_branch
from app.web.step_forms.steps import DEFAULT_TYPE, new_step

MAX_CONDITIONS = 20
STEP_VERBS = frozenset({"up", "down", "remove", "remove_step", "duplicate"})
OTHER_VERBS = frozenset(
    {"add", "add_step", "add_condition", "remove_condition", "add_branch", "remove_branch"}
    | {"add_fallback", "remove_fallback"}
)
_LIST_TAIL = re.compile(r"-(\d+)-(branches-(\d+)|fallback)-steps$")


def is_editor_action(action: str) -> bool:
    return action.partition(":")[0] in STEP_VERBS | OTHER_VERBS


def apply_editor_action(steps: list[StepForm], action: str) -> str | None:
    """Change the unsaved cards as the button says; return the id of the input to focus."""
    verb, _, target = action.partition(":")
    if verb == "add_step":
        verb, target = "add", f"steps:{DEFAULT_TYPE}"
    if target.isdigit():
        target = f"steps-{target}"
    if verb in STEP_VERBS:
        return _step_action(steps, verb, target)
    if verb == "add":
        list_prefix, _, type_name = target.rpartition(":")
        cards, card = find_list(steps, list_prefix), new_step(type_name)
        if cards is None or card is None:
            return None
        cards.append(card)
        return f"{list_prefix}-{len(cards) - 1}-name"
    return _part_action(steps, verb, target)


def _step_action(steps: list[StepForm], verb: str, target: str) -> str | None:
    list_prefix, _, index_text = target.rpartition("-")
    cards = find_list(steps, list_prefix)
    if cards is None or not index_text.isdigit() or int(index_text) >= len(cards):
        return None
    index = int(index_text)
    if verb in ("remove", "remove_step"):
        cards.pop(index)
        return None
    if verb == "duplicate":
        twin = copy.deepcopy(cards[index])  # secrets travel as references, server side
        twin.name = f"{twin.name} (copy)" if twin.name else ""
        cards.insert(index + 1, twin)
        return f"{list_prefix}-{index + 1}-name"
    other = index - 1 if verb == "up" else index + 1
    if not 0 <= other < len(cards):
        return None
    cards[index], cards[other] = cards[other], cards[index]
    return f"{list_prefix}-{other}-name"


def _part_action(steps: list[StepForm], verb: str, target: str) -> str | None:
    if verb == "remove_condition":
        owner, _, index_text = target.rpartition("-conditions-")
        rows = _conditions_of(steps, owner)
        if rows is not None and index_text.isdigit() and int(index_text) < len(rows):
            rows.pop(int(index_text))
        return None
    if verb == "add_condition":
        rows = _conditions_of(steps, target)
        if rows is None or len(rows) >= MAX_CONDITIONS:
            return None
        rows.append(ConditionForm())
        return f"{target}-conditions-{len(rows) - 1}-field"
    if verb == "remove_branch":
        card_prefix, _, index_text = target.rpartition("-branches-")
        card = find_step(steps, card_prefix)
        if card is not None and index_text.isdigit() and int(index_text) < len(card.branches):
            card.branches.pop(int(index_text))
        return None
    card = find_step(steps, target)
    if card is None or card.type != "paths":
        return None
    if verb == "add_branch" and len(card.branches) < MAX_BRANCHES:
        card.branches.append(new_branch(len(card.branches)))
        return f"{target}-branches-{len(card.branches) - 1}-name"
    if verb == "add_fallback" and card.fallback is None:
        card.fallback = BranchForm(name="Otherwise")
        return f"{target}-fallback-name"
    if verb == "remove_fallback":
        card.fallback = None
    return None


def find_list(steps: list[StepForm], list_prefix: str) -> list[StepForm] | None:
    """The list of cards named `<list_prefix>-<n>` ("steps", "steps-0-branches-1-steps")."""
    if list_prefix == "steps":
        return steps
    match = _LIST_TAIL.search(list_prefix)
    if match is None:
        return None
    card = find_step(steps, list_prefix[: match.start()] + f"-{match.group(1)}")
    if card is None:
        return None
    if match.group(3) is not None:
        index = int(match.group(3))
        return card.branches[index].steps if index < len(card.branches) else None
    return card.fallback.steps if card.fallback is not None else None


def find_step(steps: list[StepForm], prefix: str) -> StepForm | None:
    """The card named `prefix` ("steps-2", "steps-0-fallback-steps-1"), if it exists."""
    list_prefix, _, index_text = prefix.rpartition("-")
    cards = find_list(steps, list_prefix) if list_prefix else None
    if cards is None or not index_text.isdigit() or int(index_text) >= len(cards):
        return None
    return cards[int(index_text)]


def _conditions_of(steps: list[StepForm], owner: str) -> list[ConditionForm] | None:
    """The condition rows of a filter card or of one path (`<card>-branches-<b>`)."""
    card_prefix, found, index_text = owner.rpartition("-branches-")
    if found:
        card = find_step(steps, card_prefix)
        if card is None or not index_text.isdigit() or int(index_text) >= len(card.branches):
            return None
        return card.branches[int(index_text)].conditions
    card = find_step(steps, owner)
    return card.conditions if card is not None and card.type == "filter" else None
