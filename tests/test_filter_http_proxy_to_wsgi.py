"""http_proxy_to_wsgi: X-Forwarded-* or Forwarded, honoured only from trusted proxies.

Only the family the proxy sets (``proxy_headers``) is read: a client's own
header of the other family never wins over what the proxy wrote.
"""

import pytest
import webob

import stackapi
from conftest import testapp as client
from echo_app import echo_app, pipeline_ini
from stackapi.errors import ConfigError
from stackapi.filters.http_proxy_to_wsgi import HttpProxyToWsgiMiddleware, parse_forwarded

PROXY = "10.0.0.5"


def links_app(environ, start_response):
    """What an app builds links from."""
    req = webob.Request(environ)
    body = f"{req.application_url} {req.remote_addr}".encode()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]


TRUSTED = "10.0.0.5, 192.168.0.0/16, 2001:db8::/32"


@pytest.fixture
def app():
    return client(HttpProxyToWsgiMiddleware(echo_app, trusted_proxies=TRUSTED))


@pytest.fixture
def rfc_app():
    """Behind a proxy that sets RFC 7239 Forwarded."""
    proxied = HttpProxyToWsgiMiddleware(
        echo_app, trusted_proxies=TRUSTED, proxy_headers="forwarded"
    )
    return client(proxied)


def via(remote_addr, **headers):
    return {"extra_environ": {"REMOTE_ADDR": remote_addr}, "headers": headers}


def test_x_forwarded_headers_from_a_trusted_proxy(app):
    seen = app.get(
        "/things",
        **via(
            PROXY,
            **{
                "X-Forwarded-Proto": "https",
                "X-Forwarded-Host": "api.example.com",
                "X-Forwarded-Prefix": "/compute/",
                "X-Forwarded-For": "203.0.113.7",
            },
        ),
    ).json
    assert seen["scheme"] == "https"
    assert seen["host"] == "api.example.com"
    assert (seen["script_name"], seen["path_info"]) == ("/compute", "/things")
    assert seen["remote_addr"] == "203.0.113.7"


def test_links_built_by_the_app_use_the_proxy_view():
    app = client(HttpProxyToWsgiMiddleware(links_app, trusted_proxies=PROXY))
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "api.example.com:8443"}
    resp = app.get("/v1", **via(PROXY, **headers))
    assert resp.text == "https://api.example.com:8443 10.0.0.5"


def test_the_same_headers_from_anyone_else_are_ignored(app):
    headers = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Prefix": "/evil",
        "X-Forwarded-For": "1.2.3.4",
        "Forwarded": "for=1.2.3.4;proto=https;host=evil.example",
    }
    seen = app.get("/", **via("203.0.113.9", **headers)).json
    assert seen["scheme"] == "http"
    assert seen["host"] == "localhost:80"
    assert seen["script_name"] == ""
    assert seen["remote_addr"] == "203.0.113.9"


def test_without_trusted_proxies_nothing_is_believed():
    app = client(HttpProxyToWsgiMiddleware(echo_app))
    seen = app.get("/", **via(PROXY, **{"X-Forwarded-Proto": "https"})).json
    assert seen["scheme"] == "http"


def test_the_proxys_x_forwarded_headers_win_over_a_clients_forwarded(app):
    # nginx overwrote X-Forwarded-* and passed on the client's own Forwarded.
    headers = {
        "Forwarded": "for=6.6.6.6;proto=https;host=evil.example",
        "X-Forwarded-For": "198.51.100.1",
        "X-Forwarded-Proto": "http",
        "X-Forwarded-Host": "api.example.com",
    }
    seen = app.get("/", **via(PROXY, **headers)).json
    assert (seen["scheme"], seen["host"]) == ("http", "api.example.com")
    assert seen["remote_addr"] == "198.51.100.1"
    # A client's Forwarded alone changes nothing either.
    seen = app.get("/", **via(PROXY, Forwarded="for=6.6.6.6;proto=https")).json
    assert (seen["scheme"], seen["remote_addr"]) == ("http", PROXY)


def test_a_clients_x_forwarded_for_never_becomes_the_client_address(app):
    # The proxy appended the address it saw ($proxy_add_x_forwarded_for).
    xff = {"X-Forwarded-For": "6.6.6.6, 127.0.0.1, 198.51.100.1"}
    assert app.get("/", **via(PROXY, **xff)).json["remote_addr"] == "198.51.100.1"


def test_rfc7239_forwarded_when_the_proxy_sets_it(rfc_app):
    headers = {
        "Forwarded": 'for="[2001:db8:cafe::17]:4711";proto=https;host=api.example.com',
        "X-Forwarded-For": "6.6.6.6",
        "X-Forwarded-Proto": "http",
        "X-Forwarded-Host": "other.example",
        "X-Forwarded-Prefix": "/evil",
    }
    seen = rfc_app.get("/", **via(PROXY, **headers)).json
    assert (seen["scheme"], seen["host"]) == ("https", "api.example.com")
    assert seen["remote_addr"] == "2001:db8:cafe::17"
    assert seen["script_name"] == ""
    # A client's X-Forwarded-* alone changes nothing there.
    seen = rfc_app.get("/", **via(PROXY, **{"X-Forwarded-For": "6.6.6.6"})).json
    assert seen["remote_addr"] == PROXY


def test_a_chain_of_trusted_proxies_is_walked_to_the_first_untrusted_hop(app, rfc_app):
    # client 198.51.100.1 -> forged element -> LB 192.168.1.1 -> proxy 10.0.0.5 -> us
    forwarded = (
        "for=6.6.6.6;proto=http;host=forged.example, "
        "for=198.51.100.1;proto=https;host=api.example.com, "
        "for=192.168.1.1;proto=http;host=internal"
    )
    seen = rfc_app.get("/", **via(PROXY, Forwarded=forwarded)).json
    assert seen["remote_addr"] == "198.51.100.1"
    assert (seen["scheme"], seen["host"]) == ("https", "api.example.com")
    xff = {"X-Forwarded-For": "6.6.6.6, 198.51.100.1, 192.168.1.1"}
    assert app.get("/", **via(PROXY, **xff)).json["remote_addr"] == "198.51.100.1"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Forwarded-Proto": "gopher"},
        {"X-Forwarded-Host": "bad host/x"},
        {"X-Forwarded-Prefix": "no-slash"},
        {"X-Forwarded-For": "not-an-ip"},
        {"Forwarded": "iam=anattacker;metoo, I will crash you!!P;m,xx"},
        {"Forwarded": "for=unknown;proto=ftp"},
    ],
)
def test_malformed_values_are_ignored(app, rfc_app, headers):
    proxied = rfc_app if "Forwarded" in headers else app
    seen = proxied.get("/", **via(PROXY, **headers)).json
    assert (seen["scheme"], seen["host"], seen["script_name"]) == ("http", "localhost:80", "")
    assert seen["remote_addr"] == PROXY


def test_parse_forwarded():
    assert parse_forwarded('For="[::1]:80";Proto=https, for=1.2.3.4') == [
        {"for": "[::1]:80", "proto": "https"},
        {"for": "1.2.3.4"},
    ]


def test_loaded_from_an_ini(write_ini):
    sections = (
        "[filter:http_proxy_to_wsgi]\nuse = egg:stackapi#http_proxy_to_wsgi\n"
        "trusted_proxies = 127.0.0.1 ::1\n"
    )
    ini = write_ini(pipeline_ini("http_proxy_to_wsgi", sections))
    app = client(stackapi.loadapp(str(ini)))
    seen = app.get("/", **via("127.0.0.1", **{"X-Forwarded-Proto": "https"})).json
    assert seen["scheme"] == "https"


def test_a_bad_family_is_a_config_error_naming_section_and_key(write_ini):
    sections = (
        "[filter:http_proxy_to_wsgi]\nuse = egg:stackapi#http_proxy_to_wsgi\n"
        "proxy_headers = both\n"
    )
    with pytest.raises(ConfigError) as err:
        stackapi.loadapp(str(write_ini(pipeline_ini("http_proxy_to_wsgi", sections))))
    assert (
        "[filter:http_proxy_to_wsgi] proxy_headers: expected one of x-forwarded, forwarded,"
        " got 'both'" in str(err.value)
    )


def test_a_bad_network_is_a_config_error_naming_section_and_key(write_ini):
    sections = (
        "[filter:http_proxy_to_wsgi]\nuse = egg:stackapi#http_proxy_to_wsgi\n"
        "trusted_proxies = 10.0.0.0/8, lb.example.com\n"
    )
    with pytest.raises(ConfigError) as err:
        stackapi.loadapp(str(write_ini(pipeline_ini("http_proxy_to_wsgi", sections))))
    message = str(err.value)
    assert "[filter:http_proxy_to_wsgi] trusted_proxies:" in message
    assert "'lb.example.com' is not an IP address or network" in message
