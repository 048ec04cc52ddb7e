"""Flavors: read-only, nova's classic five, in nova's shapes (``{"flavors": [...]}``)."""

from __future__ import annotations

from webob import exc

import stackapi
from stackapi.demo import schemas
from stackapi.demo.paging import item_links, page, page_size
from stackapi.request import Request
from stackapi.validation import validate

#: id -> (name, vcpus, ram MiB, disk GiB): the flavors nova used to create by default.
FLAVORS = {
    "1": ("m1.tiny", 1, 512, 1),
    "2": ("m1.small", 1, 2048, 20),
    "3": ("m1.medium", 2, 4096, 40),
    "4": ("m1.large", 4, 8192, 80),
    "5": ("m1.xlarge", 8, 16384, 160),
}


def find_flavor(flavor_id: object) -> dict | None:
    """The flavor with this id (``"2"`` or ``2``), as a dict, or None."""
    row = FLAVORS.get(str(flavor_id))
    if row is None:
        return None
    name, vcpus, ram, disk = row
    return {"id": str(flavor_id), "name": name, "vcpus": vcpus, "ram": ram, "disk": disk}


class FlavorsController(stackapi.Controller):
    """``GET /flavors``, ``/flavors/detail``, ``/flavors/{id}``; nothing else (405)."""

    @validate(query=schemas.PAGING_QUERY)
    def index(self, req: Request) -> dict:
        return self._list(req, detail=False)

    @validate(query=schemas.PAGING_QUERY)
    def detail(self, req: Request) -> dict:
        return self._list(req, detail=True)

    def show(self, req: Request, id: str) -> dict:
        flavor = find_flavor(id)
        if flavor is None:
            raise exc.HTTPNotFound(explanation=f"Flavor {id} could not be found.")
        return {"flavor": self._view(req, flavor, detail=True)}

    def _list(self, req: Request, detail: bool) -> dict:
        ids = sorted(FLAVORS, key=int)
        marker = req.GET.get("marker")
        if marker is not None:
            if marker not in FLAVORS:
                raise exc.HTTPBadRequest(explanation=f"marker [{marker}] not found")
            ids = ids[ids.index(marker) + 1 :]
        limit = page_size(req)
        flavors = [self._view(req, find_flavor(i), detail) for i in ids[:limit]]
        return page(req, "flavors", flavors, limit, detail)

    def _view(self, req: Request, flavor: dict | None, detail: bool) -> dict:
        assert flavor is not None
        view = {"id": flavor["id"], "name": flavor["name"]}
        if detail:
            view.update(
                ram=flavor["ram"],
                vcpus=flavor["vcpus"],
                disk=flavor["disk"],
                **{"OS-FLV-EXT-DATA:ephemeral": 0, "os-flavor-access:is_public": True},
            )
        view["links"] = item_links(req, "flavors", flavor["id"])
        return view
