"""Request: webob.Request plus what stackapi's layers put in the environ."""

from __future__ import annotations

import webob

from stackapi.microversion import ENVIRON_KEY as API_VERSION_KEY
from stackapi.microversion import APIVersion
from stackapi.request_context import RequestContext


class Request(webob.Request):
    """The request object controllers, filters and apps receive.

    ``req.context``      the caller (:class:`RequestContext`), anonymous when no
                         auth filter ran;
    ``req.request_id``   this request's ``req-<uuid>`` (set by ``request_id``);
    ``req.api_version``  the negotiated microversion (an
                         :class:`~stackapi.microversion.APIVersion`, compares
                         with ``"2.2"``), None when microversions are off.
    """

    @property
    def context(self) -> RequestContext:
        return RequestContext.from_environ(self.environ)

    @property
    def request_id(self) -> str | None:
        return self.environ.get("openstack.request_id")

    @property
    def api_version(self) -> APIVersion | None:
        return self.environ.get(API_VERSION_KEY)
