"""JSON Schemas of the demo's request bodies and query strings, as nova's per microversion.

Draft 2020-12 (stackapi.validation's default).  The shapes and their versions
follow nova's ``nova/api/openstack/compute/schemas``: 2.19 adds ``description``,
2.32 ``tag`` (networks and block devices, in 2.32 only), 2.37 makes
``networks`` required (a list, ``"auto"`` or ``"none"``), 2.42 brings the
tags back, 2.52 adds the server's ``tags``, 2.57 drops ``personality``.
"""

from __future__ import annotations

import copy

from stackapi.validation import NAME

#: nova's parameter_types, the few the demo uses.
UUID = {"type": "string", "format": "uuid"}
BOOLEAN = {
    "type": ["boolean", "string"],
    "enum": [True, "True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes", "y",
             "t", False, "False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No",
             "no", "n", "f"],
}  # fmt: skip
POSITIVE_INTEGER = {"type": ["integer", "string"], "pattern": "^[0-9]*$", "minimum": 1,
                    "minLength": 1}  # fmt: skip
DESCRIPTION = {
    "type": ["string", "null"],
    "maxLength": 255,
    "pattern": r"^[^\x00-\x1f\x7f-\x9f]*$",  # printable, as nova's description
}
FLAVOR_REF = {"type": ["string", "integer"], "minLength": 1}
IMAGE_REF = {"oneOf": [UUID, {"type": "string", "maxLength": 0}]}  # "" when booting a volume
METADATA = {
    "type": "object",
    "patternProperties": {
        "^[a-zA-Z0-9-_:. ]{1,255}$": {"type": "string", "maxLength": 255},
    },
    "additionalProperties": False,
}
IP_ADDRESS = {"type": "string", "oneOf": [{"format": "ipv4"}, {"format": "ipv6"}]}
# nova's pattern, and no NUL: PostgreSQL's text cannot hold one (a 500 there otherwise)
TAG = {"type": "string", "minLength": 1, "maxLength": 60, "pattern": "^[^,/\\x00]*$"}
MAX_TAGS = 50  # nova's MAX_TAG_COUNT
_HINTS = {"type": "object", "additionalProperties": True}

_BDM_V2 = {
    "type": "object",
    "properties": {
        "virtual_name": {"type": "string", "maxLength": 255},
        "volume_id": UUID,
        "snapshot_id": UUID,
        "volume_size": POSITIVE_INTEGER,
        "device_name": {
            "type": "string",
            "minLength": 1,
            "maxLength": 255,
            "pattern": "^[a-zA-Z0-9._/-]*$",
        },
        "delete_on_termination": BOOLEAN,
        "no_device": {},
        "connection_info": {"type": "string", "maxLength": 16777215},
        "source_type": {"type": "string", "enum": ["volume", "image", "snapshot", "blank"]},
        "uuid": {
            "type": "string",
            "minLength": 1,
            "maxLength": 255,
            "pattern": "^[a-zA-Z0-9._-]*$",
        },
        "image_id": UUID,
        "destination_type": {"type": "string", "enum": ["local", "volume"]},
        "guest_format": {"type": "string", "maxLength": 255},
        "device_type": {"type": "string", "maxLength": 255},
        "disk_bus": {"type": "string", "maxLength": 255},
        "boot_index": {"type": ["integer", "string", "null"], "pattern": "^-?[0-9]+$"},
    },
    "additionalProperties": False,
}


def _wrapped(key: str, inner: dict) -> dict:
    """``{key: inner}`` as the only property of the body."""
    return {
        "type": "object",
        "properties": {key: inner},
        "required": [key],
        "additionalProperties": False,
    }


CREATE = {
    "type": "object",
    "properties": {
        "server": {
            "type": "object",
            "properties": {
                "name": NAME,
                "imageRef": IMAGE_REF,
                "flavorRef": FLAVOR_REF,
                "adminPass": {"type": "string"},
                "metadata": METADATA,
                "networks": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "fixed_ip": IP_ADDRESS,
                            "port": {"type": ["string", "null"], "format": "uuid"},
                            "uuid": {"type": "string"},
                        },
                        "additionalProperties": False,
                    },
                },
                "OS-DCF:diskConfig": {"type": "string", "enum": ["AUTO", "MANUAL"]},
                "accessIPv4": {"type": "string", "format": "ipv4"},
                "accessIPv6": {"type": "string", "format": "ipv6"},
                "personality": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "path": {"type": "string"},
                            "contents": {"type": "string", "format": "base64"},
                        },
                        # nova reads both without checking (a missing one is its 500)
                        "required": ["path", "contents"],
                        "additionalProperties": False,
                    },
                },
                "availability_zone": NAME,
                "block_device_mapping_v2": {"type": "array", "items": _BDM_V2},
                "config_drive": BOOLEAN,
                "key_name": NAME,
                "min_count": POSITIVE_INTEGER,
                "max_count": POSITIVE_INTEGER,
                "return_reservation_id": BOOLEAN,
                "security_groups": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"name": NAME},
                        "additionalProperties": False,
                    },
                },
                "user_data": {"type": "string", "format": "base64", "maxLength": 65535},
            },
            "required": ["name", "flavorRef"],
            "additionalProperties": False,
        },
        "os:scheduler_hints": _HINTS,
        "OS-SCH-HNT:scheduler_hints": _HINTS,
    },
    "required": ["server"],
    "additionalProperties": False,
}


def _server(schema: dict) -> dict:
    return schema["properties"]["server"]


CREATE_V219 = copy.deepcopy(CREATE)
_server(CREATE_V219)["properties"]["description"] = DESCRIPTION

CREATE_V232 = copy.deepcopy(CREATE_V219)
_server(CREATE_V232)["properties"]["networks"]["items"]["properties"]["tag"] = TAG
_server(CREATE_V232)["properties"]["block_device_mapping_v2"]["items"]["properties"]["tag"] = TAG

CREATE_V233 = copy.deepcopy(CREATE_V219)  # nova dropped the tags again after 2.32
_server(CREATE_V233)["properties"]["networks"]["items"]["properties"]["tag"] = TAG

_NETWORK_ITEM = {
    "type": "object",
    "properties": {
        "fixed_ip": IP_ADDRESS,
        "port": {"type": ["string", "null"], "format": "uuid"},
        "uuid": UUID,
    },
    "additionalProperties": False,
}
CREATE_V237 = copy.deepcopy(CREATE_V233)
_server(CREATE_V237)["required"].append("networks")
_server(CREATE_V237)["properties"]["networks"] = {
    "oneOf": [
        {"type": "array", "items": _NETWORK_ITEM},
        {"type": "string", "enum": ["none", "auto"]},
    ]
}

CREATE_V242 = copy.deepcopy(CREATE_V237)
_server(CREATE_V242)["properties"]["networks"]["oneOf"][0]["items"]["properties"]["tag"] = TAG
_server(CREATE_V242)["properties"]["block_device_mapping_v2"]["items"]["properties"]["tag"] = TAG

CREATE_V252 = copy.deepcopy(CREATE_V242)
_server(CREATE_V252)["properties"]["tags"] = {"type": "array", "items": TAG, "maxItems": MAX_TAGS}

CREATE_V257 = copy.deepcopy(CREATE_V252)
del _server(CREATE_V257)["properties"]["personality"]

UPDATE = _wrapped(
    "server",
    {
        "type": "object",
        "properties": {
            "name": NAME,
            "OS-DCF:diskConfig": {"type": "string", "enum": ["AUTO", "MANUAL"]},
            "accessIPv4": {"type": "string", "format": "ipv4"},
            "accessIPv6": {"type": "string", "format": "ipv6"},
        },
        "additionalProperties": False,
    },
)
UPDATE_V219 = copy.deepcopy(UPDATE)
_server(UPDATE_V219)["properties"]["description"] = DESCRIPTION

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
        "properties": {
            "flavorRef": FLAVOR_REF,
            "OS-DCF:diskConfig": {"type": "string", "enum": ["AUTO", "MANUAL"]},
        },
        "required": ["flavorRef"],
        "additionalProperties": False,
    },
)

#: ``{"os-stop": null}`` and the like: nova's schema for actions without arguments.
NO_ARGUMENTS = {"type": ["object", "null"], "additionalProperties": False, "properties": {}}


def no_arguments(action: str) -> dict:
    return {
        "type": "object",
        "properties": {action: NO_ARGUMENTS},
        "required": [action],
        "additionalProperties": False,
    }


#: nova's ``lock`` and ``unlock`` before 2.73: any value (``null`` as clients send).
LOCK = _wrapped("lock", {})
UNLOCK = _wrapped("unlock", {})

RESET_STATE = _wrapped(
    "os-resetState",
    {
        "type": "object",
        "properties": {"state": {"enum": ["active", "error"]}},
        "required": ["state"],
        "additionalProperties": False,
    },
)

METADATA_BODY = _wrapped("metadata", METADATA)
META_ITEM = _wrapped("meta", {**METADATA, "minProperties": 1, "maxProperties": 1})

_DIGITS = {"type": "string", "pattern": "^[0-9]+$", "maxLength": 10}
_ONE = {"type": "string", "maxLength": 255}  # given twice -> a list -> refused
_REGEX = {**_ONE, "format": "regex"}  # nova's common_query_regex_param

FLAVORS_QUERY = {
    "type": "object",
    "properties": {
        "limit": _DIGITS,
        "marker": _ONE,
        "minRam": _DIGITS,
        "minDisk": _DIGITS,
        "is_public": _ONE,
        "sort_key": {"enum": ["flavorid", "id", "name", "memory_mb", "root_gb", "vcpus"]},
        "sort_dir": {"enum": ["asc", "desc"]},
    },
}

SERVERS_QUERY = {
    "type": "object",
    "properties": {
        "limit": _DIGITS,
        "marker": _ONE,
        "name": _REGEX,
        "flavor": _ONE,
        "image": _ONE,
        "status": _ONE,  # any case, checked against the statuses by the controller
        "changes-since": _ONE,  # ISO 8601, parsed by the controller
        "reservation_id": _REGEX,
        # from 2.26, comma-separated tags (nova checks them as a regex too)
        "tags": _REGEX,
        "tags-any": _REGEX,
        "not-tags": _REGEX,
        "not-tags-any": _REGEX,
        "all_tenants": {"enum": ["", "1", "0", "true", "false", "True", "False"]},
    },
}
