"""Gazetteer for `country:XX`: names, demonyms, capitals and common synonyms of countries.

Names come from pycountry (ISO 3166); the demonyms, capitals and synonyms news uses
("Pyongyang", "DPRK", "North Korean", "the Kremlin") are listed here for the countries that
matter to sanctions work. Names that are everyday words or people's names ("Chad",
"Jordan", "Turkey", "Georgia") are left out; their capitals and demonyms still count.
Upper-case acronyms ("US", "UK", "DPRK") only match when written in capitals, so "us" the
pronoun is no country.
"""

from __future__ import annotations

from functools import cache

import pycountry

# (code, extra surface forms). Forms written in upper case match only in upper case.
_EXTRA: dict[str, tuple[str, ...]] = {
    "KP": ("North Korea", "North Korean", "North Koreans", "DPRK", "D.P.R.K.", "Pyongyang",
           "Democratic People's Republic of Korea"),
    "KR": ("South Korea", "South Korean", "South Koreans", "Seoul", "ROK", "Republic of Korea"),
    "RU": ("Russia", "Russian", "Russians", "Russian Federation", "Moscow", "Kremlin"),
    "UA": ("Ukraine", "Ukrainian", "Ukrainians", "Kyiv", "Kiev"),
    "BY": ("Belarus", "Belarusian", "Belarusians", "Minsk"),
    "IR": ("Iran", "Iranian", "Iranians", "Tehran", "Teheran", "Islamic Republic of Iran"),
    "SY": ("Syria", "Syrian", "Syrians", "Damascus"),
    "CU": ("Cuba", "Cuban", "Cubans", "Havana"),
    "VE": ("Venezuela", "Venezuelan", "Venezuelans", "Caracas"),
    "MM": ("Myanmar", "Burma", "Burmese", "Naypyidaw", "Yangon", "Rangoon"),
    "AF": ("Afghanistan", "Afghan", "Afghans", "Kabul"),
    "IQ": ("Iraq", "Iraqi", "Iraqis", "Baghdad"),
    "LY": ("Libya", "Libyan", "Libyans", "Tripoli"),
    "SD": ("Sudan", "Sudanese", "Khartoum"),
    "SS": ("South Sudan", "South Sudanese", "Juba"),
    "SO": ("Somalia", "Somali", "Somalis", "Mogadishu"),
    "YE": ("Yemen", "Yemeni", "Yemenis", "Sanaa", "Houthi", "Houthis"),
    "LB": ("Lebanon", "Lebanese", "Beirut"),
    "CN": ("China", "Chinese", "Beijing", "PRC", "People's Republic of China"),
    "US": ("United States", "US", "U.S.", "USA", "U.S.A.", "American", "Americans", "Washington", "White House"),
    "GB": ("United Kingdom", "UK", "U.K.", "Britain", "Great Britain", "British", "London"),
    "FR": ("France", "French", "Paris"),
    "DE": ("Germany", "German", "Germans", "Berlin"),
    "IL": ("Israel", "Israeli", "Israelis", "Jerusalem", "Tel Aviv"),
    "PS": ("Palestine", "Palestinian", "Palestinians", "Gaza", "West Bank"),
    "TR": ("Turkish", "Türkiye", "Turkiye", "Ankara"),
    "GE": ("Tbilisi",),
    "JO": ("Jordanian", "Jordanians", "Amman"),
    "TD": ("Chadian", "N'Djamena"),
    "AE": ("United Arab Emirates", "UAE", "Emirati", "Emiratis", "Dubai", "Abu Dhabi"),
    "SA": ("Saudi Arabia", "Saudi", "Saudis", "Riyadh"),
    "PK": ("Pakistan", "Pakistani", "Pakistanis", "Islamabad"),
    "IN": ("India", "Indian", "Indians", "New Delhi"),
    "JP": ("Japan", "Japanese", "Tokyo"),
    "CF": ("Central African Republic", "Bangui"),
    "CD": ("Democratic Republic of Congo", "Democratic Republic of the Congo", "DRC", "Kinshasa"),
    "CG": ("Republic of Congo", "Brazzaville"),
    "ML": ("Mali", "Malian", "Bamako"),
    "NI": ("Nicaragua", "Nicaraguan", "Managua"),
    "ER": ("Eritrea", "Eritrean", "Asmara"),
    "ZW": ("Zimbabwe", "Zimbabwean", "Harare"),
    "KZ": ("Kazakhstan", "Kazakh", "Astana"),
    "AM": ("Armenia", "Armenian", "Yerevan"),
    "AZ": ("Azerbaijan", "Azerbaijani", "Baku"),
    "VN": ("Vietnam", "Vietnamese", "Hanoi"),
    "TW": ("Taiwan", "Taiwanese", "Taipei"),
    "HK": ("Hong Kong",),
}

# ISO names that are everyday words or common given names: matching them would flood alerts.
_SKIP_NAMES = frozenset({"chad", "jordan", "turkey", "georgia", "guinea", "niger",
                         "jersey", "man", "isle of man", "reunion", "christmas island", "norfolk island",
                         "martinique", "dominica", "grenada", "guernsey", "chile", "korea"})

# Sanctioned jurisdictions: their mention raises an arms-transfer alert's score.
SANCTIONED_JURISDICTIONS = frozenset({"KP", "IR", "SY", "CU", "RU", "BY", "VE", "MM", "AF", "LY", "SD", "SS",
                                      "SO", "YE", "CF", "CD", "ML", "NI", "ER", "ZW", "IQ", "LB"})


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
