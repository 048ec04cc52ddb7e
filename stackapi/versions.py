"""Version discovery documents, in nova's format: ``GET /`` and ``GET /v2.1/``.

Links are built from the request URL (``req.application_url``), so they are
right under a path prefix and behind ``http_proxy_to_wsgi``.  Plain WSGI.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import webob
import webob.exc
from webob.dec import wsgify

from stackapi.application import Application
from stackapi.controller import ResponseObject
from stackapi.microversion import Microversions
from stackapi.options import Option, as_str
from stackapi.render import render
from stackapi.request import Request


@dataclass(frozen=True)
class VersionInfo:
    """One major version of an API, as the version documents describe it.

    ::

        V2_1 = VersionInfo("v2.1", microversions=Microversions("compute", "2.1", "2.3"),
                           updated="2013-07-23T11:33:21Z",
                           describedby="https://docs.openstack.org/api-ref/compute/")

    ``id`` is also the URL prefix the API is mounted at (``/v2.1`` in
    ``[composite:main]``), as in nova.  ``status`` is ``CURRENT``,
    ``SUPPORTED`` or ``DEPRECATED``.
    """

    id: str
    status: str = "CURRENT"
    updated: str = "2026-01-01T00:00:00Z"
    microversions: Microversions | None = None
    describedby: str | None = None
    media_types: tuple[dict, ...] = field(default=())

    def media(self) -> list[dict]:
        if self.media_types:
            return [dict(m) for m in self.media_types]
        service = self.microversions.service_type if self.microversions else "api"
        number = self.id.lstrip("v")
        kind = f"application/vnd.openstack.{service}+json;version={number}"
        return [{"base": "application/json", "type": kind}]

    def numbers(self, microversions: Microversions | None = None) -> dict[str, str]:
        """``version``/``min_version``: the microversion range, "" without microversions."""
        mv = microversions or self.microversions
        if mv is None:
            return {"version": "", "min_version": ""}
        return {"version": str(mv.max_version), "min_version": str(mv.min_version)}


def url_join(*parts: str) -> str:
    """``url_join("http://h/p", "v2.1", "servers")`` -> ``http://h/p/v2.1/servers``."""
    return "/".join(p.strip("/") for p in parts if p.strip("/"))


def version_document(
    req: webob.Request, info: VersionInfo, microversions: Microversions | None = None
) -> dict:
    """``{"version": {...}}`` for ``req`` at the API's root (``/v2.1/``)."""
    links = [{"rel": "self", "href": req.application_url.rstrip("/") + "/"}]
    if info.describedby:
        links.append({"rel": "describedby", "type": "text/html", "href": info.describedby})
    return {
        "version": {
            "id": info.id,
            "status": info.status,
            **info.numbers(microversions),
            "updated": info.updated,
            "links": links,
            "media-types": info.media(),
        }
    }


class VersionDocument:
    """WSGI app a Router mounts at its ``/`` when given ``version=``: the version document."""

    def __init__(self, info: VersionInfo, microversions: Microversions | None = None) -> None:
        self.info = info
        self.microversions = microversions

    @wsgify(RequestClass=Request)
    def __call__(self, req: Request) -> webob.Response:
        return render(version_document(req, self.info, self.microversions))


class VersionsApp(Application):
    """The root app: ``GET /`` lists the versions; other paths answer 300 Multiple Choices.

    Subclass it with the API's versions, and serve it at ``/``::

        class ComputeVersions(VersionsApp):
            versions = (V2_1,)

        [composite:main]
        use = egg:stackapi#urlmap
        /: versions            # a pipeline ending in ComputeVersions
        /v2.1: api_v21

    As nova: ``GET /`` is 200 ``{"versions": [...]}`` with ``version`` and
    ``min_version`` (the microversion range, "" for versions without); any
    other path (e.g. ``/servers``, a URL without its version) is 300
    ``{"choices": [...]}`` with that path under each version.  Methods other
    than GET and HEAD: 405.  ``max_version`` in the section holds back the
    newest microversions of the CURRENT version (``min_version`` refuses the
    oldest), as the same keys do on the API's own section: set both alike.
    """

    versions: Sequence[VersionInfo] = ()
    options = (
        Option("min_version", as_str, "", "refuse microversions below this one"),
        Option("max_version", as_str, "", "hold back microversions above this one"),
    )

    def __init__(self, **conf: Any) -> None:
        super().__init__(**conf)
        self.ranges = {
            info.id: info.microversions.narrowed(self.min_version, self.max_version)
            for info in self.versions
            if info.microversions is not None and info.status == "CURRENT"
        }

    def handle(self, req: Request) -> Any:
        if req.method not in ("GET", "HEAD"):
            raise webob.exc.HTTPMethodNotAllowed(headers={"Allow": "GET, HEAD"})
        if req.path_info in ("", "/"):
            return {"versions": [self._summary(req, info) for info in self._sorted()]}
        return ResponseObject({"choices": self._choices(req)}, code=300)

    def _sorted(self) -> list[VersionInfo]:
        return sorted(self.versions, key=lambda info: info.id)

    def _summary(self, req: Request, info: VersionInfo) -> dict:
        return {
            "id": info.id,
            "status": info.status,
            **info.numbers(self.ranges.get(info.id)),
            "updated": info.updated,
            "links": [{"rel": "self", "href": url_join(req.application_url, info.id) + "/"}],
            "media-types": info.media(),
        }

    def _choices(self, req: Request) -> list[dict]:
        path = req.path_url[len(req.application_url) :]  # quoted, as it came
        return [
            {
                "id": info.id,
                "status": info.status,
                "links": [{"rel": "self", "href": url_join(req.application_url, info.id, path)}],
                "media-types": info.media(),
            }
            for info in self._sorted()
        ]


class VersionApp(Application):
    """One version's root without a token: ``GET /v2.1`` and ``/v2.1/`` (nova's VersionsV2).

    Subclass it with the version, and mount it at the exact prefix while the
    API (behind its auth filter) takes everything below it (``/+``, nova's
    wildcard)::

        class ComputeVersion(VersionApp):
            version = V2_1

        [composite:main]
        use = egg:stackapi#urlmap
        /v2.1: version_v21         # GET /v2.1, /v2.1/: the version document
        /v2.1/+: api_v21           # /v2.1/servers ...: the API, token needed

    Keystoneauth's discovery fetches the endpoint of the catalog (``.../v2.1``)
    without a token, so the document must not need one.  ``min_version`` /
    ``max_version`` narrow the range as on the API's own section.  Other
    paths: 404; other methods: 405.
    """

    version: VersionInfo | None = None
    options = VersionsApp.options

    def __init__(self, **conf: Any) -> None:
        super().__init__(**conf)
        if self.version is None:
            raise TypeError(f"{type(self).__name__}: set the class attribute 'version'")
        mv = self.version.microversions
        self.microversions = mv.narrowed(self.min_version, self.max_version) if mv else None

    def handle(self, req: Request) -> Any:
        if req.method not in ("GET", "HEAD"):
            raise webob.exc.HTTPMethodNotAllowed(headers={"Allow": "GET, HEAD"})
        if req.path_info not in ("", "/"):
            raise webob.exc.HTTPNotFound(explanation="The resource could not be found.")
        assert self.version is not None
        return version_document(req, self.version, self.microversions)
