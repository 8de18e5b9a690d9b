"""Name knowledge as reviewed data: titles, honorifics, particles, patronymics, legal forms,
romanisation variants, programme-to-country, culture cues and everyday-word lists.

Each `*.yaml` file here is the ONE copy of its knowledge, read by the in-text matcher
(`monitor.matching`) and by screening (`monitor.watchlists.namematch`) alike; its `source`
key says where the entries come from and who reviews them. Word lists are written as blocks of
whitespace-separated words; a word with several uses carries its roles (`word: [role, ...]`).
rigour (OpenSanctions) carries similar data, but it pulls in PyICU, which builds from source here;
these lists are the ones the project's labelled figures were measured with.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib.resources import files
from typing import Any

import yaml

# libyaml's safe loader when PyYAML was built with it (every process reads these files at start-up)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

__all__ = ["ResourceError", "in_culture", "legal_form_families", "load", "mapping", "ordered", "programme_country",
           "with_role", "words"]


class ResourceError(ValueError):
    """A resource file that is missing or not shaped as expected."""


@cache
def load(name: str) -> dict[str, Any]:
    """The parsed contents of `monitor/resources/<name>.yaml` (cached; never modify it)."""
    path = files(__package__).joinpath(f"{name}.yaml")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506 (a safe loader)
    except (OSError, yaml.YAMLError) as exc:
        raise ResourceError(f"resource {name}.yaml: {exc}") from exc
    if not isinstance(data, dict) or "source" not in data:
        raise ResourceError(f"resource {name}.yaml: a mapping with a 'source' note is expected")
    return data


def _entry(name: str, key: str) -> Any:
    data = load(name)
    if key not in data:
        raise ResourceError(f"resource {name}.yaml has no '{key}'")
    return data[key]


def words(name: str, key: str) -> frozenset[str]:
    """A block of whitespace-separated words (or a YAML list of them) as a set."""
    value = _entry(name, key)
    items = value.split() if isinstance(value, str) else [str(v) for v in value]
    return frozenset(items)


def ordered(name: str, key: str) -> tuple[str, ...]:
    """A block of words (or a list of strings) in the order the file gives them."""
    value = _entry(name, key)
    return tuple(value.split()) if isinstance(value, str) else tuple(str(v) for v in value)


def mapping(name: str, key: str) -> dict[str, Any]:
    """A mapping entry of a resource file."""
    value = _entry(name, key)
    if not isinstance(value, dict):
        raise ResourceError(f"resource {name}.yaml: '{key}' must be a mapping")
    return value


def with_role(name: str, key: str, role: str) -> frozenset[str]:
    """The words of a `word: [roles]` mapping that carry one role."""
    return frozenset(word for word, roles in mapping(name, key).items() if role in (roles or ()))


@cache
def programme_countries() -> dict[str, str]:
    """Programme prefix ("DPRK", "IRAN") -> the ISO code of the country it is about."""
    return {str(k): str(v) for k, v in mapping("programmes", "programme_countries").items()}


def programme_country(tag: str) -> str | None:
    """The country an OFAC-style programme tag is about ("DPRK3", "IRAN-EO13902"), or None."""
    return programme_countries().get(tag.upper().split("-")[0].rstrip("0123456789"))


@cache
def _culture(name: str) -> tuple[frozenset[str], tuple[str, ...]]:
    entry = mapping("programmes", "cultures")[name]
    return frozenset(entry["countries"]), tuple(str(p) for p in entry["programmes"])


def in_culture(name: str, countries: Iterable[str], programs: Iterable[str]) -> bool:
    """True when a list entry's countries or programme tags place its names in a naming
    convention of programmes.yaml ("hispanic", "slavic", "arabic", "korean")."""
    codes, prefixes = _culture(name)
    return any(p.upper().startswith(prefixes) for p in programs) or any(c in codes for c in countries)


def culture_countries(name: str) -> frozenset[str]:
    """The countries of one naming convention of programmes.yaml."""
    return _culture(name)[0]


@cache
def legal_form_families() -> dict[tuple[str, ...], str]:
    """Every legal form (as a tuple of words) -> its family ("ooo" -> "llc")."""
    out: dict[tuple[str, ...], str] = {}
    for family, forms in mapping("legal_forms", "families").items():
        for form in forms:
            out[tuple(str(form).split())] = str(family)
    return out


@cache
def legal_forms_cut_in_text() -> frozenset[str]:
    """Single-word legal forms the in-text matcher cuts off an alias's ends."""
    single = {k[0] for k in legal_form_families() if len(k) == 1}
    return frozenset(single - words("legal_forms", "not_cut_in_text"))


@cache
def patronymic_endings() -> tuple[str, ...]:
    """Endings of patronymics ("ovich", "ovna", "ogly")."""
    return ordered("person_names", "patronymic_endings")
