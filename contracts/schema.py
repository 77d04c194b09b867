"""The contract as JSON Schema, for agencies' developers and their validators."""

from __future__ import annotations

from typing import Any

from contracts._events import EVENT_ADAPTER

SCHEMA_ID = "https://schemas.safeguarding-hub.invalid/events-v1.json"


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one v1 event body."""
    schema = EVENT_ADAPTER.json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Safeguarding hub agency event, version 1",
        **schema,
    }
