"""RequestContext: who is calling, as the auth filters saw it.

``noauth`` and ``context`` put one in ``environ["stackapi.context"]``;
controllers reach it as ``req.context``.  Plain data and webob.exc only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import webob.exc

ENVIRON_KEY = "stackapi.context"
ADMIN_ROLE = "admin"


def parse_roles(header: str | None) -> list[str]:
    """``"member, Reader"`` (an ``X-Roles`` header) -> ``["member", "reader"]``.

    Lower-cased, as keystone treats role names case-insensitively; empty
    entries and duplicates dropped, order kept.
    """
    if not header:
        return []
    roles = (role.strip().lower() for role in header.split(","))
    return list(dict.fromkeys(role for role in roles if role))


@dataclass
class RequestContext:
    """The caller of one request.

    >>> ctx = RequestContext(user_id="alice", project_id="p1", roles=["member"])
    >>> ctx.is_admin
    False

    ``is_admin`` defaults to "``admin`` is one of ``roles``".  A controller
    refuses non-admins with ``req.context.require_admin()`` (-> 403 forbidden),
    the anonymous with ``req.context.require_authenticated()`` (-> 401), and
    scopes data with ``req.context.project_id``::

        def delete(self, req, id):
            req.context.require_admin()
            ...
    """

    user_id: str | None = None
    project_id: str | None = None
    roles: list[str] = field(default_factory=list)
    is_admin: bool | None = None
    request_id: str | None = None
    global_request_id: str | None = None

    def __post_init__(self) -> None:
        if self.is_admin is None:
            self.is_admin = any(role.lower() == ADMIN_ROLE for role in self.roles)

    @classmethod
    def for_caller(
        cls,
        environ: dict,
        user_id: str,
        project_id: str | None,
        roles: Iterable[str],
        is_admin: bool | None = None,
    ) -> RequestContext:
        """The context of an authenticated caller, with ``environ``'s request ids."""
        return cls(
            user_id=user_id,
            project_id=project_id,
            roles=list(roles),
            is_admin=is_admin,
            request_id=environ.get("openstack.request_id"),
            global_request_id=environ.get("openstack.global_request_id"),
        )

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    def require_admin(self) -> None:
        """Raise 403 forbidden unless the caller is an admin."""
        if not self.is_admin:
            raise webob.exc.HTTPForbidden(explanation="This action is only allowed for admins.")

    def require_authenticated(self) -> None:
        """Raise 401 unauthorized if no auth filter identified the caller."""
        if self.is_anonymous:
            raise webob.exc.HTTPUnauthorized(explanation="Authentication required.")

    def to_dict(self) -> dict:
        return {
            "user_id": self.user_id,
            "project_id": self.project_id,
            "roles": list(self.roles),
            "is_admin": self.is_admin,
            "request_id": self.request_id,
            "global_request_id": self.global_request_id,
        }

    @classmethod
    def from_environ(cls, environ: dict) -> RequestContext:
        """The context an auth filter stored, or an anonymous one."""
        ctx = environ.get(ENVIRON_KEY)
        if ctx is None:
            return cls(
                request_id=environ.get("openstack.request_id"),
                global_request_id=environ.get("openstack.global_request_id"),
            )
        if ctx.request_id is None:  # request_id sits after the auth filter
            ctx.request_id = environ.get("openstack.request_id")
            ctx.global_request_id = environ.get("openstack.global_request_id")
        return ctx
