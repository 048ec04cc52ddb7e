"""``/servers/{server_id}/metadata`` and ``/metadata/{key}``: nova's server metadata API."""

from __future__ import annotations

import json

from sqlalchemy import update
from webob import exc

import stackapi
from stackapi.controller import expected_errors
from stackapi.demo import schemas
from stackapi.demo.servers import get_server, now, refuse_if_locked
from stackapi.demo.store import database
from stackapi.demo.tables import servers
from stackapi.policy import enforce
from stackapi.request import Request
from stackapi.validation import validate

#: nova's ``[quota] metadata_items``.
MAX_ITEMS = 128


class ServerMetadataController(stackapi.Controller):
    """The metadata of one server, as nova serves it.

    ===========================================  =====================================
    ``GET /servers/{id}/metadata``               ``{"metadata": {...}}``
    ``POST /servers/{id}/metadata``              merge the body's items; all of them
    ``PUT /servers/{id}/metadata``               replace all of them
    ``GET /servers/{id}/metadata/{key}``         ``{"meta": {key: value}}``
    ``PUT /servers/{id}/metadata/{key}``         set one item; body ``{"meta": {key: v}}``
    ``DELETE /servers/{id}/metadata/{key}``      204
    ===========================================  =====================================
    """

    @expected_errors(404)
    def index(self, req: Request, server_id: str) -> dict:
        return {"metadata": _items(self._read(req, server_id, "show"))}

    @expected_errors((400, 403, 404, 409))
    @validate(schemas.METADATA_BODY)
    def create(self, req: Request, server_id: str, body: dict) -> dict:
        server = self._read(req, server_id, "create")
        items = {**_items(server), **body["metadata"]}
        return {"metadata": self._write(req, server, items)}

    @expected_errors((400, 403, 404, 409))
    @validate(schemas.METADATA_BODY)
    def update_all(self, req: Request, server_id: str, body: dict) -> dict:
        server = self._read(req, server_id, "update_all")
        return {"metadata": self._write(req, server, dict(body["metadata"]))}

    @expected_errors(404)
    def show(self, req: Request, server_id: str, id: str) -> dict:
        items = _items(self._read(req, server_id, "show"))
        if id not in items:
            raise exc.HTTPNotFound(explanation="Metadata item was not found")
        return {"meta": {id: items[id]}}

    @expected_errors((400, 403, 404, 409))
    def update(self, req: Request, server_id: str, id: str, body: dict) -> dict:
        meta = body.get("meta")
        if isinstance(meta, dict) and id not in meta:
            raise exc.HTTPBadRequest(explanation="Request body and URI mismatch")
        if isinstance(meta, dict) and len(meta) > 1:
            raise exc.HTTPBadRequest(explanation="Request body contains too many items")
        return self._update_item(req, server_id, id, body)

    @validate(schemas.META_ITEM)
    def _update_item(self, req: Request, server_id: str, id: str, body: dict) -> dict:
        server = self._read(req, server_id, "update")
        items = {**_items(server), id: body["meta"][id]}
        self._write(req, server, items)
        return {"meta": {id: items[id]}}

    @expected_errors((404, 409))
    def delete(self, req: Request, server_id: str, id: str) -> None:
        server = self._read(req, server_id, "delete")
        items = _items(server)
        if id not in items:
            raise exc.HTTPNotFound(explanation="Metadata item was not found")
        del items[id]
        self._write(req, server, items)

    def _read(self, req: Request, server_id: str, rule: str) -> dict:
        """The server, policy checked; a change locks its row (concurrent changes in turn)."""
        server = get_server(req, server_id, lock=rule != "show")
        enforce(req, f"compute:server_metadata:{rule}", server)
        return server

    def _write(self, req: Request, server: dict, items: dict) -> dict:
        """As nova's compute API: a locked server (409), then the quota (403)."""
        refuse_if_locked(req, server)
        if len(items) > MAX_ITEMS:
            raise exc.HTTPForbidden(
                explanation=f"Quota exceeded for metadata_items: Requested {len(items)}, "
                f"but already used 0 of {MAX_ITEMS} metadata_items"
            )
        values = {"metadata": json.dumps(items), "updated": now()}
        database(req).execute(update(servers).where(servers.c.id == server["id"]).values(values))
        return items


def _items(server: dict) -> dict:
    return json.loads(server["metadata"])
