"""noauth: development auth -- ``X-Auth-Token: user:project`` is believed as is.

Builds the :class:`~stackapi.request_context.RequestContext` into
``environ["stackapi.context"]``; no (or a malformed) token is a 401 fault.
Never put it in front of a real deployment: anyone can claim to be ``admin``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from stackapi.faults import fault_response
from stackapi.middleware import Middleware
from stackapi.options import parse_options
from stackapi.request_context import ADMIN_ROLE, ENVIRON_KEY, RequestContext, parse_roles

#: A user or project id in a token: a name or a uuid, nothing that needs escaping in a log.
_ID = re.compile(r"[\w.@+=,-]{1,255}\Z", re.ASCII)


def parse_token(token: str) -> tuple[str, str] | None:
    """``"user:project"`` -> ``(user, project)``; ``"user"`` -> ``(user, user)``; else None."""
    user_id, colon, project_id = token.strip().partition(":")
    if not colon:
        project_id = user_id  # nova's noauth: a user alone is its own project
    if _ID.match(user_id) and _ID.match(project_id):
        return user_id, project_id
    return None


class NoAuthMiddleware(Middleware):
    """Development auth: trust ``X-Auth-Token: user:project`` and ``X-Roles``.

    ::

        [filter:noauth]
        use = egg:stackapi#noauth

    No options.  ``X-Auth-Token: alice:p1`` -> ``req.context`` with
    ``user_id="alice"``, ``project_id="p1"``, ``roles`` from the
    comma-separated ``X-Roles`` (lower-cased); a token without ``:`` names a
    user who is its own project.  ``is_admin`` for user ``admin`` or role
    ``admin``.  No token, or one that is not ``user[:project]`` (letters,
    digits, ``_.@+=,-``; at most 255 each) -> 401 unauthorized.
    """

    fault_statuses = (401,)  # listed in the OpenAPI document of what it guards

    def __init__(self, app: Callable, **conf: str) -> None:
        super().__init__(app, **conf)
        parse_options(self.options, conf)  # no options: any key is a mistake

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        token = environ.get("HTTP_X_AUTH_TOKEN")
        if not token:
            return _unauthorized("Authentication required: send X-Auth-Token: user:project.")(
                environ, start_response
            )
        ids = parse_token(token)
        if ids is None:
            return _unauthorized("X-Auth-Token must be user:project or user.")(
                environ, start_response
            )
        user_id, project_id = ids
        roles = parse_roles(environ.get("HTTP_X_ROLES"))
        environ[ENVIRON_KEY] = RequestContext.for_caller(
            environ,
            user_id,
            project_id,
            roles,
            is_admin=user_id == ADMIN_ROLE or ADMIN_ROLE in roles,
        )
        return self.next_app(environ, start_response)


def _unauthorized(message: str) -> Callable:
    return fault_response(401, message)
