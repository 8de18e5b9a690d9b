"""Gazetteer for `country:XX`: names, demonyms, capitals and common synonyms of countries.

Names come from pycountry (ISO 3166); the demonyms, capitals and synonyms news uses
("Pyongyang", "DPRK", "North Korean", "the Kremlin") are listed in monitor/resources/countries.yaml
for the countries that matter to sanctions work. Names that are everyday words or people's names ("Chad",
"Jordan", "Turkey", "Georgia") are left out; their capitals and demonyms still count.
Upper-case acronyms ("US", "UK", "DPRK") only match when written in capitals, so "us" the
pronoun is no country.
"""

from __future__ import annotations

from functools import cache

import pycountry

from monitor import resources

# (code, extra surface forms). Forms written in upper case match only in upper case.
_EXTRA: dict[str, tuple[str, ...]] = {
    str(code): tuple(forms) for code, forms in resources.mapping("countries", "forms").items()
}

for _code, _forms in resources.mapping("countries", "forms_other_languages").items():
    _EXTRA[str(_code)] = _EXTRA.get(str(_code), ()) + tuple(str(f) for f in _forms)

# ISO names that are everyday words or common given names: matching them would flood alerts.
_SKIP_NAMES = resources.words("countries", "skipped_names")

# Sanctioned jurisdictions: their mention raises an arms-transfer alert's score.
SANCTIONED_JURISDICTIONS = resources.words("countries", "sanctioned_jurisdictions")


@cache
def country_codes() -> frozenset[str]:
    """Every ISO-3166 alpha-2 code."""
    return frozenset(c.alpha_2 for c in pycountry.countries)


@cache
def gazetteer() -> tuple[tuple[str, str, bool], ...]:
    """(surface form, code, capitals only) for every country form the matcher looks for."""
    out: dict[tuple[str, str], bool] = {}
    for country in pycountry.countries:
        names = {country.name, getattr(country, "common_name", None), getattr(country, "official_name", None)}
        for name in names:
            if name and "," not in name and name.lower() not in _SKIP_NAMES:
                out[(name, country.alpha_2)] = False
    for code, forms in _EXTRA.items():
        for form in forms:
            letters = form.replace(".", "")
            caps_only = letters.isupper() and len(letters) <= 5
            out[(form, code)] = caps_only
    return tuple((form, code, caps) for (form, code), caps in sorted(out.items()))
