"""Condition rows ("value / operator / compare with") shared by the filter and paths forms.

Rows are named `<owner>-conditions-<n>-<field>`, where the owner is a filter step's card
or one path of a paths step.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from app.web.step_forms.base import Problems, describe_template_problem
from app.web.step_forms.model import ConditionForm, FormData, is_checked, text_of
from app.workflows.conditions import OPERATOR_LABELS, UNARY_OPERATORS

PLACED = r"conditions(\.\d+\.(field|operator|value|ignore_case))?"


def read_conditions(form: FormData, owner: str) -> list[ConditionForm]:
    pattern = re.compile(rf"^{re.escape(owner)}-conditions-(\d+)-operator$")
    indexes = sorted({int(m.group(1)) for key in form if (m := pattern.match(str(key)))})
    rows = []
    for index in indexes:
        name = f"{owner}-conditions-{index}"
        rows.append(
            ConditionForm(
                field=text_of(form, f"{name}-field"),
                operator=text_of(form, f"{name}-operator"),
                value=text_of(form, f"{name}-value"),
                ignore_case=is_checked(form, f"{name}-ignore_case"),
            )
        )
    return rows


def conditions_config(rows: list[ConditionForm], where: str) -> tuple[list[Any], Problems]:
    """The config list for these rows, and unknown-name problems keyed under `where`."""
    problems: Problems = {}
    conditions = []
    for index, row in enumerate(rows):
        for name in ("field", "value"):
            problem = describe_template_problem(getattr(row, name))
            if problem:
                problems[f"{where}.{index}.{name}"] = problem
        conditions.append(
            {
                "field": row.field.strip(),
                "operator": row.operator,
                "value": "" if row.operator in UNARY_OPERATORS else row.value,
                "ignore_case": row.ignore_case,
            }
        )
    return conditions, problems


def conditions_from(config: Any) -> list[ConditionForm]:
    rows = config if isinstance(config, list) else []
    return [
        ConditionForm(
            field=str(row.get("field", "")),
            operator=str(row.get("operator", "equals")),
            value=str(row.get("value", "")),
            ignore_case=bool(row.get("ignore_case", False)),
        )
        for row in rows
        if isinstance(row, Mapping)
    ]


def operator_choices() -> list[tuple[str, str]]:
    return list(OPERATOR_LABELS.items())


def unary_operators() -> str:
    """The operators that compare with nothing, for the page's show/hide script."""
    return " ".join(sorted(UNARY_OPERATORS))
