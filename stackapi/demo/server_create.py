"""A ``POST /servers`` body, checked the way nova checks it, before anything is stored.

The schema (``schemas.CREATE*``) has already checked the shape; this is the
part nova does in code: flavor and image lookups, block devices, networks,
security groups, the availability zone, counts, the instance quota and the
personality files' limits.  Refusals are nova's 400 (403 for the quotas) with
nova's words.
"""

from __future__ import annotations

import secrets

from webob import exc

from stackapi.demo.flavors import find_flavor
from stackapi.demo.images import find_image
from stackapi.demo.server_views import AVAILABILITY_ZONE
from stackapi.request import Request

#: Servers per project (nova's ``[quota] instances`` defaults to 10; the demo is roomier).
QUOTA = 1000
#: nova's ``[quota] injected_files``, ``injected_file_path_length`` and
#: ``injected_file_content_bytes`` (personality, up to 2.56).
INJECTED_FILES = 5
INJECTED_FILE_PATH_LENGTH = 255
INJECTED_FILE_CONTENT_BYTES = 10240
_RESERVATION_CHARACTERS = "01234567890abcdefghijklmnopqrstuvwxyz"  # nova's, "0" twice
_TRUE = (True, "True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes", "y", "t")


def id_from_href(ref: object) -> str:
    """nova's ``get_id_from_href``: ``http://.../flavors/2`` -> ``2``; ``2`` -> ``2``."""
    return str(ref).rstrip("/").rpartition("/")[2]


class CreateRequest:
    """The checked contents of one create body (raises nova's 400s while reading it)."""

    def __init__(self, req: Request, body: dict) -> None:
        spec = body["server"]
        self.name: str = spec["name"]
        self.description: str | None = spec.get("description")
        self.metadata: dict = spec.get("metadata", {})
        self.admin_pass: str | None = spec.get("adminPass")
        self.access_ip_v4: str | None = spec.get("accessIPv4")
        self.access_ip_v6: str | None = spec.get("accessIPv6")
        self.user_data: str | None = spec.get("user_data")
        self.config_drive = spec.get("config_drive", False) in _TRUE
        self.auto_disk_config = spec.get("OS-DCF:diskConfig") == "AUTO"
        self.security_groups: list = spec.get("security_groups", [{"name": "default"}])
        self.tags: list[str] = sorted(set(spec.get("tags", [])))  # 2.52
        # nova's utils.generate_uid("r"): one id for every server of this request
        self.reservation_id = "r-" + "".join(
            secrets.choice(_RESERVATION_CHARACTERS) for _ in range(8)
        )
        self.return_reservation_id = spec.get("return_reservation_id", False) in _TRUE
        self.min_count = int(spec.get("min_count", 1))
        self.max_count = int(spec.get("max_count", self.min_count))
        if self.min_count > self.max_count:
            raise exc.HTTPBadRequest(explanation="min_count must be <= max_count")
        # nova's compute API: a count of 0 (the schema lets "0" through) is its default
        self.min_count = self.min_count or 1
        self.max_count = self.max_count or self.min_count
        self.flavor = self._flavor(spec["flavorRef"])
        self.image_ref = self._image(spec.get("imageRef"), spec.get("block_device_mapping_v2"))
        _check_networks(spec.get("networks"))
        _check_security_groups(spec.get("security_groups", []))
        _check_unstored(spec)
        _check_personality(spec.get("personality", []))

    def count(self, used: int) -> int:
        """How many servers to build: ``max_count`` within the quota, at least ``min_count``."""
        room = QUOTA - used
        if self.min_count > room:
            raise exc.HTTPForbidden(
                explanation=f"Quota exceeded for instances: Requested {self.min_count}, "
                f"but already used {used} of {QUOTA} instances"
            )
        return min(self.max_count, room)

    @staticmethod
    def _flavor(ref: object) -> dict:
        flavor_id = id_from_href(ref)
        flavor = find_flavor(flavor_id)
        if flavor is None:
            raise exc.HTTPBadRequest(explanation=f"Flavor {flavor_id} could not be found.")
        return flavor

    @staticmethod
    def _image(image_ref: str | None, mappings: list | None) -> str | None:
        """The image id, or None for a server booted from a volume (nova shows "" then)."""
        boot_volume = _boot_volume(mappings or [])
        if boot_volume:
            return None
        if not image_ref:
            raise exc.HTTPBadRequest(explanation="Missing imageRef attribute")
        if find_image(image_ref) is None:
            raise exc.HTTPBadRequest(explanation="Can not find requested image")
        return image_ref


def _boot_volume(mappings: list) -> bool:
    """Whether the block devices boot the server from a volume (made from a known image).

    The demo has no volumes or snapshots to attach: ``source_type`` volume or
    snapshot is nova's 400 for a volume it cannot find.  Blank local disks
    (ephemeral, swap) are accepted: nothing the demo serves shows them.
    """
    boots = False
    for bdm in mappings:
        source, uuid = bdm.get("source_type"), bdm.get("uuid") or bdm.get("image_id")
        if source in ("volume", "snapshot") or bdm.get("volume_id") or bdm.get("snapshot_id"):
            missing = uuid or bdm.get("volume_id") or bdm.get("snapshot_id")
            kind = "snapshot" if source == "snapshot" or bdm.get("snapshot_id") else "volume"
            raise exc.HTTPBadRequest(
                explanation=f"Block Device Mapping is Invalid: failed to get {kind} {missing}."
            )
        if source == "image":
            if not uuid or find_image(uuid) is None:
                raise exc.HTTPBadRequest(
                    explanation=f"Block Device Mapping is Invalid: failed to get image {uuid}."
                )
            if bdm.get("destination_type") == "volume" and str(bdm.get("boot_index")) == "0":
                boots = True
    return boots


def _check_networks(networks: object) -> None:
    """``auto``, ``none`` or ``[]`` only: the demo has no networks or ports to attach."""
    if networks in (None, "auto", "none"):
        return
    assert isinstance(networks, list)  # the schema's
    for network in networks:
        if network.get("port"):
            raise exc.HTTPBadRequest(explanation=f"Port id {network['port']} could not be found.")
        if network.get("uuid"):
            raise exc.HTTPBadRequest(explanation=f"Network {network['uuid']} could not be found.")
        raise exc.HTTPBadRequest(explanation="Bad network format: missing 'uuid'")


def _check_security_groups(groups: list) -> None:
    for group in groups:
        if group.get("name", "default") != "default":
            raise exc.HTTPBadRequest(explanation=f"Security group {group['name']} not found.")


def _check_unstored(spec: dict) -> None:
    """nova's refusals for what the demo has none of: keypairs, other zones."""
    if "key_name" in spec:
        raise exc.HTTPBadRequest(explanation="Invalid key_name provided.")
    zone = spec.get("availability_zone")
    if zone is not None and zone != AVAILABILITY_ZONE:
        raise exc.HTTPBadRequest(explanation="The requested availability zone is not available")


def _check_personality(files: list) -> None:
    """nova's limits on personality files (its 403s): how many, path and content lengths.

    The schema checked each item's shape (``path``, base64 ``contents``) and,
    from 2.57, refuses ``personality`` as nova does.  The demo has no guest
    disk to write the files to; nova's API never shows them back either.
    """
    if len(files) > INJECTED_FILES:
        raise exc.HTTPForbidden(explanation="Personality file limit exceeded")
    if any(len(item["path"]) > INJECTED_FILE_PATH_LENGTH for item in files):
        raise exc.HTTPForbidden(
            explanation=f"Personality file path exceeds maximum {INJECTED_FILE_PATH_LENGTH}"
        )
    if any(len(item["contents"]) > INJECTED_FILE_CONTENT_BYTES for item in files):
        raise exc.HTTPForbidden(
            explanation=f"Personality file content exceeds maximum {INJECTED_FILE_CONTENT_BYTES}"
        )
