"""A JSON client of the demo for the live tests: (status, headers, body), bounded in time."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from stackapi.demo.images import CIRROS

TIMEOUT = 30  # seconds for any one answer
ALICE = {"X-Auth-Token": "alice:demo"}


def call(url, method="GET", body=None, headers=None, timeout=TIMEOUT):
    """``(status, headers, parsed body or None)``; HTTP errors are answers too."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            return resp.status, resp.headers, json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        with err:
            raw = err.read()
            return err.code, err.headers, json.loads(raw) if raw else None


def create(url, name, headers=ALICE):
    """``POST /v2.1/servers`` of a server named ``name`` (flavor 1, the demo's image)."""
    body = {"server": {"name": name, "flavorRef": "1", "imageRef": CIRROS}}
    return call(f"{url}/v2.1/servers", "POST", body, headers)
