"""Flavors: read-only, nova's classic five, in nova's shapes per microversion.

``GET /flavors``, ``/flavors/detail``, ``/flavors/{id}``, and the read half of
``/flavors/{id}/os-extra_specs`` (the demo's flavors have none).  From 2.55 a
flavor has a ``description`` (``null`` for these, as nova's defaults); from
2.61 ``detail`` and ``show`` carry its ``extra_specs``.
"""

from __future__ import annotations

from webob import exc

import stackapi
from stackapi.controller import expected_errors
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
    return {
        "id": str(flavor_id),
        "name": name,
        "vcpus": vcpus,
        "ram": ram,
        "disk": disk,
        "ephemeral": 0,
        "swap": 0,
        "description": None,
        "extra_specs": {},
    }


def _flavor_or_404(flavor_id: str) -> dict:
    flavor = find_flavor(flavor_id)
    if flavor is None:
        raise exc.HTTPNotFound(explanation=f"Flavor {flavor_id} could not be found.")
    return flavor


class FlavorsController(stackapi.Controller):
    """``GET /flavors``, ``/flavors/detail``, ``/flavors/{id}``; nothing else (405).

    Filters as nova's: ``minRam``, ``minDisk``, ``is_public`` (admins only;
    every demo flavor is public: ``false`` lists none), ``limit``/``marker``;
    sorted by id.
    """

    @expected_errors(400)
    @validate(query=schemas.FLAVORS_QUERY)
    def index(self, req: Request) -> dict:
        return self._list(req, detail=False)

    @expected_errors(400)
    @validate(query=schemas.FLAVORS_QUERY)
    def detail(self, req: Request) -> dict:
        return self._list(req, detail=True)

    @expected_errors(404)
    def show(self, req: Request, id: str) -> dict:
        return {"flavor": self._view(req, _flavor_or_404(id), detail=True)}

    def _list(self, req: Request, detail: bool) -> dict:
        ids = sorted(FLAVORS, key=int)
        _public(req)  # a 400 for a bad is_public even when no flavor is left to filter
        marker = req.GET.get("marker")
        if marker is not None:
            if marker not in FLAVORS:
                raise exc.HTTPBadRequest(explanation=f"marker [{marker}] not found")
            ids = ids[ids.index(marker) + 1 :]
        flavors = [find_flavor(i) for i in ids]
        chosen = [f for f in flavors if f is not None and _wanted(req, f)]
        limit = page_size(req)
        views = [self._view(req, f, detail) for f in chosen[:limit]]
        return page(req, "flavors", views, limit, detail)

    def _view(self, req: Request, flavor: dict, detail: bool) -> dict:
        """nova's views/flavors.py: ``basic`` for the index, ``show`` for detail and show."""
        view = {"id": flavor["id"], "name": flavor["name"]}
        if detail:
            view.update(
                {
                    "ram": flavor["ram"],
                    "vcpus": flavor["vcpus"],
                    "disk": flavor["disk"],
                    # nova says "" for no swap until 2.75 (then 0)
                    "swap": flavor["swap"] or "",
                    "rxtx_factor": 1.0,
                    "OS-FLV-EXT-DATA:ephemeral": flavor["ephemeral"],
                    "OS-FLV-DISABLED:disabled": False,
                    "os-flavor-access:is_public": True,
                }
            )
        view["links"] = item_links(req, "flavors", flavor["id"])
        if req.api_version >= "2.55":
            view["description"] = flavor["description"]
        if detail and req.api_version >= "2.61":
            view["extra_specs"] = dict(flavor["extra_specs"])
        return view


_TRUE = ("1", "t", "true", "on", "y", "yes")  # oslo's bool_from_string, strict
_FALSE = ("0", "f", "false", "off", "n", "no")


def _wanted(req: Request, flavor: dict) -> bool:
    """nova's filters: ``minRam``, ``minDisk`` (at least), ``is_public`` (see below)."""
    if flavor["ram"] < int(req.GET.get("minRam", 0)):
        return False
    if flavor["disk"] < int(req.GET.get("minDisk", 0)):
        return False
    return _public(req) is not False  # every demo flavor is public


def _public(req: Request) -> bool | None:
    """nova's ``is_public`` filter: read from admins only (anyone else: True).

    ``none`` (any case): every flavor; oslo's strict boolean words; else 400.
    """
    is_public = req.GET.get("is_public")
    if is_public is None or not req.context.is_admin:
        return True
    if is_public.lower() == "none":
        return None
    if is_public.strip().lower() in _TRUE:
        return True
    if is_public.strip().lower() in _FALSE:
        return False
    raise exc.HTTPBadRequest(explanation=f"Invalid is_public filter [{is_public}]")


class FlavorExtraSpecsController(stackapi.Controller):
    """``GET /flavors/{flavor_id}/os-extra_specs`` (and ``/{key}``): read-only, empty."""

    @expected_errors(404)
    def index(self, req: Request, flavor_id: str) -> dict:
        return {"extra_specs": dict(_flavor_or_404(flavor_id)["extra_specs"])}

    @expected_errors(404)
    def show(self, req: Request, flavor_id: str, id: str) -> dict:
        specs = _flavor_or_404(flavor_id)["extra_specs"]
        if id not in specs:
            raise exc.HTTPNotFound(
                explanation=f"Flavor {flavor_id} has no extra specs with key {id}."
            )
        return {id: specs[id]}
