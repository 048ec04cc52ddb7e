"""Clients that write to the demo through several servers and know what must be in the database.

Each :class:`Client` owns the servers it creates (its own user and project)
and runs a seeded mix of creates, renames, pause/unpause, deletes and reads on
them, alternating between the servers' URLs; it records each
acknowledged write, so at the end it knows exactly what the database must hold.
A tenth of its operations go to servers shared by every client (as admin):
renames, pauses, deletes and creates that race with the other clients'.

A request that fails without an answer is retried on another URL when it
cannot have been processed (sent after the server was known dead), and is
otherwise *uncertain*: the server it touched may be in either state, and is
not touched again.  Every read and every wait is bounded.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from stackapi.demo.images import CIRROS

TIMEOUT = 30.0  # seconds for any one answer
ADMIN = {"X-Auth-Token": "admin:ops"}
# Operation mix of a client (weights): its own servers, and the shared ones.
MIX = {
    "create": 25,
    "rename": 25,
    "pause": 10,
    "delete": 15,
    "show": 15,
    "shared": 10,
}
SHARED_MIX = {"rename": 4, "pause": 4, "delete": 1, "create": 1}
SHARED_OK = {
    "rename": {200, 404},
    "delete": {204, 404},
    "pause": {202, 404, 409},
    "create": {202},
}


class Unanswered(Exception):
    """No HTTP answer (connection refused, reset, closed, timed out)."""


@dataclass
class Outage:
    """When a server was killed: requests started before ``done`` may have been processed."""

    url: str = ""
    done: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def could_have_run(self, url: str, started: float) -> bool:
        with self.lock:
            return not (url == self.url and started > self.done)


@dataclass
class Report:
    """What every client saw, summed."""

    statuses: Counter = field(default_factory=Counter)  # (op, status) -> count
    uncertain: int = 0
    retried: int = 0
    unexpected: list = field(default_factory=list)  # (op, status, body) not in the contract

    def add(self, other: Report) -> None:
        self.statuses.update(other.statuses)
        self.uncertain += other.uncertain
        self.retried += other.retried
        self.unexpected.extend(other.unexpected)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(n for (_, status), n in self.statuses.items() if status >= 500)


class SharedPool:
    """The servers every client races on: id -> the name it was created with."""

    def __init__(self, initial: dict[str, str]) -> None:
        self.names = dict(initial)
        self.maybe_created: set[str] = set()  # shared creates without an answer
        self.lock = threading.Lock()

    def pick(self, rand: random.Random) -> str:
        with self.lock:
            return rand.choice(list(self.names))

    def add(self, server_id: str, name: str) -> None:
        with self.lock:
            self.names[server_id] = name


class Connections:
    """One keep-alive connection per URL, reopened after any failure."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self.open: dict[str, http.client.HTTPConnection] = {}

    def request(self, url: str, method: str, path: str, body=None, headers=None):
        conn = self.open.get(url)
        if conn is None:
            host, port = url.removeprefix("http://").rsplit(":", 1)
            conn = self.open[url] = http.client.HTTPConnection(host, int(port), timeout=TIMEOUT)
        data = json.dumps(body).encode() if body is not None else None
        sent = dict(headers or {})
        if data is not None:
            sent["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=sent)
            resp = conn.getresponse()
            raw = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            del self.open[url]
            raise Unanswered(f"{type(exc).__name__}: {exc}") from exc
        if resp.getheader("Connection", "").lower() == "close":
            conn.close()
            del self.open[url]
        return resp.status, json.loads(raw) if raw else None

    def close(self) -> None:
        for conn in self.open.values():
            conn.close()
        self.open.clear()


class Client:
    """One of the load's clients; :meth:`run` does ``ops`` operations, then :attr:`report`."""

    def __init__(self, number: int, urls: list[str], shared: SharedPool, outage: Outage) -> None:
        self.number = number
        self.project = f"p{number}"  # its own: the demo's quota is 1000 servers a project
        self.headers = {"X-Auth-Token": f"u{number}:{self.project}"}
        self.urls = urls
        self.pool = shared
        self.outage = outage
        self.random = random.Random(number)
        self.connections = Connections(urls)
        self.report = Report()
        self.servers: dict[str, tuple[str, str]] = {}  # id -> (name, status), certain
        self.deleted: set[str] = set()
        self.uncertain: dict[str, set] = {}  # id -> possible (name, status) or None (gone)
        self.maybe_created: set[str] = set()  # names of creates without an answer
        self.shared_names: dict[str, set] = {}  # shared id -> names some rename got 200 for
        self.shared_deleted: set[str] = set()
        self.shared_uncertain: dict[str, set] = {}
        self.counter = 0
        self.done = 0
        self.finished = False
        self.error: BaseException | None = None

    # -- sending -----------------------------------------------------------------

    def send(self, op: str, method: str, path: str, body=None, headers=None):
        """``(status, body)`` from one of the URLs, or None when the outcome is unknown."""
        start = self.counter
        for attempt in range(len(self.urls) * 3):
            url = self.urls[(start + attempt) % len(self.urls)]
            started = time.monotonic()
            try:
                status, answer = self.connections.request(
                    url, method, path, body, headers or self.headers
                )
            except Unanswered:
                if self.outage.could_have_run(url, started):
                    self.report.uncertain += 1
                    return None
                self.report.retried += 1
                time.sleep(0.05)
                continue
            self.report.statuses[op, status] += 1
            return status, answer
        raise AssertionError(f"client {self.number}: no server answered {method} {path}")

    def expect(self, op: str, result, *allowed: int):
        if result is not None and result[0] not in allowed:
            self.report.unexpected.append((op, result[0], result[1]))
        return result

    # -- operations ---------------------------------------------------------------

    def run(self, ops: int) -> None:
        names, weights = list(MIX), list(MIX.values())
        try:
            for _ in range(ops):
                self.counter += 1
                op = self.random.choices(names, weights)[0]
                if op not in ("create", "shared") and not self.servers:
                    op = "create"
                getattr(self, op)()
                self.done += 1
        except BaseException as exc:  # the test reports it; a thread's traceback would be lost
            self.error = exc
        finally:
            self.connections.close()
            self.finished = True

    def create(self) -> None:
        name = f"c{self.number}-{self.counter}"
        body = {"server": {"name": name, "flavorRef": "1", "imageRef": CIRROS}}
        result = self.expect("create", self.send("create", "POST", "/v2.1/servers", body), 202)
        if result is None:
            self.maybe_created.add(name)
        elif result[0] == 202:
            self.servers[result[1]["server"]["id"]] = (name, "ACTIVE")

    def _pick(self) -> tuple[str, str, str]:
        server_id = self.random.choice(list(self.servers))
        return (server_id, *self.servers[server_id])

    def _unsure(self, server_id: str, *states) -> None:
        self.uncertain[server_id] = {self.servers.pop(server_id), *states}

    def rename(self) -> None:
        server_id, _, status = self._pick()
        name = f"c{self.number}-{self.counter}r"
        body = {"server": {"name": name}}
        result = self.send("rename", "PUT", f"/v2.1/servers/{server_id}", body)
        if self.expect("rename", result, 200) is None:
            self._unsure(server_id, (name, status))
        elif result[0] == 200:
            self.servers[server_id] = (name, status)
            if result[1]["server"]["name"] != name:
                self.report.unexpected.append(("rename", 200, result[1]))

    def pause(self) -> None:
        server_id, name, status = self._pick()
        action, after = ("unpause", "ACTIVE") if status == "PAUSED" else ("pause", "PAUSED")
        path = f"/v2.1/servers/{server_id}/action"
        result = self.send("pause", "POST", path, {action: None})
        if self.expect("pause", result, 202) is None:
            self._unsure(server_id, (name, after))
        elif result[0] == 202:
            self.servers[server_id] = (name, after)

    def delete(self) -> None:
        server_id, _, _ = self._pick()
        result = self.send("delete", "DELETE", f"/v2.1/servers/{server_id}")
        if self.expect("delete", result, 204) is None:
            self._unsure(server_id, None)
        elif result[0] == 204:
            del self.servers[server_id]
            self.deleted.add(server_id)

    def show(self) -> None:
        server_id, name, status = self._pick()
        result = self.send("show", "GET", f"/v2.1/servers/{server_id}")
        if self.expect("show", result, 200) is not None and result[0] == 200:
            seen = result[1]["server"]
            if (seen["name"], seen["status"]) != (name, status):  # read-your-writes
                self.report.unexpected.append(("show", 200, (seen, name, status)))

    def shared(self) -> None:
        kind = self.random.choices(list(SHARED_MIX), list(SHARED_MIX.values()))[0]
        server_id = self.pool.pick(self.random)
        path = f"/v2.1/servers/{server_id}"
        name = f"s{self.number}-{self.counter}"
        if kind == "create":
            body = {"server": {"name": name, "flavorRef": "1", "imageRef": CIRROS}}
            result = self.send("shared", "POST", "/v2.1/servers", body, ADMIN)
        elif kind == "rename":
            result = self.send("shared", "PUT", path, {"server": {"name": name}}, ADMIN)
        elif kind == "pause":
            action = self.random.choice(["pause", "unpause"])
            result = self.send("shared", "POST", f"{path}/action", {action: None}, ADMIN)
        else:
            result = self.send("shared", "DELETE", path, None, ADMIN)
        if self.expect(f"shared {kind}", result, *SHARED_OK[kind]) is None:
            if kind == "create":
                with self.pool.lock:
                    self.pool.maybe_created.add(name)
            else:
                possible = {name} if kind == "rename" else {kind}
                self.shared_uncertain.setdefault(server_id, set()).update(possible)
        elif kind == "create" and result[0] == 202:
            self.pool.add(result[1]["server"]["id"], name)
        elif kind == "rename" and result[0] == 200:
            self.shared_names.setdefault(server_id, set()).add(name)
        elif kind == "delete" and result[0] == 204:
            self.shared_deleted.add(server_id)


def check_owned(client: Client, rows: dict[str, tuple]) -> list[str]:
    """What is wrong with ``client``'s servers in ``rows`` (id -> (user, name, status))."""
    problems = []
    user = client.headers["X-Auth-Token"].partition(":")[0]
    mine = {i: (name, status) for i, (owner, name, status) in rows.items() if owner == user}
    for server_id, state in client.servers.items():
        if mine.get(server_id) != state:
            found = mine.get(server_id)
            problems.append(f"{server_id}: acknowledged {state}, database has {found}")
    for server_id in client.deleted:
        if server_id in mine:
            problems.append(f"{server_id}: deletion acknowledged, still there: {mine[server_id]}")
    for server_id, possible in client.uncertain.items():
        if mine.get(server_id) not in possible:
            problems.append(f"{server_id}: {mine.get(server_id)} is none of {possible}")
    known = set(client.servers) | client.deleted | set(client.uncertain)
    extra = [state[0] for i, state in mine.items() if i not in known]
    if sorted(extra) != sorted(set(extra)) or not set(extra) <= client.maybe_created:
        problems.append(f"servers nobody acknowledged: {extra}")
    return problems


def check_shared(clients: list[Client], pool: SharedPool, rows: dict) -> list[str]:
    """The shared servers: deleted if a deletion was acknowledged, else a name some rename set."""
    problems = []
    for server_id, initial in pool.names.items():
        deleted = any(server_id in c.shared_deleted for c in clients)
        unsure = set().union(*(c.shared_uncertain.get(server_id, set()) for c in clients))
        names = set().union(*(c.shared_names.get(server_id, set()) for c in clients))
        row = rows.get(server_id)
        if deleted and row is not None:
            problems.append(f"shared {server_id}: deletion acknowledged, still there: {row}")
        if row is None and not deleted and "delete" not in unsure:
            problems.append(f"shared {server_id}: gone, no deletion acknowledged")
        if row is not None and row[1] not in (names or {initial}) | unsure:
            problems.append(f"shared {server_id}: name {row[1]!r}, acknowledged: {names}")
    unknown = [row[1] for i, row in rows.items() if row[0] == "admin" and i not in pool.names]
    if not set(unknown) <= pool.maybe_created:
        problems.append(f"shared servers nobody acknowledged: {unknown}")
    return problems
