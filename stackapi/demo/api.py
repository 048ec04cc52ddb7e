"""The demo's wiring: the /v2.1 Router (microversions, policy, extensions) and GET /.

Everything an ini section can set is in ``OPTIONS``; the microversion range,
the version document and the default policy rules are here, in code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

import routes
import webob.exc

import stackapi
from stackapi.demo.flavors import FlavorExtraSpecsController, FlavorsController
from stackapi.demo.server_metadata import ServerMetadataController
from stackapi.demo.servers import ServersController
from stackapi.demo.store import Store
from stackapi.errors import ConfigError
from stackapi.extensions import load_extensions
from stackapi.faults import fault_from_exception
from stackapi.json_body import has_body, read_body
from stackapi.microversion import Microversions
from stackapi.options import Option, as_list, as_str, parse_options
from stackapi.policy import Policy
from stackapi.request import Request
from stackapi.versions import VersionApp, VersionInfo, VersionsApp

LOG = logging.getLogger(__name__)

#: nova's microversions, with nova's meaning: every version from 2.1 to 2.61 is
#: accepted; those that change what the demo serves are in docs/demo.md.  nova's
#: clients send (and read) the legacy header too.
MICROVERSIONS = Microversions(
    "compute", "2.1", "2.61", legacy_headers=("X-OpenStack-Nova-API-Version",)
)

V2_1 = VersionInfo(
    "v2.1",
    status="CURRENT",
    updated="2013-07-23T11:33:21Z",
    microversions=MICROVERSIONS,
    # The shapes follow nova's API reference, which describes them in full.
    describedby="https://docs.openstack.org/api-ref/compute/",
)

#: The default rules; a JSON file named by ``policy_file`` replaces any of them.
POLICY = {
    "admin_api": "is_admin:True",
    "admin_or_owner": "is_admin:True or project_id:%(project_id)s",
    "compute:servers:index": "rule:admin_or_owner",
    "compute:servers:detail": "rule:admin_or_owner",
    "compute:servers:index:get_all_tenants": "rule:admin_api",
    "compute:servers:create": "rule:admin_or_owner",
    "compute:servers:show": "rule:admin_or_owner",
    "compute:servers:update": "rule:admin_or_owner",
    "compute:servers:delete": "rule:admin_or_owner",
    "compute:servers:reboot": "rule:admin_or_owner",
    "compute:servers:pause": "rule:admin_or_owner",
    "compute:servers:unpause": "rule:admin_or_owner",
    "compute:servers:resize": "rule:admin_or_owner",
    "compute:servers:confirmResize": "rule:admin_or_owner",
    "compute:servers:revertResize": "rule:admin_or_owner",
    "compute:servers:resetState": "rule:admin_api",
    "compute:servers:stop": "rule:admin_or_owner",
    "compute:servers:start": "rule:admin_or_owner",
    "compute:servers:lock": "rule:admin_or_owner",
    "compute:servers:unlock": "rule:admin_or_owner",
    # unlocking a server an admin of another project locked
    "compute:servers:unlock:unlock_override": "rule:admin_api",
    "compute:server_metadata:show": "rule:admin_or_owner",
    "compute:server_metadata:create": "rule:admin_or_owner",
    "compute:server_metadata:update": "rule:admin_or_owner",
    "compute:server_metadata:update_all": "rule:admin_or_owner",
    "compute:server_metadata:delete": "rule:admin_or_owner",
}

OPTIONS = (
    Option(
        "connection",
        as_str,
        "",
        "SQLAlchemy URL of the database: sqlite:///FILE (created on first start)"
        " or postgresql+psycopg://USER:PASSWORD@HOST:PORT/DBNAME",
    ),
    # The previous release's key, still read so that its ini starts as it is.
    Option("db_path", as_str, "", "deprecated: the SQLite file; connection = sqlite:///FILE"),
    Option("policy_file", as_str, "", "JSON object of rules that replace the defaults"),
    Option("extensions", as_list, [], "module:Class of each Extension to attach"),
    Option("min_version", as_str, "", "refuse microversions below this one"),
    Option("max_version", as_str, "", "hold back microversions above this one"),
)


class ComputeRouter(stackapi.Router):
    """``/v2.1``: servers (with their metadata) and flavors (with their extra specs).

    Routes as nova connects them (``nova/api/openstack/compute/routes.py``):
    no ``.{format}`` suffix, so an id or a metadata key may hold dots
    (``GET /flavors/m1.tiny`` is "Flavor m1.tiny could not be found.").

    ::

        [app:api_v21]
        use = egg:stackapi#demo
        connection = sqlite:///%(here)s/demo.sqlite3
        # connection = postgresql+psycopg://stackapi:secret@db.example.com/stackapi
        # policy_file = %(here)s/policy.json
        # extensions = mypackage.module:MyExtension
        # max_version = 2.2
    """

    def __init__(self, **conf: str) -> None:
        values = parse_options(OPTIONS, conf)
        connection = _connection(values)
        servers = stackapi.Resource(ServersController())
        metadata = stackapi.Resource(ServerMetadataController())
        flavors = stackapi.Resource(FlavorsController())
        extra_specs = stackapi.Resource(FlavorExtraSpecsController())
        mapper = routes.Mapper()
        for name, path, resource, methods in (
            ("servers", "/servers", servers, {"GET": "index", "POST": "create"}),
            ("servers_detail", "/servers/detail", servers, {"GET": "detail"}),
            ("server", "/servers/{id}", servers,
             {"GET": "show", "PUT": "update", "DELETE": "delete"}),
            ("server_action", "/servers/{id}/action", servers, {"POST": "action"}),
            ("metadata", "/servers/{server_id}/metadata", metadata,
             {"GET": "index", "POST": "create", "PUT": "update_all"}),
            ("meta", "/servers/{server_id}/metadata/{id}", metadata,
             {"GET": "show", "PUT": "update", "DELETE": "delete"}),
            ("flavors", "/flavors", flavors, {"GET": "index"}),
            ("flavors_detail", "/flavors/detail", flavors, {"GET": "detail"}),
            ("flavor", "/flavors/{id}", flavors, {"GET": "show"}),
            ("extra_specs", "/flavors/{flavor_id}/os-extra_specs", extra_specs,
             {"GET": "index"}),
            ("extra_spec", "/flavors/{flavor_id}/os-extra_specs/{id}", extra_specs,
             {"GET": "show"}),
        ):  # fmt: skip
            for method, action in methods.items():
                mapper.connect(
                    name, path, controller=resource, action=action, conditions={"method": [method]}
                )
        super().__init__(
            mapper,
            version=V2_1,
            microversions=MICROVERSIONS.narrowed(values["min_version"], values["max_version"]),
            policy=Policy(POLICY, values["policy_file"] or None),
            extensions=load_extensions(values["extensions"]),
        )
        # Last: a Store replaces (and disposes) the previous one of its URL, which a
        # reload must not do before the rest of the app is known to build.
        self.store = Store(connection)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        """Each request in one transaction of the Store (see ``Store.respond``)."""
        req = Request(environ)
        try:
            if has_body(req):
                read_body(req)  # before the transaction's lock: a slow upload holds nothing
        except webob.exc.HTTPException as exc:
            return fault_from_exception(exc)(environ, start_response)
        routed = super().__call__  # the Router: microversions, routing, the Resource
        return self.store.respond(req, routed)(environ, start_response)


def _connection(values: dict) -> str:
    """The ``connection`` URL, or the previous release's ``db_path`` turned into one."""
    if values["connection"] and values["db_path"]:
        raise ConfigError("set connection or db_path (deprecated), not both", key="db_path")
    if values["db_path"]:
        LOG.warning("db_path is deprecated: write connection = sqlite:///%s", values["db_path"])
        return "sqlite:///" + values["db_path"]
    if not values["connection"]:
        raise ConfigError(
            "set the database URL, e.g. sqlite:///%(here)s/demo.sqlite3", key="connection"
        )
    return values["connection"]


class ComputeVersions(VersionsApp):
    """``GET /``: the demo's versions document; other root paths, 300 Multiple Choices."""

    versions = (V2_1,)


class ComputeVersion(VersionApp):
    """``GET /v2.1`` and ``/v2.1/`` without a token, as nova's (keystoneauth starts there)."""

    version = V2_1
