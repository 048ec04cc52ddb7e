"""JSON Schemas of the demo's request bodies and query strings (Draft 2020-12).

Shapes are nova's: ``{"server": {"name", "flavorRef", ...}}``, ``{"reboot": {"type"}}``.
Microversion 2.2 adds ``description`` to the server create and update bodies.
"""

from __future__ import annotations

import copy

from stackapi.validation import NAME  # noqa: E402

DESCRIPTION = {"type": ["string", "null"], "maxLength": 255}
FLAVOR_REF = {"type": ["string", "integer"], "minLength": 1, "pattern": r"^\S+$", "minimum": 1}
METADATA = {
    "type": "object",
    "maxProperties": 128,
    "propertyNames": {"minLength": 1, "maxLength": 255},
    "additionalProperties": {"type": "string", "maxLength": 255},
}


def _wrapped(key: str, inner: dict) -> dict:
    """``{key: inner}`` as the only property of the body."""
    return {
        "type": "object",
        "properties": {key: inner},
        "required": [key],
        "additionalProperties": False,
    }


CREATE = _wrapped(
    "server",
    {
        "type": "object",
        "properties": {
            "name": NAME,
            "flavorRef": FLAVOR_REF,
            "imageRef": {"type": "string", "maxLength": 255},
            "metadata": METADATA,
        },
        "required": ["name", "flavorRef"],
        "additionalProperties": False,
    },
)

UPDATE = _wrapped(
    "server",
    {
        "type": "object",
        "properties": {"name": NAME},
        "additionalProperties": False,
    },
)


def _with_description(schema: dict) -> dict:
    """The same body schema, with ``server.description`` allowed (microversion 2.2)."""
    newer = copy.deepcopy(schema)
    newer["properties"]["server"]["properties"]["description"] = DESCRIPTION
    return newer


CREATE_V22 = _with_description(CREATE)
UPDATE_V22 = _with_description(UPDATE)

REBOOT = _wrapped(
    "reboot",
    {
        "type": "object",
        "properties": {"type": {"enum": ["HARD", "Hard", "hard", "SOFT", "Soft", "soft"]}},
        "required": ["type"],
        "additionalProperties": False,
    },
)

RESIZE = _wrapped(
    "resize",
    {
        "type": "object",
        "properties": {"flavorRef": FLAVOR_REF},
        "required": ["flavorRef"],
        "additionalProperties": False,
    },
)

RESET_STATE = _wrapped(
    "os-resetState",
    {
        "type": "object",
        "properties": {"state": {"enum": ["active", "error"]}},
        "required": ["state"],
        "additionalProperties": False,
    },
)

_DIGITS = {"type": "string", "pattern": "^[0-9]+$", "maxLength": 10}
_ONE = {"type": "string", "maxLength": 255}  # given twice -> a list -> refused

PAGING_QUERY = {
    "type": "object",
    "properties": {"limit": _DIGITS, "marker": _ONE},
}

SERVERS_QUERY = {
    "type": "object",
    "properties": {
        "limit": _DIGITS,
        "marker": _ONE,
        "name": _ONE,
        "flavor": _ONE,
        "status": _ONE,  # any case, checked against the statuses by the controller
        "all_tenants": {"enum": ["", "1", "0", "true", "false", "True", "False"]},
    },
}
