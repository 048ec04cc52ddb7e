"""ServerSettings: defaults < [server:main] < flags; every value converted and checked."""

import logging

import pytest

from stackapi.errors import ConfigError
from stackapi.server.settings import DEFAULTS, RESTART_ONLY, SERVER_OPTIONS, ServerSettings


def test_defaults():
    settings = ServerSettings.from_sources({})
    assert settings.as_dict() == DEFAULTS
    assert (settings.host, settings.port, settings.workers, settings.pool_size) == (
        "127.0.0.1",
        8080,
        1,
        1000,
    )
    assert settings.client_socket_timeout > 0  # a stalled client never holds a thread for ever


def test_flags_override_the_file_and_none_means_not_given():
    settings = ServerSettings.from_sources(
        {"port": "8774", "workers": "4", "keepalive": "no"},
        {"port": "9000", "workers": None, "host": "::1"},
    )
    assert (settings.port, settings.workers, settings.keepalive, settings.host) == (
        9000,
        4,
        False,
        "::1",
    )


def test_conversions():
    settings = ServerSettings.from_sources(
        {
            "client_socket_timeout": "2.5",
            "graceful_shutdown_timeout": "0",
            "max_header_line": "65536",
            "cert_file": " ",
            "unix_socket": "/run/api.sock",
        }
    )
    assert settings.client_socket_timeout == 2.5
    assert settings.graceful_shutdown_timeout == 0.0
    assert settings.max_header_line == 65536
    assert settings.cert_file is None
    assert settings.unix_socket == "/run/api.sock"


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        ({"port": "http"}, "api.ini: [server:main] port: expected an integer, got 'http'"),
        ({"port": "70000"}, "api.ini: [server:main] port: expected a port number 0-65535"),
        ({"workers": "0"}, "api.ini: [server:main] workers: expected an integer >= 1, got '0'"),
        ({"max_header_line": "70000"}, "[server:main] max_header_line: expected at most 65536"),
        ({"keepalive": "maybe"}, "[server:main] keepalive: expected true or false"),
        ({"client_socket_timeout": "inf"}, "client_socket_timeout: expected a finite number"),
        ({"threads": "4"}, "api.ini: [server:main] threads: unknown option (known options: "),
        ({"cert_file": "c.pem"}, "[server:main] key_file: cert_file and key_file go together"),
    ],
)
def test_bad_file_values_name_file_section_and_key(conf, message):
    with pytest.raises(ConfigError) as info:
        ServerSettings.from_sources(conf, {}, "api.ini")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_bad_flag_names_the_flag():
    with pytest.raises(ConfigError, match=r"^--pool-size: expected an integer, got 'lots'$"):
        ServerSettings.from_sources({}, {"pool_size": "lots"}, "api.ini")


def test_every_option_has_a_help_line_and_a_converted_default():
    for option in SERVER_OPTIONS:
        assert option.help
        if option.default is not None:
            assert option.convert(str(option.default)) == option.default


def test_a_reload_carries_the_socket_options_over_and_says_so(caplog):
    old = ServerSettings.from_sources({"port": "8774", "pool_size": "10"})
    new = ServerSettings.from_sources({"port": "8775", "pool_size": "20", "backlog": "10"})
    with caplog.at_level(logging.WARNING, logger="stackapi.server"):
        assert old.carry_restart_only(new) == ["port", "backlog"]
    assert (new.port, new.backlog, new.pool_size) == (8774, 4096, 20)
    assert caplog.messages == [
        "port changed from 8774 to 8775: restart stackapi-server to apply it",
        "backlog changed from 4096 to 10: restart stackapi-server to apply it",
    ]
    assert set(RESTART_ONLY) == {"host", "port", "unix_socket", "backlog"}
