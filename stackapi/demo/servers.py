"""Servers: nova's CRUD, paging, filters and actions, on the demo's database (SQLAlchemy Core).

Each request runs in the transaction the Router opened (``database(req)``):
a refused or failed request changes nothing.  A request that changes a
server locks its row before reading it (``get_server(..., lock=True)``), so
concurrent changes of one server apply one after the other.  Callers see
their own project's servers (admins: any; ``?all_tenants=1`` lists them all).
The shapes are nova's per microversion (``server_views``); the create checks
in ``server_create``.
"""

from __future__ import annotations

import datetime
import json
import secrets
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    delete,
    exists,
    func,
    insert,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy import exc as sa_exc
from webob import exc

import stackapi
from stackapi.controller import expected_errors
from stackapi.demo import schemas, server_views
from stackapi.demo.flavors import find_flavor
from stackapi.demo.paging import item_links, page, page_size
from stackapi.demo.server_create import QUOTA, CreateRequest
from stackapi.demo.store import database, describe
from stackapi.demo.tables import server_tags, servers
from stackapi.policy import authorize, enforce
from stackapi.request import Request
from stackapi.validation import validate

STATUSES = tuple(server_views.STATES)
#: Every status nova's ``?status=`` knows (its _STATE_MAP): those the demo's servers
#: never have list nothing; any other is nova's 400 from 2.38, an empty list before.
NOVA_STATUSES = frozenset(
    {"BUILD", "REBUILD", "REBOOT", "HARD_REBOOT", "PASSWORD", "MIGRATING", "RESIZE",
     "REVERT_RESIZE", "SUSPENDED", "RESCUE", "DELETED", "SOFT_DELETED", "SHELVED",
     "SHELVED_OFFLOADED", *STATUSES}
)  # fmt: skip
#: What ``PUT /servers/{id}`` may change: body field -> column (the schema says from when).
_UPDATABLE = {
    "name": "name",
    "description": "description",
    "accessIPv4": "access_ip_v4",
    "accessIPv6": "access_ip_v6",
}
_TRUE = ("", "1", "true", "True")
_INVALID_REGULAR_EXPRESSION = "2201B"  # PostgreSQL's SQLSTATE


def visible(req: Request, row: Any) -> bool:
    """A server row the caller may see: its project's, or any for an admin."""
    ctx = req.context
    return row is not None and (ctx.is_admin or row["project_id"] == ctx.project_id)


def get_server(req: Request, id: str, lock: bool = False) -> dict:
    """The server ``id`` as the caller may see it: another project's is a 404.

    ``lock``: for a change, hold the row until the transaction ends (a
    concurrent change waits, then reads what this one left).
    """
    query = select(servers).where(servers.c.id == id)
    if lock:
        query = query.with_for_update()  # SQLite: no-op, BEGIN IMMEDIATE already serializes
    row = database(req).execute(query).mappings().first()
    if not visible(req, row):
        raise exc.HTTPNotFound(explanation=f"Instance {id} could not be found.")
    return dict(row)


def with_tags(req: Request, found: list[dict]) -> list[dict]:
    """``found`` with each server's ``tags`` (sorted), read in one query from 2.26 on."""
    tags: dict[str, list[str]] = {server["id"]: [] for server in found}
    if tags and req.api_version >= "2.26":
        query = (
            select(server_tags.c.server_id, server_tags.c.tag)
            .where(server_tags.c.server_id.in_(list(tags)))
            .order_by(server_tags.c.tag)
        )
        for server_id, tag in database(req).execute(query):
            tags[server_id].append(tag)
    return [{**server, "tags": tags[server["id"]]} for server in found]


def refuse_if_locked(req: Request, server: dict) -> None:
    """nova's ``check_instance_lock``: a locked server changes only by an admin's hand (409)."""
    if server["locked_by"] and not req.context.is_admin:
        raise exc.HTTPConflict(explanation=f"Instance {server['id']} is locked")


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class ServersController(stackapi.Controller):
    """``/servers``: what nova's clients send and expect, backed by the demo's Store."""

    # --- collection ----------------------------------------------------------------

    @expected_errors(400, 403)
    @authorize("compute:servers:index")
    @validate(query=schemas.SERVERS_QUERY)
    def index(self, req: Request) -> dict:
        return self._list(req, detail=False)

    @expected_errors(400, 403)
    @authorize("compute:servers:detail")
    @validate(query=schemas.SERVERS_QUERY)
    def detail(self, req: Request) -> dict:
        return self._list(req, detail=True)

    @expected_errors(400, 403, 409)
    @authorize("compute:servers:create")
    @validate(schemas.CREATE, max_version="2.18")
    @validate(schemas.CREATE_V219, min_version="2.19", max_version="2.31")
    @validate(schemas.CREATE_V232, min_version="2.32", max_version="2.32")
    @validate(schemas.CREATE_V233, min_version="2.33", max_version="2.36")
    @validate(schemas.CREATE_V237, min_version="2.37", max_version="2.41")
    @validate(schemas.CREATE_V242, min_version="2.42", max_version="2.51")
    @validate(schemas.CREATE_V252, min_version="2.52", max_version="2.56")
    @validate(schemas.CREATE_V257, min_version="2.57")
    @stackapi.response(202)
    def create(self, req: Request, body: dict) -> stackapi.ResponseObject:
        request = CreateRequest(req, body)
        count = request.count(self._used(req))
        ctx, created, rows = req.context, now(), []
        for index in range(count):
            rows.append(
                {
                    "id": str(uuid.uuid4()),
                    "project_id": ctx.project_id,
                    "user_id": ctx.user_id,
                    "name": request.name if count == 1 else f"{request.name}-{index + 1}",
                    "description": request.description,
                    "flavor_id": request.flavor["id"],
                    "image_ref": request.image_ref,
                    "status": "ACTIVE",
                    "metadata": json.dumps(request.metadata),
                    "created": created,
                    "updated": created,
                    "access_ip_v4": request.access_ip_v4,
                    "access_ip_v6": request.access_ip_v6,
                    "user_data": request.user_data,
                    "config_drive": request.config_drive,
                    "auto_disk_config": request.auto_disk_config,
                    "reservation_id": request.reservation_id,
                    "launch_index": index,
                }
            )
        database(req).execute(insert(servers), rows)  # one executemany for every server
        tags = [{"server_id": row["id"], "tag": tag} for row in rows for tag in request.tags]
        if tags:
            database(req).execute(insert(server_tags), tags)
        ids = [row["id"] for row in rows]
        if request.return_reservation_id:
            return stackapi.ResponseObject({"reservation_id": request.reservation_id})
        links = item_links(req, "servers", ids[0])
        view = {
            "id": ids[0],
            "links": links,
            "OS-DCF:diskConfig": "AUTO" if request.auto_disk_config else "MANUAL",
            "security_groups": request.security_groups,
            "adminPass": request.admin_pass or secrets.token_urlsafe(9),
        }
        return stackapi.ResponseObject({"server": view}, headers={"Location": links[0]["href"]})

    def _used(self, req: Request) -> int:
        """The project's servers, counted where no concurrent create can pass the quota:
        on PostgreSQL a transaction lock per project holds the next create of that
        project until this one commits (SQLite's write transactions are one at a time)."""
        db = database(req)
        if db.dialect.name == "postgresql":
            project = func.hashtext(req.context.project_id)
            db.execute(select(func.pg_advisory_xact_lock(project)))
        query = select(func.count()).where(servers.c.project_id == req.context.project_id)
        return int(db.execute(query).scalar_one())

    # --- member ------------------------------------------------------------------

    @expected_errors(404)
    def show(self, req: Request, id: str) -> dict:
        server = get_server(req, id)
        enforce(req, "compute:servers:show", server)
        return {"server": server_views.detail(req, with_tags(req, [server])[0])}

    @expected_errors((400, 404))
    @validate(schemas.UPDATE, max_version="2.18")
    @validate(schemas.UPDATE_V219, min_version="2.19")
    def update(self, req: Request, id: str, body: dict) -> dict:
        changes = body["server"]
        server = get_server(req, id, lock=True)
        enforce(req, "compute:servers:update", server)
        for field, column in _UPDATABLE.items():
            if field in changes:
                server[column] = changes[field]
        if "OS-DCF:diskConfig" in changes:
            server["auto_disk_config"] = changes["OS-DCF:diskConfig"] == "AUTO"
        server["updated"] = now()
        columns = (*_UPDATABLE.values(), "auto_disk_config", "updated")
        values = {k: server[k] for k in columns}
        database(req).execute(update(servers).where(servers.c.id == id).values(values))
        return {"server": server_views.basic(req, with_tags(req, [server])[0])}

    @expected_errors((404, 409))
    def delete(self, req: Request, id: str) -> None:
        server = get_server(req, id, lock=True)
        enforce(req, "compute:servers:delete", server)
        refuse_if_locked(req, server)
        database(req).execute(delete(servers).where(servers.c.id == id))
        database(req).execute(delete(server_tags).where(server_tags.c.server_id == id))

    # --- actions -----------------------------------------------------------------

    @stackapi.action("reboot")
    @stackapi.response(202)
    @expected_errors((404, 409))
    @validate(schemas.REBOOT)
    def _reboot(self, req: Request, id: str, body: dict) -> None:
        hard = body["reboot"]["type"].upper() == "HARD"
        allowed = ("ACTIVE", "PAUSED", "SHUTOFF", "ERROR") if hard else ("ACTIVE",)
        self._transition(req, id, "reboot", allowed, status="ACTIVE")

    @stackapi.action("pause")
    @stackapi.response(202)
    @expected_errors((404, 409, 501))
    @validate(schemas.no_arguments("pause"))
    def _pause(self, req: Request, id: str, body: dict) -> None:
        self._transition(req, id, "pause", ("ACTIVE",), status="PAUSED")

    @stackapi.action("unpause")
    @stackapi.response(202)
    @expected_errors((404, 409, 501))
    @validate(schemas.no_arguments("unpause"))
    def _unpause(self, req: Request, id: str, body: dict) -> None:
        self._transition(req, id, "unpause", ("PAUSED",), status="ACTIVE")

    @stackapi.action("os-stop")
    @stackapi.response(202)
    @expected_errors((404, 409))
    @validate(schemas.no_arguments("os-stop"))
    def _stop(self, req: Request, id: str, body: dict) -> None:
        self._transition(req, id, "stop", ("ACTIVE", "ERROR"), status="SHUTOFF")

    @stackapi.action("os-start")
    @stackapi.response(202)
    @expected_errors((404, 409))
    @validate(schemas.no_arguments("os-start"))
    def _start(self, req: Request, id: str, body: dict) -> None:
        self._transition(req, id, "start", ("SHUTOFF",), status="ACTIVE")

    @stackapi.action("resize")
    @stackapi.response(202)
    @expected_errors((400, 401, 403, 404, 409))
    @validate(schemas.RESIZE)
    def _resize(self, req: Request, id: str, body: dict) -> None:
        # OS-DCF:diskConfig: checked by the schema; nova's resize checks it against
        # the image and keeps the server's own (the demo's image allows both).
        flavor_id = str(body["resize"]["flavorRef"]).rstrip("/").rpartition("/")[2]
        flavor = find_flavor(flavor_id)
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
            ("ACTIVE", "SHUTOFF"),
            status="VERIFY_RESIZE",
            check=check,
            flavor_id=flavor["id"],
            old_flavor_id=lambda server: server["flavor_id"],
        )

    @stackapi.action("confirmResize")
    @stackapi.response(204)
    @expected_errors((400, 404, 409))
    @validate(schemas.no_arguments("confirmResize"))
    def _confirm_resize(self, req: Request, id: str, body: dict) -> None:
        self._transition(
            req, id, "confirmResize", ("VERIFY_RESIZE",), status="ACTIVE", old_flavor_id=None
        )

    @stackapi.action("revertResize")
    @stackapi.response(202)
    @expected_errors((400, 404, 409))
    @validate(schemas.no_arguments("revertResize"))
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
    @expected_errors((400, 404))
    @validate(schemas.RESET_STATE)
    def _reset_state(self, req: Request, id: str, body: dict) -> None:
        status = body["os-resetState"]["state"].upper()
        self._transition(
            req, id, "resetState", STATUSES, status=status, old_flavor_id=None, locks=False
        )

    @stackapi.action("lock")
    @stackapi.response(202)
    @expected_errors(404)
    @validate(schemas.LOCK)
    def _lock(self, req: Request, id: str, body: dict) -> None:
        """nova's lock: by the owner's project (``owner``) or by an admin of another."""
        server = get_server(req, id, lock=True)
        enforce(req, "compute:servers:lock", server)
        owner = server["project_id"] == req.context.project_id
        if server["locked_by"] and owner:
            return  # nova: the owner locking again changes nothing
        self._save(req, id, locked_by="owner" if owner else "admin")

    @stackapi.action("unlock")
    @stackapi.response(202)
    @expected_errors(404)
    @validate(schemas.UNLOCK)
    def _unlock(self, req: Request, id: str, body: dict) -> None:
        """nova's unlock: a lock an admin of another project set needs ``unlock_override``."""
        server = get_server(req, id, lock=True)
        enforce(req, "compute:servers:unlock", server)
        owner = server["project_id"] == req.context.project_id
        if server["locked_by"] and server["locked_by"] != ("owner" if owner else "admin"):
            enforce(req, "compute:servers:unlock:unlock_override", server)
        self._save(req, id, locked_by=None)

    # --- helpers -----------------------------------------------------------------

    def _transition(
        self,
        req: Request,
        id: str,
        action: str,
        allowed: tuple[str, ...],
        check: Callable[[dict], None] | None = None,
        locks: bool = True,
        **changes: Any,
    ) -> None:
        """Check policy, lock and state, then apply ``changes`` (values or ``f(server)``).

        ``locks``: whether nova refuses the action on a locked server (409) to
        anyone but an admin.
        """
        server = get_server(req, id, lock=True)
        enforce(req, f"compute:servers:{action}", server)
        if locks:
            refuse_if_locked(req, server)
        if server["status"] not in allowed:
            vm_state = server_views.STATES[server["status"]][0]
            raise exc.HTTPConflict(
                explanation=f"Cannot '{action}' instance {id} while it is in vm_state {vm_state}"
            )
        if check is not None:
            check(server)
        self._save(req, id, **{k: v(server) if callable(v) else v for k, v in changes.items()})

    @staticmethod
    def _save(req: Request, id: str, **values: Any) -> None:
        values["updated"] = now()
        database(req).execute(update(servers).where(servers.c.id == id).values(values))

    def _list(self, req: Request, detail: bool) -> dict:
        query = select(servers).where(*_filters(req))
        marker = req.GET.get("marker")
        limit = page_size(req)
        if marker is not None:
            query = query.where(servers.c.seq < self._seq(req, marker))
        try:
            result = database(req).execute(query.order_by(servers.c.seq.desc()).limit(limit))
        except sa_exc.DBAPIError as error:
            if getattr(error.orig, "sqlstate", None) != _INVALID_REGULAR_EXPRESSION:
                raise
            raise exc.HTTPBadRequest(  # Python's re took it, PostgreSQL's regex does not
                explanation=f"Invalid input for query parameters: {describe(error)}"
            ) from None
        rows = result.mappings().all()
        if detail:
            found = with_tags(req, [dict(row) for row in rows])
            listed = [server_views.detail(req, server) for server in found]
        else:
            listed = [
                {
                    "id": row["id"],
                    "name": row["name"],
                    "links": item_links(req, "servers", row["id"]),
                }
                for row in rows
            ]
        return page(req, "servers", listed, limit, detail)

    def _seq(self, req: Request, marker: str) -> int:
        """Where the page after ``marker`` starts; a marker the caller cannot see is a 400."""
        query = select(servers.c.seq, servers.c.project_id).where(servers.c.id == marker)
        row = database(req).execute(query).mappings().first()
        if not visible(req, row):
            raise exc.HTTPBadRequest(explanation=f"marker [{marker}] not found")
        return row["seq"]


def _filters(req: Request) -> list[ColumnElement[bool]]:
    """SQL conditions for the project and nova's filters the demo keeps.

    ``name`` and ``reservation_id`` are regular expressions, as in nova: a
    match anywhere in the value (``re.search`` on SQLite, ``~`` on
    PostgreSQL), case-sensitive; the query schema refused what does not
    compile.  ``image``, ``flavor``, ``status`` are exact.
    """
    clauses: list[ColumnElement[bool]] = []
    if req.GET.get("all_tenants", "0") in _TRUE:
        enforce(req, "compute:servers:index:get_all_tenants")
    else:
        clauses.append(servers.c.project_id == req.context.project_id)
    status = req.GET.get("status")
    if status is not None:
        if status.upper() not in NOVA_STATUSES and req.api_version >= "2.38":
            raise exc.HTTPBadRequest(explanation="Invalid status value")
        clauses.append(servers.c.status == status.upper())  # or none: not a demo status
    for key, column in (("name", servers.c.name), ("reservation_id", servers.c.reservation_id)):
        if key in req.GET:
            clauses.append(column.regexp_match(req.GET[key]))
    if "flavor" in req.GET:
        clauses.append(servers.c.flavor_id == req.GET["flavor"])
    if "image" in req.GET:
        clauses.append(servers.c.image_ref == req.GET["image"])
    if "changes-since" in req.GET:
        clauses.append(servers.c.updated >= _utc_text(req.GET["changes-since"]))
    if req.api_version >= "2.26":
        clauses.extend(_tag_filters(req))
    return clauses


def _tag_filters(req: Request) -> list[ColumnElement[bool]]:
    """nova's (2.26): ``tags`` all of, ``tags-any`` one of, ``not-tags`` not all of,
    ``not-tags-any`` none of; each a comma-separated list of exact tags."""

    def has(tag: str) -> ColumnElement[bool]:
        return exists().where(server_tags.c.server_id == servers.c.id, server_tags.c.tag == tag)

    clauses: list[ColumnElement[bool]] = []
    for key in ("tags", "tags-any", "not-tags", "not-tags-any"):
        if key not in req.GET:
            continue
        each = [has(tag) for tag in req.GET[key].split(",")]
        combined = or_(*each) if key.endswith("-any") else and_(*each)
        clauses.append(not_(combined) if key.startswith("not-") else combined)
    return clauses


def _utc_text(value: str) -> str:
    """An ISO 8601 time as the store writes times (UTC, ``...Z``); else nova's 400."""
    try:
        when = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.timezone.utc)
        when = when.astimezone(datetime.timezone.utc)  # OverflowError past year 9999
    except (ValueError, OverflowError):
        raise exc.HTTPBadRequest(
            explanation=f"Invalid input for query parameters changes-since. Value: {value}. "
            f"'{value}' is not a 'date-time'"
        ) from None
    # isoformat, not strftime: %Y does not pad years before 1000 to four digits
    return when.replace(tzinfo=None, microsecond=0).isoformat() + "Z"


__all__ = ["ServersController", "QUOTA", "get_server", "visible"]
