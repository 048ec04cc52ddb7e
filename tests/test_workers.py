"""Live ``stackapi-server --workers N``: one socket, respawn with back-off, rolling reload, stop.

The probe app (tests/apps/server_probe.py) answers with its pid and ini label.
"""

from __future__ import annotations

import os
import re
import signal
import time

from conftest import CONFIGS, PROBE_INI
from httpclient import fetch_many, get, in_background, under_load

CRASHING_INI = CONFIGS / "server_crashing.ini"
STARTED = r"worker (\d+) started"
READY = r"worker \d+ ready"


def pids_answering(server, count: int = 40) -> set[int]:
    """Which worker pids answer ``count`` concurrent slow requests (all must be 200)."""
    statuses, pids = [], set()
    for _ in range(count):
        status, _, body = get(server, "/?sleep=0")
        statuses.append(status)
        pids.add(body["pid"])
    results, _ = fetch_many(server.url, "/?sleep=0.3", count, 30.0)
    assert statuses == [200] * count
    assert [r[0] for r in results] == [200] * count
    for _, body in results:
        pids.add(int(re.search(rb'"pid": (\d+)', body).group(1)))
    return pids


def started_pids(server) -> list[int]:
    return [int(pid) for pid in re.findall(STARTED, server.log_text())]


def is_gone(pid: int) -> bool:
    """Exited (zombie or reaped): the pid is no longer a running process."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def wait_gone(pids, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not all(is_gone(pid) for pid in pids):
        assert time.monotonic() < deadline, f"still running: {[p for p in pids if not is_gone(p)]}"
        time.sleep(0.05)


def test_workers_share_the_socket_are_replaced_and_stop_gracefully(run_server):
    server = run_server(PROBE_INI, "--workers", "2")
    server.wait_log_count(READY, 2)
    first = started_pids(server)
    assert pids_answering(server) == set(first)  # both workers take requests
    victim = first[0]
    os.kill(victim, signal.SIGKILL)
    server.wait_log(rf"WARNING stackapi.workers \[-\] worker {victim} died \(killed by SIGKILL\)")
    server.wait_log_count(READY, 3)
    replacement = started_pids(server)[2]
    assert replacement not in first
    assert get(server)[0] == 200
    assert get(server, "/a%00b")[0] == 400  # each worker's app is behind the guard
    # Graceful stop of all: slow requests in flight finish, every worker exits 0.
    before = server.count_log("probe: sleeping")
    join = in_background(fetch_many, server.url, "/?sleep=1", 10, 30.0)
    server.wait_log_count("probe: sleeping", before + 10)
    assert server.stop() == 0
    results, _ = join()
    assert [r[0] for r in results] == [200] * 10
    for pid in (first[1], replacement):
        assert re.search(rf"worker {pid} exited \(exit code 0\)", server.log_text())
    assert "all workers stopped" in server.log_text()
    assert "Traceback" not in server.log_text()


def test_sighup_replaces_workers_one_at_a_time_under_load(run_server, tmp_path):
    ini = tmp_path / "api-paste.ini"
    ini.write_text(PROBE_INI.read_text())
    server = run_server(ini, "--workers", "2")
    server.wait_log_count(READY, 2)
    old = started_pids(server)
    with under_load(server) as results:
        ini.write_text(PROBE_INI.read_text().replace("one", "two"))
        server.proc.send_signal(signal.SIGHUP)
        for pid in old:
            server.wait_log(rf"worker {pid} exited \(exit code 0\)")
        server.wait_log_count(READY, 4)
        time.sleep(0.3)
        # A broken ini: no worker is replaced, one ERROR line names file, section and key.
        ini.write_text("[app:main]\nuse = egg:stackapi#no_such_app\n")
        server.proc.send_signal(signal.SIGHUP)
        error = server.wait_log(r".* ERROR .*")
    labels = [label for _, label in results]
    print(f"\n--workers 2, requests during a rolling reload + 1 failed reload: {len(results)}")
    print({label: labels.count(label) for label in dict.fromkeys(labels)})
    assert [s for s, _ in results if s != 200] == []
    assert set(labels) == {"one", "two"} and labels[-1] == "two"
    assert f"reload failed, still serving the previous configuration: {ini}: [app:main] use: " in (
        error.group(0)
    )
    assert server.count_log(" ERROR ") == 1
    new = started_pids(server)[2:]
    assert len(new) == 3  # two replacements + the one that could not load the broken ini
    log = server.log_text()
    # One at a time: each old worker is stopped only after a new one is up.
    for replacement, retired in zip(new[:2], old, strict=True):
        assert log.index(f"worker {replacement} ready") < log.index(f"stopping worker {retired}")
    assert {get(server)[2]["pid"] for _ in range(10)} <= set(new[:2])
    assert server.stop() == 0


def test_crash_loop_backs_off(run_server):
    server = run_server(CRASHING_INI)
    window = 3.5
    time.sleep(window)
    starts = server.count_log(STARTED)
    print(f"\nworkers that exit 0.2 s after start: {starts} starts in {window} s")
    # Without back-off: a start every ~0.5 s per worker slot (~14).  With it: 0.5, 1, 2, 4 s.
    assert 3 <= starts <= 7
    assert "next start in 2.0s" in server.log_text()
    assert server.stop() == 0


def test_first_worker_that_cannot_load_the_app_is_one_line(run_server):
    server = run_server(CONFIGS / "loader_unknown_egg.ini", "--workers", "2", wait=False)
    assert server.wait_exit() == 1
    last = server.log_text().strip().splitlines()[-1]
    assert last.startswith(
        f"stackapi-server: error: {CONFIGS / 'loader_unknown_egg.ini'}: [filter:request_id] use: "
        "Entry point 'request_idd' not found in egg 'stackapi'"
    )
    assert "Traceback" not in server.log_text()


def test_workers_exit_when_the_parent_is_killed(run_server):
    server = run_server(PROBE_INI, "--workers", "2")
    server.wait_log_count(STARTED, 2)
    workers = started_pids(server)
    server.kill()  # SIGKILL: the parent cannot relay anything
    wait_gone(workers)
