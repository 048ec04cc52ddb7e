"""stackapi.server: ``stackapi-server``'s HTTP/1.1 server, the only code that imports eventlet.

=================  ============================================================
``listener``       the listening socket (TCP, IPv6, Unix), TLS, the fd budget
``connections``    the accept loop, the connection cap, the idle list, the drain
``connection``     one connection's loop: heads and bodies fed to httptools
``request``        what a head said, and the WSGI environ made of it
``body``           ``wsgi.input``, and the errors a body can end in
``response``       ``start_response``, the head, the body's framing
``process``        one process's main loop: signals, reload, drain
``workers``        ``--workers N``: the parent that forks and replaces workers
``settings``       every option, from ``[server:main]`` and flags (no eventlet)
``notify``         systemd's notify protocol (no eventlet)
``runner``         ``egg:stackapi#server`` for pserve (patches on import)
=================  ============================================================

Importing this package imports nothing; its modules import eventlet's public API
only (green sockets, ``GreenPool``, ``Semaphore``, ``monkey_patch``).
"""

from __future__ import annotations

import warnings


def quiet_import_notices() -> None:
    """Silence what eventlet's import prints for developers choosing a library, not for
    operators: its bugfix-only notice, and dnspython's DSA notice (it warns once
    cryptography >= 45 is installed, as openstacksdk brings it)."""
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    warnings.filterwarnings("ignore", message=r"DSA is deprecated", module=r"dns\.")
