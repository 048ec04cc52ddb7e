"""What ``server_timing`` costs per request, in-process: off, on, and PasteDeploy's own build.

    .venv/bin/python tools/server_timing_cost.py [--requests N] [--rounds R]

The demo's /v2.1 pipeline (7 filters and the compute API) answers ``GET /v2.1/flavors``
with a token, called as WSGI in this process (no server, no socket): built by
PasteDeploy itself (``paste.deploy.loadapp`` of the pipeline), by stackapi's urlmap with
``server_timing`` off, and with it on.  Rounds are interleaved; the fastest round of
each is printed (as timeit does: the others measure this machine's other load), in
microseconds per request.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

import paste.deploy

from stackapi.loader import loadapp

DEMO_INI = Path(__file__).resolve().parent.parent / "etc" / "api-paste.ini"
ENVIRON = {
    "REQUEST_METHOD": "GET",
    "SCRIPT_NAME": "/v2.1",
    "PATH_INFO": "/flavors",
    "QUERY_STRING": "",
    "SERVER_NAME": "127.0.0.1",
    "SERVER_PORT": "8774",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "HTTP_HOST": "127.0.0.1:8774",
    "HTTP_X_AUTH_TOKEN": "alice:demo",
    "REMOTE_ADDR": "127.0.0.1",
    "wsgi.url_scheme": "http",
    "wsgi.errors": sys.stderr,
    "wsgi.multithread": False,
    "wsgi.multiprocess": False,
    "wsgi.run_once": False,
}


def pipeline(app):
    """The /v2.1 entry of the urlmap behind the Guard."""
    (found,) = [entry for _, prefix, entry in app.app.entries if prefix == "/v2.1"]
    return found


def per_request_us(app, requests: int) -> float:
    def start_response(status, headers, exc_info=None):
        return None

    start = time.perf_counter()
    for _ in range(requests):
        body = app(dict(ENVIRON, **{"wsgi.input": None}), start_response)
        b"".join(body)
        getattr(body, "close", lambda: None)()
    return (time.perf_counter() - start) / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    logging.disable(logging.INFO)  # access_log's line per request is not what is measured
    with tempfile.TemporaryDirectory() as tmp:
        off_ini = Path(tmp) / "off.ini"
        shutil.copy(DEMO_INI, off_ini)
        on_ini = Path(tmp) / "on.ini"
        on_ini.write_text("[DEFAULT]\nserver_timing = true\n\n" + DEMO_INI.read_text())
        apps = {
            "pastedeploy": paste.deploy.loadapp(f"config:{off_ini}", name="api_v21"),
            "off": pipeline(loadapp(str(off_ini))),
            "on": pipeline(loadapp(str(on_ini))),
        }
        results: dict[str, list[float]] = {name: [] for name in apps}
        for app in apps.values():
            per_request_us(app, 200)  # warm up
        for _ in range(args.rounds):
            for name, app in apps.items():
                results[name].append(per_request_us(app, args.requests))
    best = {name: min(values) for name, values in results.items()}
    for name, value in best.items():
        ratio = value / best["pastedeploy"]
        print(f"{name:<12} {value:7.1f} us/request  {ratio:.3f}x PasteDeploy's build")


if __name__ == "__main__":
    main()
