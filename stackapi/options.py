"""Typed options for filters, apps and the server: one table, one converter each.

An ini gives every value as a string.  A class declares ``options``, a tuple of
:class:`Option`; :func:`apply_options` converts the section's keys, refuses
unknown ones and sets one attribute per option.  Errors are :class:`ConfigError`
naming the key; the loader adds the file and the section.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from stackapi.errors import ConfigError

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


@dataclass(frozen=True)
class Option:
    """One option: ``name``, a converter from the ini string, a default, a help line."""

    name: str
    convert: Callable[[str], Any]
    default: Any
    help: str = ""


def as_bool(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("expected true or false")


def as_int(value: str | int) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValueError("expected an integer") from None


def as_positive_int(value: str | int) -> int:
    number = as_int(value)
    if number < 1:
        raise ValueError("expected an integer >= 1")
    return number


def as_non_negative_float(value: str | float) -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ValueError("expected a number of seconds") from None
    if not number >= 0 or number == float("inf"):
        raise ValueError("expected a finite number >= 0")
    return number


def as_list(value: str | Iterable[str]) -> list[str]:
    """Comma- and/or whitespace-separated words."""
    if not isinstance(value, str):
        return list(value)
    return [word for word in value.replace(",", " ").split() if word]


def as_str(value: str) -> str:
    return str(value).strip()


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def as_networks(value: str | Iterable[str]) -> tuple[Network, ...]:
    """``"10.0.0.5, 192.168.0.0/16, ::1"`` -> networks (an address is a /32 or /128)."""
    networks = []
    for word in as_list(value):
        try:
            networks.append(ipaddress.ip_network(word, strict=False))
        except ValueError:
            raise ValueError(f"{word!r} is not an IP address or network") from None
    return tuple(networks)


def in_networks(address: str | None, networks: Iterable[Network]) -> bool:
    """Whether ``address`` (a ``REMOTE_ADDR``; anything else is False) is in ``networks``."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def parse_options(table: Iterable[Option], conf: Mapping[str, Any]) -> dict[str, Any]:
    """Convert ``conf`` with ``table``: every option gets a value; unknown keys are errors."""
    by_name = {option.name: option for option in table}
    values = {name: option.default for name, option in by_name.items()}
    for key, raw in conf.items():
        option = by_name.get(key)
        if option is None:
            known = ", ".join(sorted(by_name)) or "none"
            raise ConfigError(f"unknown option (known options: {known})", key=key)
        try:
            values[key] = option.convert(raw)
        except ValueError as exc:
            raise ConfigError(f"{exc}, got {raw!r}", key=key) from None
    return values


def apply_options(obj: Any, conf: Mapping[str, Any]) -> None:
    """Set ``obj.conf`` and, if ``type(obj).options`` is declared, one attribute per option."""
    obj.conf = dict(conf)
    table = getattr(type(obj), "options", ())
    if table:
        for name, value in parse_options(table, conf).items():
            setattr(obj, name, value)
