"""``/identity``: keystone's v3 version documents, the little of keystone the CLI reads.

``openstack server list`` asks for an identity v3 endpoint before it calls
compute; with ``admin_token`` auth nothing else of keystone is used.  No token
is needed here, as keystone's own version documents need none.
"""

from __future__ import annotations

from typing import Any

import webob.exc

from stackapi.application import Application
from stackapi.controller import ResponseObject
from stackapi.request import Request
from stackapi.versions import url_join

#: keystone's identity v3 as Caracal and later describe it.
V3 = {
    "id": "v3.14",
    "status": "stable",
    "updated": "2020-04-07T00:00:00Z",
    "media-types": [
        {"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}
    ],
}


class IdentityVersions(Application):
    """``GET /identity/`` (300, as keystone answers it) and ``GET /identity/v3`` (200)."""

    def handle(self, req: Request) -> Any:
        if req.method not in ("GET", "HEAD"):
            raise webob.exc.HTTPMethodNotAllowed(headers={"Allow": "GET, HEAD"})
        path = req.path_info.rstrip("/")
        href = url_join(req.application_url, "v3") + "/"
        version = {**V3, "links": [{"rel": "self", "href": href}]}
        if path == "":
            return ResponseObject({"versions": {"values": [version]}}, code=300)
        if path == "/v3":
            return {"version": version}
        raise webob.exc.HTTPNotFound(explanation="The resource could not be found.")
