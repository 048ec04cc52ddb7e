"""``backends = database`` of the healthcheck filter: the demo's databases answer ``SELECT 1``.

Registered as the ``database`` entry point of ``stackapi.healthcheck`` (setup.cfg).
"""

from __future__ import annotations

from stackapi.demo.store import live_stores
from stackapi.filters.healthcheck import HealthcheckBackend, HealthResult


class DatabaseBackend(HealthcheckBackend):
    """Unavailable while a database of the demo apps of this process does not answer.

    A process without one (it serves another app of the ini) is available.

    Each probe runs ``SELECT 1`` through the same pool the requests use, so it
    sees what they would see; bounded by the store's pool, connect and query
    timeouts.  The details name each database (password hidden) and the time
    the query took, or the driver's error.
    """

    def check(self) -> HealthResult:
        stores = live_stores()
        if not stores:  # e.g. a process serving only the versions document
            return HealthResult(True, details="no demo database in this process")
        pings = [store.ping() for store in stores]
        details = "; ".join(line for _, line in pings)
        if all(ok for ok, _ in pings):
            return HealthResult(True, details=details)
        return HealthResult(False, "The database is unreachable.", details)
