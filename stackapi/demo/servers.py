"""Servers: nova's CRUD, paging, filters and actions, on the demo's database (SQLAlchemy Core).

Each request runs in the transaction the Router opened (``database(req)``):
a refused or failed request changes nothing.  A request that changes a
server locks its row before reading it (``_get(..., lock=True)``), so
concurrent changes of one server apply one after the other.  Callers see
their own project's servers (admins: any; ``?all_tenants=1`` lists them all).
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, delete, func, insert, select, update
from webob import exc

import stackapi
from stackapi.demo import schemas
from stackapi.demo.flavors import find_flavor
from stackapi.demo.paging import bookmark_base, item_links, page, page_size
from stackapi.demo.store import database
from stackapi.demo.tables import servers
from stackapi.microversion import api_version
from stackapi.policy import authorize, enforce
from stackapi.request import Request
from stackapi.validation import validate

STATUSES = ("ACTIVE", "PAUSED", "VERIFY_RESIZE", "ERROR")
_TRUE = ("", "1", "true", "True")


def _visible(req: Request, row: Any) -> bool:
    """A server row the caller may see: its project's, or any for an admin."""
    ctx = req.context
    return row is not None and (ctx.is_admin or row["project_id"] == ctx.project_id)


def _contains(dialect: str, text: str) -> ColumnElement[bool]:
    """``name`` contains ``text``, case-sensitive (LIKE is not, on SQLite)."""
    position = func.strpos if dialect == "postgresql" else func.instr
    return position(servers.c.name, text) > 0


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class ServersController(stackapi.Controller):
    """``/servers``: what nova's clients send and expect, backed by the demo's Store."""

    # --- collection ----------------------------------------------------------------

    @authorize("compute:servers:index")
    @validate(query=schemas.SERVERS_QUERY)
    def index(self, req: Request) -> dict:
        return self._list(req, detail=False)

    @authorize("compute:servers:detail")
    @validate(query=schemas.SERVERS_QUERY)
    def detail(self, req: Request) -> dict:
        return self._list(req, detail=True)

    @authorize("compute:servers:create")
    @validate(schemas.CREATE, max_version="2.1")
    @validate(schemas.CREATE_V22, min_version="2.2")
    @stackapi.response(202)
    def create(self, req: Request, body: dict) -> stackapi.ResponseObject:
        spec = body["server"]
        flavor = find_flavor(spec["flavorRef"])
        if flavor is None:
            raise exc.HTTPBadRequest(explanation="Invalid flavorRef provided.")
        ctx, now, server_id = req.context, _now(), str(uuid.uuid4())
        database(req).execute(
            insert(servers).values(
                id=server_id,
                project_id=ctx.project_id,
                user_id=ctx.user_id,
                name=spec["name"],
                description=spec.get("description"),
                flavor_id=flavor["id"],
                image_ref=spec.get("imageRef") or None,
                status="ACTIVE",
                metadata=json.dumps(spec.get("metadata", {})),
                created=now,
                updated=now,
            )
        )
        links = item_links(req, "servers", server_id)
        return stackapi.ResponseObject(
            {"server": {"id": server_id, "links": links}},
            headers={"Location": links[0]["href"]},
        )

    # --- member ------------------------------------------------------------------

    def show(self, req: Request, id: str) -> dict:
        server = self._get(req, id)
        enforce(req, "compute:servers:show", server)
        return {"server": self._view(req, server)}

    @validate(schemas.UPDATE, max_version="2.1")
    @validate(schemas.UPDATE_V22, min_version="2.2")
    def update(self, req: Request, id: str, body: dict) -> dict:
        changes = body["server"]
        server = self._get(req, id, lock=True)
        enforce(req, "compute:servers:update", server)
        for field in ("name", "description"):
            if field in changes:
                server[field] = changes[field]
        server["updated"] = _now()
        values = {k: server[k] for k in ("name", "description", "updated")}
        database(req).execute(update(servers).where(servers.c.id == id).values(values))
        return {"server": self._view(req, server)}

    def delete(self, req: Request, id: str) -> None:
        enforce(req, "compute:servers:delete", self._get(req, id, lock=True))
        database(req).execute(delete(servers).where(servers.c.id == id))

    # --- actions -----------------------------------------------------------------

    @stackapi.action("reboot")
    @stackapi.response(202)
    @validate(schemas.REBOOT)
    def _reboot(self, req: Request, id: str, body: dict) -> None:
        hard = body["reboot"]["type"].upper() == "HARD"
        allowed = ("ACTIVE", "PAUSED", "ERROR") if hard else ("ACTIVE",)
        self._transition(req, id, "reboot", allowed, status="ACTIVE")

    @stackapi.action("pause")
    @stackapi.response(202)
    def _pause(self, req: Request, id: str, body: dict) -> None:
        self._transition(req, id, "pause", ("ACTIVE",), status="PAUSED")

    @stackapi.action("unpause")
    @stackapi.response(202)
    def _unpause(self, req: Request, id: str, body: dict) -> None:
        self._transition(req, id, "unpause", ("PAUSED",), status="ACTIVE")

    @stackapi.action("resize")
    @stackapi.response(202)
    @validate(schemas.RESIZE)
    def _resize(self, req: Request, id: str, body: dict) -> None:
        flavor = find_flavor(body["resize"]["flavorRef"])
        if flavor is None:
            raise exc.HTTPBadRequest(explanation="Unable to find flavor.")

        def check(server: dict) -> None:
            if server["flavor_id"] == flavor["id"]:
                message = "When resizing, instances must change flavor!"
                raise exc.HTTPBadRequest(explanation=message)

        self._transition(
            req,
            id,
            "resize",
            ("ACTIVE",),
            status="VERIFY_RESIZE",
            check=check,
            flavor_id=flavor["id"],
            old_flavor_id=lambda server: server["flavor_id"],
        )

    @stackapi.action("confirmResize")
    @stackapi.response(204)
    def _confirm_resize(self, req: Request, id: str, body: dict) -> None:
        self._transition(
            req, id, "confirmResize", ("VERIFY_RESIZE",), status="ACTIVE", old_flavor_id=None
        )

    @stackapi.action("revertResize")
    @stackapi.response(202)
    def _revert_resize(self, req: Request, id: str, body: dict) -> None:
        self._transition(
            req,
            id,
            "revertResize",
            ("VERIFY_RESIZE",),
            status="ACTIVE",
            flavor_id=lambda server: server["old_flavor_id"],
            old_flavor_id=None,
        )

    @stackapi.action("os-resetState")
    @stackapi.response(202)
    @validate(schemas.RESET_STATE)
    def _reset_state(self, req: Request, id: str, body: dict) -> None:
        status = body["os-resetState"]["state"].upper()
        self._transition(req, id, "resetState", STATUSES, status=status, old_flavor_id=None)

    # --- helpers -----------------------------------------------------------------

    def _transition(
        self,
        req: Request,
        id: str,
        action: str,
        allowed: tuple[str, ...],
        check: Callable[[dict], None] | None = None,
        **changes: Any,
    ) -> None:
        """Check policy and state, then apply ``changes`` (values or ``f(server)``)."""
        server = self._get(req, id, lock=True)
        enforce(req, f"compute:servers:{action}", server)
        if server["status"] not in allowed:
            raise exc.HTTPConflict(
                explanation=f"Cannot '{action}' instance {id} while it is in "
                f"status {server['status']}"
            )
        if check is not None:
            check(server)
        values = {k: v(server) if callable(v) else v for k, v in changes.items()}
        values["updated"] = _now()
        database(req).execute(update(servers).where(servers.c.id == id).values(values))

    def _get(self, req: Request, id: str, lock: bool = False) -> dict:
        """The server ``id`` as the caller may see it: another project's is a 404.

        ``lock``: for a change, hold the row until the transaction ends (a
        concurrent change waits, then reads what this one left).
        """
        query = select(servers).where(servers.c.id == id)
        if lock:
            query = query.with_for_update()  # SQLite: no-op, BEGIN IMMEDIATE already serializes
        row = database(req).execute(query).mappings().first()
        if not _visible(req, row):
            raise exc.HTTPNotFound(explanation=f"Instance {id} could not be found.")
        return dict(row)

    def _list(self, req: Request, detail: bool) -> dict:
        query = select(servers).where(*self._filters(req))
        marker = req.GET.get("marker")
        limit = page_size(req)
        if marker is not None:
            query = query.where(servers.c.seq < self._seq(req, marker))
        rows = database(req).execute(query.order_by(servers.c.seq.desc()).limit(limit))
        listed = [self._view(req, dict(row), detail) for row in rows.mappings()]
        return page(req, "servers", listed, limit, detail)

    def _seq(self, req: Request, marker: str) -> int:
        """Where the page after ``marker`` starts; a marker the caller cannot see is a 400."""
        query = select(servers.c.seq, servers.c.project_id).where(servers.c.id == marker)
        row = database(req).execute(query).mappings().first()
        if not _visible(req, row):
            raise exc.HTTPBadRequest(explanation=f"marker [{marker}] not found")
        return row["seq"]

    def _filters(self, req: Request) -> list[ColumnElement[bool]]:
        """SQL conditions for ``name`` (substring), ``status``, ``flavor``, the project."""
        clauses: list[ColumnElement[bool]] = []
        if req.GET.get("all_tenants", "0") in _TRUE:
            enforce(req, "compute:servers:index:get_all_tenants")
        else:
            clauses.append(servers.c.project_id == req.context.project_id)
        status = req.GET.get("status")
        if status is not None:
            if status.upper() not in STATUSES:
                raise exc.HTTPBadRequest(
                    explanation=f"Invalid status value {status!r}: one of {', '.join(STATUSES)}"
                )
            clauses.append(servers.c.status == status.upper())
        if "name" in req.GET:
            clauses.append(_contains(database(req).dialect.name, req.GET["name"]))
        if "flavor" in req.GET:
            clauses.append(servers.c.flavor_id == req.GET["flavor"])
        return clauses

    def _view(self, req: Request, server: dict, detail: bool = True) -> dict:
        links = item_links(req, "servers", server["id"])
        if not detail:
            return {"id": server["id"], "name": server["name"], "links": links}
        image = server["image_ref"]
        view = {
            "id": server["id"],
            "name": server["name"],
            "status": server["status"],
            "tenant_id": server["project_id"],
            "user_id": server["user_id"],
            "metadata": json.loads(server["metadata"]),
            "image": {"id": image, "links": item_links(req, "images", image)[1:]} if image else "",
            "flavor": self._flavor(req, server["flavor_id"]),
            "addresses": {},
            "created": server["created"],
            "updated": server["updated"],
            "links": links,
        }
        if req.api_version >= "2.2":
            view["description"] = server["description"]
        return view

    @api_version("2.1", "2.2")
    def _flavor(self, req: Request, flavor_id: str) -> dict:
        """Before 2.3, a server's flavor is a reference: id and bookmark link."""
        href = f"{bookmark_base(req)}/flavors/{flavor_id}"
        return {"id": flavor_id, "links": [{"rel": "bookmark", "href": href}]}

    @_flavor.api_version("2.3")
    def _flavor(self, req: Request, flavor_id: str) -> dict:  # noqa: F811
        """From 2.3, the flavor itself (as nova 2.47): what the server was built with."""
        flavor = find_flavor(flavor_id) or {"name": flavor_id, "vcpus": 0, "ram": 0, "disk": 0}
        return {k: flavor[k] for k in ("vcpus", "ram", "disk")} | {"original_name": flavor["name"]}
