"""``application`` for gunicorn, uWSGI or mod_wsgi, built from ``$STACKAPI_CONFIG``.

Plain WSGI: this module imports no eventlet and patches nothing.  The app is
in :class:`stackapi.guard.Guard` (its urlmap's own, or added here), as under
``stackapi-server``, so URLs and responses get the same checks under any server::

    STACKAPI_CONFIG=etc/api-paste.ini gunicorn -k gthread stackapi.wsgi_app:application

``STACKAPI_APP_NAME`` picks another app of the ini (default ``main``).
"""

from __future__ import annotations

import os

from stackapi.errors import ConfigError
from stackapi.guard import guarded
from stackapi.loader import loadapp, setup_logging


def build_application() -> object:
    path = os.environ.get("STACKAPI_CONFIG")
    if not path:
        raise ConfigError("set STACKAPI_CONFIG to the path of the paste ini")
    setup_logging(path)
    return guarded(loadapp(path, os.environ.get("STACKAPI_APP_NAME", "main")))


application = build_application()
