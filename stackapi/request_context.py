"""RequestContext: who is calling, as the auth filters saw it.

``noauth`` and ``context`` put one in ``environ["stackapi.context"]``;
controllers reach it as ``req.context``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import webob.exc

ENVIRON_KEY = "stackapi.context"


@dataclass
class RequestContext:
    """The caller of one request.

    >>> ctx = RequestContext(user_id="alice", project_id="p1", roles=["member"])
    >>> ctx.is_admin
    False

    ``is_admin`` defaults to ``"admin" in roles``.  A controller refuses
    non-admins with ``req.context.require_admin()`` (-> 403 forbidden) and
    scopes data with ``req.context.project_id``.
    """

    user_id: str | None = None
    project_id: str | None = None
    roles: list[str] = field(default_factory=list)
    is_admin: bool | None = None
    request_id: str | None = None
    global_request_id: str | None = None

    def __post_init__(self) -> None:
        if self.is_admin is None:
            self.is_admin = "admin" in self.roles

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    def require_admin(self) -> None:
        """Raise 403 forbidden unless the caller is an admin."""
        if not self.is_admin:
            raise webob.exc.HTTPForbidden(explanation="This action is only allowed for admins.")

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
            ctx = cls(
                request_id=environ.get("openstack.request_id"),
                global_request_id=environ.get("openstack.global_request_id"),
            )
        return ctx
