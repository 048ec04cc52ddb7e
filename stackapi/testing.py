"""testing: test an API through the exact app its ini serves, with webtest and no server.

``app_from_ini(path)`` loads the ini as ``stackapi-server`` does (the real
PasteDeploy, the Guard in front) and hands back a ``webtest.TestApp``.  The
pytest fixtures around it are in :mod:`stackapi.pytest_plugin`; docs/testing.md
is the guide.  webtest (a test dependency) is imported only when called.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from stackapi.guard import guarded
from stackapi.loader import add_import_dirs, loadapp


def app_from_ini(
    path: str | os.PathLike, name: str = "main", *, app_dir: str | None = None, **kwargs: Any
) -> Any:
    """A ``webtest.TestApp`` of app ``name`` of the ini at ``path``: every filter, the Guard.

    ::

        from stackapi.testing import app_from_ini

        def test_widgets():
            client = app_from_ini("api-paste.ini")
            assert client.get("/v1/widgets").json == {"widgets": [...]}
            client.get("/v1/widgets/2", status=404)

    The ini's own ``module:Class`` names import as under ``stackapi-server``
    started in the current directory (it goes on ``sys.path``, with ``app_dir``
    before it if given).  ``kwargs`` go to ``webtest.TestApp`` (``extra_environ``,
    ``lint``...).  A broken ini raises :class:`~stackapi.errors.ConfigError`,
    whose message names the file, the section and the key.
    """
    import webtest

    add_import_dirs(*([app_dir] if app_dir else []), os.getcwd())
    return webtest.TestApp(guarded(loadapp(str(Path(path)), name)), **kwargs)
