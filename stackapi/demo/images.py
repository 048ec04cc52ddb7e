"""The demo's images: one cirros, read-only, in glance's v2 shape, at ``/image``.

The compute API checks ``imageRef`` against :data:`IMAGES`; the image app lets
a client look an image up by name (``openstack server create --image cirros``):
``GET /image/`` lists the versions (no token), ``GET /image/v2/images`` (``?name=``,
``?id=in:a,b``, ``limit``/``marker``) and ``/image/v2/images/{id}``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import webob.exc

from stackapi.application import Application
from stackapi.controller import ResponseObject
from stackapi.request import Request
from stackapi.versions import url_join

#: The id of the demo's one image (``imageRef`` of a create).
CIRROS = "9d3b6e5a-5f3c-4a43-9f55-3c9e1c2f6a01"
#: The demo's images, by id: what glance would list after devstack's first start.
IMAGES = {
    CIRROS: {
        "name": "cirros",
        "disk_format": "qcow2",
        "container_format": "bare",
        "size": 21430272,
        "min_disk": 0,
        "min_ram": 0,
        "created_at": "2026-01-01T00:00:00Z",
    },
}
#: Who owns the demo's images (a project of its own, as an operator's upload would be).
OWNER = "admin"


def find_image(image_id: str) -> dict | None:
    """The image with this id (glance's shape, without links), or None."""
    image = IMAGES.get(image_id)
    if image is None:
        return None
    return {
        "id": image_id,
        "name": image["name"],
        "status": "active",
        "visibility": "public",
        "protected": False,
        "os_hidden": False,
        "tags": [],
        "container_format": image["container_format"],
        "disk_format": image["disk_format"],
        "size": image["size"],
        "virtual_size": None,
        "min_disk": image["min_disk"],
        "min_ram": image["min_ram"],
        "owner": OWNER,
        "created_at": image["created_at"],
        "updated_at": image["created_at"],
    }


class ImageVersions(Application):
    """``/image``: glance's versions document (300 Multiple Choices, as glance answers it)."""

    def handle(self, req: Request) -> Any:
        if req.method not in ("GET", "HEAD"):
            raise webob.exc.HTTPMethodNotAllowed(headers={"Allow": "GET, HEAD"})
        if req.path_info not in ("", "/"):
            raise webob.exc.HTTPNotFound(explanation="The resource could not be found.")
        href = url_join(req.application_url, "v2") + "/"
        version = {"id": "v2.16", "status": "CURRENT", "links": [{"rel": "self", "href": href}]}
        return ResponseObject({"versions": [version]}, code=300)


class ImagesApp(Application):
    """``/image/v2``: ``GET /images`` and ``GET /images/{id}``, read-only."""

    def handle(self, req: Request) -> Any:
        path = req.path_info.rstrip("/")
        if not path.startswith("/images"):
            raise webob.exc.HTTPNotFound(explanation="The resource could not be found.")
        if req.method not in ("GET", "HEAD"):
            raise webob.exc.HTTPMethodNotAllowed(headers={"Allow": "GET, HEAD"})
        if path == "/images":
            return self._list(req)
        image_id = path[len("/images/") :]
        image = find_image(image_id) if "/" not in image_id else None
        if image is None:
            raise webob.exc.HTTPNotFound(explanation=f"No image found with ID {image_id}")
        return _linked(image)

    def _list(self, req: Request) -> dict:
        images = [find_image(i) for i in sorted(IMAGES, key=lambda i: IMAGES[i]["name"])]
        chosen = [i for i in images if i is not None and _wanted(req, i)]
        marker = req.GET.get("marker")
        if marker is not None:
            ids = [i["id"] for i in chosen]
            if marker not in ids:
                raise webob.exc.HTTPBadRequest(explanation=f"Invalid marker {marker}")
            chosen = chosen[ids.index(marker) + 1 :]
        limit = _limit(req)
        page = chosen[:limit]
        result = {"images": [_linked(i) for i in page], "first": "/v2/images"}
        result["schema"] = "/v2/schemas/images"
        if page and len(page) == limit and len(chosen) > limit:
            params = [(k, v) for k, v in req.GET.items() if k != "marker"]
            result["next"] = "/v2/images?" + urlencode([*params, ("marker", page[-1]["id"])])
        return result


def _linked(image: dict) -> dict:
    return {
        **image,
        "self": f"/v2/images/{image['id']}",
        "file": f"/v2/images/{image['id']}/file",
        "schema": "/v2/schemas/image",
    }


def _wanted(req: Request, image: dict) -> bool:
    """glance's filters the clients use: ``name``, ``id`` (``in:a,b``), ``status``."""
    for key in ("name", "status", "visibility"):
        if key in req.GET and req.GET[key] != image[key]:
            return False
    wanted_id = req.GET.get("id")
    if wanted_id is not None:
        ids = wanted_id[3:].split(",") if wanted_id.startswith("in:") else [wanted_id]
        return image["id"] in ids
    return True


def _limit(req: Request) -> int:
    text = req.GET.get("limit", "25")
    if not (text.isascii() and text.isdigit()):  # "²" is a digit int() refuses
        raise webob.exc.HTTPBadRequest(explanation="limit param must be an integer")
    return min(int(text), 1000)
