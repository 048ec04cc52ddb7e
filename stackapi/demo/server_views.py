"""What a server looks like on the wire, per microversion, as nova's views/servers.py builds it.

The demo has no hosts, networks or volumes of its own: the fields they would
fill hold what nova answers for a server freshly built on a single compute
host with ``networks: none`` (docs/demo.md, "Fields without backing").
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid

from stackapi.demo.flavors import find_flavor
from stackapi.demo.paging import bookmark_base, item_links
from stackapi.request import Request

#: The one compute host every demo server runs on.
HOST = "stackapi-demo"
AVAILABILITY_ZONE = "nova"
#: status -> (OS-EXT-STS:vm_state, OS-EXT-STS:power_state) as nova records them.
STATES = {
    "ACTIVE": ("active", 1),
    "PAUSED": ("paused", 3),
    "SHUTOFF": ("stopped", 4),
    "VERIFY_RESIZE": ("resized", 1),
    "ERROR": ("error", 1),
}
#: nova shows ``progress`` only in these statuses.
_PROGRESS_STATUSES = ("ACTIVE", "VERIFY_RESIZE")
#: Root volumes of servers booted from volume get a stable id derived from the server's.
_VOLUME_NAMESPACE = uuid.UUID("3b0c4b3e-6a6f-4c1e-9d43-2f4e6b8f0a11")


def host_id(project_id: str) -> str:
    """nova's ``hostId``: sha224 of project id + host, so it differs per project."""
    return hashlib.sha224((project_id + HOST).encode()).hexdigest()


def root_volume_id(server_id: str) -> str:
    """The id of the root volume of a server booted from volume (stable, derived)."""
    return str(uuid.uuid5(_VOLUME_NAMESPACE, server_id))


def reservation_id(server: dict) -> str:
    """``r-xxxxxxxx``, shared by the servers one create request made.

    Stored since schema revision 0002 (which gave the rows before it the id
    derived here); a row written by a server of the previous release during a
    rolling upgrade has none, and shows the derived one.
    """
    if server.get("reservation_id"):
        return server["reservation_id"]
    key = "|".join(
        str(server[k]) for k in ("project_id", "user_id", "created", "flavor_id", "image_ref")
    )
    return "r-" + hashlib.sha1(key.encode()).hexdigest()[:8]


def disk_config(server: dict) -> str:
    """``OS-DCF:diskConfig``: AUTO or MANUAL, as the server was created (or updated)."""
    return "AUTO" if server.get("auto_disk_config") else "MANUAL"


def hostname(name: str) -> str:
    """nova's sanitized hostname of a display name (``web 1`` -> ``web-1``)."""
    text = re.sub(r"[^\w.-]+", "-", name.lower(), flags=re.ASCII).strip(".-")
    return text[:63] or "server"


def basic(req: Request, server: dict) -> dict:
    """The view ``PUT /servers/{id}`` answers with (nova before 2.75): no extended attributes."""
    view = {
        "id": server["id"],
        "name": server["name"],
        "status": server["status"],
        "tenant_id": server["project_id"],
        "user_id": server["user_id"],
        "metadata": json.loads(server["metadata"]),
        "hostId": host_id(server["project_id"]),
        "image": _image(req, server["image_ref"]),
        "flavor": flavor(req, server["flavor_id"]),
        "created": server["created"],
        "updated": server["updated"],
        "addresses": {},
        "accessIPv4": server.get("access_ip_v4") or "",
        "accessIPv6": server.get("access_ip_v6") or "",
        "links": item_links(req, "servers", server["id"]),
        "OS-DCF:diskConfig": disk_config(server),
    }
    if server["status"] in _PROGRESS_STATUSES:
        view["progress"] = 0
    if req.api_version >= "2.9":
        view["locked"] = bool(server.get("locked_by"))
    if req.api_version >= "2.19":
        view["description"] = server["description"]
    if req.api_version >= "2.26":
        view["tags"] = list(server.get("tags", []))
    return view


def detail(req: Request, server: dict) -> dict:
    """``GET /servers/{id}`` and each server of ``/servers/detail``."""
    view = basic(req, server)
    vm_state, power_state = STATES[server["status"]]
    volumes = [] if server["image_ref"] else [{"id": root_volume_id(server["id"])}]
    if req.api_version >= "2.3":
        volumes = [dict(v, delete_on_termination=False) for v in volumes]
    view.update(
        {
            "OS-EXT-AZ:availability_zone": AVAILABILITY_ZONE,
            # nova's column is a string: "True", or "" for none
            "config_drive": "True" if server.get("config_drive") else "",
            "key_name": None,
            "OS-SRV-USG:launched_at": server["created"].replace("Z", ".000000"),
            "OS-SRV-USG:terminated_at": None,
            "OS-EXT-STS:task_state": None,
            "OS-EXT-STS:vm_state": vm_state,
            "OS-EXT-STS:power_state": power_state,
            "os-extended-volumes:volumes_attached": volumes,
        }
    )
    if req.context.is_admin:
        view.update(_admin_attributes(req, server))
    return view


def _admin_attributes(req: Request, server: dict) -> dict:
    """``OS-EXT-SRV-ATTR:*`` and ``host_status``: admins only, by nova's default policy."""
    attrs = {
        "OS-EXT-SRV-ATTR:host": HOST,
        "OS-EXT-SRV-ATTR:hypervisor_hostname": HOST,
        "OS-EXT-SRV-ATTR:instance_name": f"instance-{server['seq']:08x}",
    }
    if req.api_version >= "2.3":
        attrs.update(
            {
                "OS-EXT-SRV-ATTR:reservation_id": reservation_id(server),
                "OS-EXT-SRV-ATTR:launch_index": server.get("launch_index") or 0,
                "OS-EXT-SRV-ATTR:hostname": hostname(server["name"]),
                "OS-EXT-SRV-ATTR:kernel_id": "",
                "OS-EXT-SRV-ATTR:ramdisk_id": "",
                "OS-EXT-SRV-ATTR:root_device_name": "/dev/vda",
                "OS-EXT-SRV-ATTR:user_data": server.get("user_data"),
            }
        )
    if req.api_version >= "2.16":
        attrs["host_status"] = "UP"
    return attrs


def _image(req: Request, image_ref: str | None) -> dict | str:
    """A reference to the image, or "" for a server booted from volume (as nova)."""
    if not image_ref:
        return ""
    href = f"{bookmark_base(req)}/images/{image_ref}"
    return {"id": image_ref, "links": [{"rel": "bookmark", "href": href}]}


def flavor(req: Request, flavor_id: str) -> dict:
    """Before 2.47 a reference (id, bookmark); from 2.47 the flavor itself, as built."""
    if req.api_version < "2.47":
        href = f"{bookmark_base(req)}/flavors/{flavor_id}"
        return {"id": flavor_id, "links": [{"rel": "bookmark", "href": href}]}
    found = find_flavor(flavor_id)
    if found is None:  # not possible with the demo's fixed flavors; nova keeps a copy
        return {"original_name": flavor_id}
    return {
        "vcpus": found["vcpus"],
        "ram": found["ram"],
        "disk": found["disk"],
        "ephemeral": found["ephemeral"],
        "swap": found["swap"],
        "original_name": found["name"],
        "extra_specs": dict(found["extra_specs"]),
    }
