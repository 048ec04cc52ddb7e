"""context: production auth -- the caller as keystonemiddleware's headers describe it.

Reads ``X-Identity-Status``, ``X-User-Id``, ``X-Project-Id`` and ``X-Roles``
(set by ``keystonemiddleware.auth_token`` in front of it) into the
:class:`~stackapi.request_context.RequestContext` of ``environ["stackapi.context"]``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from stackapi.faults import fault_response
from stackapi.middleware import Middleware
from stackapi.options import parse_options
from stackapi.request_context import ENVIRON_KEY, RequestContext, parse_roles

_MESSAGE = "Authentication required: the token is missing or invalid."


def _unauthorized(environ: dict, start_response: Callable) -> Iterable[bytes]:
    return fault_response(401, _MESSAGE)(environ, start_response)


class ContextMiddleware(Middleware):
    """Build ``req.context`` from the headers keystonemiddleware sets.

    ::

        [pipeline:api]
        pipeline = request_id faultwrap authtoken context myapp

        [filter:authtoken]
        paste.filter_factory = keystonemiddleware.auth_token:filter_factory

        [filter:context]
        use = egg:stackapi#context

    No options.  ``X-Identity-Status: Confirmed`` with an ``X-User-Id`` ->
    ``user_id``, ``project_id`` (``X-Project-Id``, None for a token that is
    not project-scoped), ``roles`` (``X-Roles``, lower-cased), ``is_admin``
    (role ``admin``).  Anything else -- no status, ``Invalid`` (auth_token
    with ``delay_auth_decision``), no user id -> 401 unauthorized.

    Only behind ``auth_token``: it strips those headers from what the client
    sent and sets them from the validated token.  Without it in front, any
    client could send them.
    """

    fault_statuses = (401,)  # listed in the OpenAPI document of what it guards

    def __init__(self, app: Callable, **conf: str) -> None:
        super().__init__(app, **conf)
        parse_options(self.options, conf)  # no options: any key is a mistake

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        status = environ.get("HTTP_X_IDENTITY_STATUS", "")
        user_id = environ.get("HTTP_X_USER_ID", "").strip()
        if status.strip().lower() != "confirmed" or not user_id:
            return _unauthorized(environ, start_response)
        environ[ENVIRON_KEY] = RequestContext.for_caller(
            environ,
            user_id,
            environ.get("HTTP_X_PROJECT_ID", "").strip() or None,
            parse_roles(environ.get("HTTP_X_ROLES")),
        )
        return self.next_app(environ, start_response)
