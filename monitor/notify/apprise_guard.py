"""The network guard for apprise targets: every host an apprise URL can make the worker reach.

An apprise URL names more than its own host: `mailto://...?smtp=HOST` sends through
another server, `nostr://KEY?relay=wss://HOST` publishes to relays, and so on. The hosts
each plugin connects to besides the URL's own are a reviewed data table
(apprise_hosts.yaml), read from the plugin apprise builds out of the URL, so what is
checked is what apprise will use. On top of the table, every query parameter whose value
names a host (a URL, or an IP address with or without a port) is checked too when the
plugin declares it, and refused when it does not: an undeclared parameter has no business
naming a host. Redirects are never followed. The same check runs when a subscription is
saved and again before every send.
"""

from __future__ import annotations

import ipaddress
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml

from monitor import netguard
from monitor.settings import Settings

TABLE = Path(__file__).with_name("apprise_hosts.yaml")
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
_TRUE = {"1", "yes", "true", "on", "y", "t"}


class AppriseTargetError(ValueError):
    """An apprise URL that apprise does not understand or that names a host the guard refuses."""


@cache
def _table() -> dict[str, Any]:
    with TABLE.open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


def asset() -> Any:
    """The AppriseAsset every monitor notifier uses: no redirects followed, no threads of its own."""
    import apprise

    # sequential: notifications run in the caller's thread, inside its connection guard
    return apprise.AppriseAsset(http_redirects=False, async_mode=False)


def _host_port(value: str) -> tuple[str, int | None] | None:
    """(host, port) that a URL, `host:port`, `[v6]:port` or bare host names; None when empty."""
    value = value.strip()
    if not value:
        return None
    if _URL.match(value):
        parts = urlsplit(value)
        try:
            port = parts.port
        except ValueError as exc:
            raise AppriseTargetError(f"bad port in {value!r}") from exc
        return (parts.hostname, port) if parts.hostname else None
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        return host, int(rest[1:]) if rest[1:].isdigit() else None
    if value.count(":") == 1:
        host, digits = value.split(":")
        return host, int(digits) if digits.isdigit() else None
    return value, None


def _names_an_address(value: str) -> bool:
    """True when a parameter value is a URL or an IP address (with or without a port)."""
    if _URL.match(value.strip()):
        return True
    found = _host_port(value)
    if found is None:
        return False
    try:
        ipaddress.ip_address(found[0])
    except ValueError:
        return False
    return True


def _check_host(host: str, port: int | None, settings: Settings, resolver: netguard.Resolver | None,
                what: str) -> None:
    probe = f"http://[{host}]" if ":" in host else f"http://{host}"
    try:
        netguard.check_url(f"{probe}:{port}/" if port else probe + "/", settings, resolver)
    except netguard.BlockedAddressError as exc:
        raise AppriseTargetError(f"apprise target refused ({what}): {exc}") from exc
    except ValueError as exc:
        raise AppriseTargetError(f"apprise target has no usable host ({what}): {exc}") from exc


def _declared(plugin: Any) -> tuple[set[str], tuple[str, ...]]:
    """The query parameters a plugin declares, and the prefixes of its free-form ones (+header ...)."""
    names = {str(k).lower() for k in (getattr(plugin, "template_args", None) or {})}
    kwargs = getattr(plugin, "template_kwargs", None) or {}
    prefixes = tuple(str(v["prefix"]) for v in kwargs.values() if isinstance(v, dict) and v.get("prefix"))
    return names, prefixes


def named_hosts(url: str, plugin: Any) -> list[tuple[str, int | None, str]]:
    """Every (host, port, where) the plugin built from `url` can connect to; refuses what cannot be checked."""
    table = _table()
    scheme = urlsplit(url).scheme.lower()
    found: list[tuple[str, int | None, str]] = []
    attributes = [] if scheme in table["fixed_host_schemes"] else ["host"]
    port = getattr(plugin, "port", None)
    for attr in table["connects_to"].get(type(plugin).__name__, attributes):
        value = getattr(plugin, attr, None)
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, str) and (hp := _host_port(item)):
                # a bare host connects on the plugin's port; a URL names its own
                found.append((hp[0], hp[1] if hp[1] is not None or _URL.match(item) else port, attr))
    names, prefixes = _declared(plugin)
    # parse_qsl would read "+" (apprise's header prefix) as a space
    for key, value in parse_qsl(urlsplit(url).query.replace("+", "%2B"), keep_blank_values=True):
        lower = key.lower()
        if lower in table["refused_parameters"] and value.strip().lower() in _TRUE:
            raise AppriseTargetError(f"apprise parameter {key}= refused: {table['refused_parameters'][lower]}")
        if lower in table.get("refused_with_any_value", {}):
            raise AppriseTargetError(f"apprise parameter {key}= refused: {table['refused_with_any_value'][lower]}")
        for part in re.split(r"[\s,]+", value):
            if not part or not _names_an_address(part):
                continue
            if lower not in names and not key.startswith(prefixes or ("\0",)):
                raise AppriseTargetError(
                    f"apprise parameter {key}= names a host ({part}) but is not a parameter of {scheme}://"
                )
            hp = _host_port(part)
            if hp:
                found.append((hp[0], hp[1], f"parameter {key}="))
    return found


def check_apprise_url(url: str, settings: Settings, resolver: netguard.Resolver | None = None) -> None:
    """Raise AppriseTargetError unless apprise understands the URL and every host it names is allowed."""
    import apprise

    try:
        plugin = apprise.Apprise.instantiate(url, asset=asset(), suppress_exceptions=True)
    except ValueError:
        plugin = None
    if not plugin:
        raise AppriseTargetError("apprise does not understand this URL (see https://github.com/caronc/apprise/wiki)")
    for host, port, where in named_hosts(url, plugin):
        _check_host(host, port, settings, resolver, where)
