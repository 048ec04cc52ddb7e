"""A real stackapi-server keeps 1000 blocking requests in flight at once."""

from conftest import CONFIGS
from httpclient import fetch_many, raise_fd_limit

IN_FLIGHT = 1000
WALL_BOUND = 10.0  # seconds; generous: the requests sleep 1 s each, in parallel


def test_1000_concurrent_time_sleep_requests(run_server):
    assert raise_fd_limit(IN_FLIGHT + 200) >= IN_FLIGHT + 100, "fd limit too low for the test"
    server = run_server(CONFIGS / "slow.ini")
    results, wall = fetch_many(server.url, "/sleep?seconds=1", IN_FLIGHT, timeout=30.0)
    errors = [r for r in results if not isinstance(r, tuple)]
    statuses = [r[0] for r in results if isinstance(r, tuple)]
    print(f"\n{IN_FLIGHT} requests x time.sleep(1): {wall:.2f} s wall, {len(errors)} errors")
    assert errors == []
    assert statuses == [200] * IN_FLIGHT
    assert wall < WALL_BOUND
    assert server.stop() == 0


def test_pool_size_flag_limits_requests_in_flight(run_server):
    # pool of 10: 30 one-second requests run in three waves, none is refused.
    server = run_server(CONFIGS / "slow.ini", "--pool-size", "10")
    results, wall = fetch_many(server.url, "/sleep?seconds=1", 30, timeout=30.0)
    assert [r[0] for r in results] == [200] * 30
    assert 2.5 < wall < 15.0
