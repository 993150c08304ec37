"""Shared parameter types: ids in URLs fit the database's 64-bit integers."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter

MAX_ID = 2**63 - 1

ObjectId = Annotated[int, PathParameter(ge=0, le=MAX_ID, description="An id.")]
