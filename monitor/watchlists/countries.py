"""Country names as the lists write them -> ISO 3166-1 alpha-2 codes.

OFAC writes "Korea, North" and "Burma", the UN "Democratic People's Republic of
Korea" and "Iran (Islamic Republic of)", the EU and UK use their own variants; all of
them map to one code so that entities can be filtered by country across lists.
Names not spelled here are looked up in pycountry's ISO 3166 names. Unknown names give
None (the loaders keep the raw text in the address instead). The text-side gazetteer
for `country:XX` (demonyms, capitals) is `monitor.matching.countries`.
"""

from __future__ import annotations

import re
from functools import cache

import pycountry
from anyascii import anyascii

# code: names (the first is the display name). Variants are matched after folding
# (ASCII, lower case, punctuation and a leading "the" dropped).
_NAMES: dict[str, tuple[str, ...]] = {
    "AF": ("Afghanistan",),
    "AL": ("Albania",),
    "DZ": ("Algeria",),
    "AD": ("Andorra",),
    "AO": ("Angola",),
    "AG": ("Antigua and Barbuda",),
    "AR": ("Argentina",),
    "AM": ("Armenia",),
    "AW": ("Aruba",),
    "AU": ("Australia",),
    "AT": ("Austria",),
    "AZ": ("Azerbaijan",),
    "BS": ("Bahamas", "Bahamas, The"),
    "BH": ("Bahrain",),
    "BD": ("Bangladesh",),
    "BB": ("Barbados",),
    "BY": ("Belarus", "Byelorussia"),
    "BE": ("Belgium",),
    "BZ": ("Belize",),
    "BJ": ("Benin",),
    "BM": ("Bermuda",),
    "BT": ("Bhutan",),
    "BO": ("Bolivia", "Bolivia (Plurinational State of)", "Plurinational State of Bolivia"),
    "BA": ("Bosnia and Herzegovina", "Bosnia-Herzegovina", "Bosnia"),
    "BW": ("Botswana",),
    "BR": ("Brazil",),
    "BN": ("Brunei", "Brunei Darussalam"),
    "BG": ("Bulgaria",),
    "BF": ("Burkina Faso",),
    "BI": ("Burundi",),
    "CV": ("Cabo Verde", "Cape Verde"),
    "KH": ("Cambodia",),
    "CM": ("Cameroon",),
    "CA": ("Canada",),
    "KY": ("Cayman Islands",),
    "CF": ("Central African Republic",),
    "TD": ("Chad",),
    "CL": ("Chile",),
    "CN": ("China", "People's Republic of China", "PRC"),
    "CO": ("Colombia",),
    "KM": ("Comoros",),
    "CG": ("Congo", "Republic of the Congo", "Congo, Republic of the", "Congo-Brazzaville"),
    "CD": (
        "Democratic Republic of the Congo",
        "Congo, Democratic Republic of the",
        "DRC",
        "Congo-Kinshasa",
        "Democratic Republic of Congo",
        "Zaire",
    ),
    "CR": ("Costa Rica",),
    "CI": ("Cote d'Ivoire", "Côte d'Ivoire", "Ivory Coast"),
    "HR": ("Croatia",),
    "CU": ("Cuba",),
    "CW": ("Curacao", "Curaçao"),
    "CY": ("Cyprus",),
    "CZ": ("Czechia", "Czech Republic"),
    "DK": ("Denmark",),
    "DJ": ("Djibouti",),
    "DM": ("Dominica",),
    "DO": ("Dominican Republic",),
    "EC": ("Ecuador",),
    "EG": ("Egypt",),
    "SV": ("El Salvador",),
    "GQ": ("Equatorial Guinea",),
    "ER": ("Eritrea",),
    "EE": ("Estonia",),
    "SZ": ("Eswatini", "Swaziland"),
    "ET": ("Ethiopia",),
    "FJ": ("Fiji",),
    "FI": ("Finland",),
    "FR": ("France",),
    "GA": ("Gabon",),
    "GM": ("Gambia", "Gambia, The"),
    "GE": ("Georgia",),
    "DE": ("Germany",),
    "GH": ("Ghana",),
    "GI": ("Gibraltar",),
    "GR": ("Greece",),
    "GD": ("Grenada",),
    "GT": ("Guatemala",),
    "GN": ("Guinea",),
    "GW": ("Guinea-Bissau",),
    "GY": ("Guyana",),
    "HT": ("Haiti",),
    "VA": ("Holy See", "Vatican City"),
    "HN": ("Honduras",),
    "HK": ("Hong Kong", "Hong Kong SAR", "Hong Kong, China"),
    "HU": ("Hungary",),
    "IS": ("Iceland",),
    "IN": ("India",),
    "ID": ("Indonesia",),
    "IR": ("Iran", "Iran (Islamic Republic of)", "Islamic Republic of Iran"),
    "IQ": ("Iraq",),
    "IE": ("Ireland",),
    "IM": ("Isle of Man",),
    "IL": ("Israel",),
    "IT": ("Italy",),
    "JM": ("Jamaica",),
    "JP": ("Japan",),
    "JE": ("Jersey",),
    "GG": ("Guernsey",),
    "JO": ("Jordan",),
    "KZ": ("Kazakhstan",),
    "KE": ("Kenya",),
    "KI": ("Kiribati",),
    "KP": (
        "North Korea",
        "Korea, North",
        "Democratic People's Republic of Korea",
        "DPRK",
        "Korea, Democratic People's Republic of",
        "Korea (Democratic People's Republic of)",
    ),
    "KR": ("South Korea", "Korea, South", "Republic of Korea", "Korea, Republic of"),
    "XK": ("Kosovo",),
    "KW": ("Kuwait",),
    "KG": ("Kyrgyzstan", "Kyrgyz Republic"),
    "LA": ("Laos", "Lao People's Democratic Republic"),
    "LV": ("Latvia",),
    "LB": ("Lebanon",),
    "LS": ("Lesotho",),
    "LR": ("Liberia",),
    "LY": ("Libya", "Libyan Arab Jamahiriya"),
    "LI": ("Liechtenstein",),
    "LT": ("Lithuania",),
    "LU": ("Luxembourg",),
    "MO": ("Macau", "Macao"),
    "MG": ("Madagascar",),
    "MW": ("Malawi",),
    "MY": ("Malaysia",),
    "MV": ("Maldives",),
    "ML": ("Mali",),
    "MT": ("Malta",),
    "MH": ("Marshall Islands",),
    "MR": ("Mauritania",),
    "MU": ("Mauritius",),
    "MX": ("Mexico",),
    "FM": ("Micronesia", "Micronesia, Federated States of", "Federated States of Micronesia"),
    "MD": ("Moldova", "Republic of Moldova"),
    "MC": ("Monaco",),
    "MN": ("Mongolia",),
    "ME": ("Montenegro",),
    "MA": ("Morocco",),
    "MZ": ("Mozambique",),
    "MM": ("Burma", "Myanmar"),
    "NA": ("Namibia",),
    "NR": ("Nauru",),
    "NP": ("Nepal",),
    "NL": ("Netherlands", "The Netherlands", "Holland"),
    "NZ": ("New Zealand",),
    "NI": ("Nicaragua",),
    "NE": ("Niger",),
    "NG": ("Nigeria",),
    "MK": ("North Macedonia", "Macedonia", "The former Yugoslav Republic of Macedonia"),
    "NO": ("Norway",),
    "OM": ("Oman",),
    "PK": ("Pakistan",),
    "PW": ("Palau",),
    "PS": (
        "Palestine",
        "State of Palestine",
        "West Bank",
        "Gaza",
        "Gaza Strip",
        "Palestinian Territories",
        "Occupied Palestinian Territory",
        "Palestinian",
    ),
    "PA": ("Panama",),
    "PG": ("Papua New Guinea",),
    "PY": ("Paraguay",),
    "PE": ("Peru",),
    "PH": ("Philippines",),
    "PL": ("Poland",),
    "PT": ("Portugal",),
    "QA": ("Qatar",),
    "RO": ("Romania",),
    "RU": ("Russia", "Russian Federation"),
    "RW": ("Rwanda",),
    "KN": ("Saint Kitts and Nevis", "St. Kitts and Nevis"),
    "LC": ("Saint Lucia",),
    "VC": ("Saint Vincent and the Grenadines",),
    "WS": ("Samoa",),
    "SM": ("San Marino",),
    "ST": ("Sao Tome and Principe",),
    "SA": ("Saudi Arabia",),
    "SN": ("Senegal",),
    "RS": ("Serbia",),
    "SC": ("Seychelles",),
    "SL": ("Sierra Leone",),
    "SG": ("Singapore",),
    "SX": ("Sint Maarten",),
    "SK": ("Slovakia",),
    "SI": ("Slovenia",),
    "SB": ("Solomon Islands",),
    "SO": ("Somalia",),
    "ZA": ("South Africa",),
    "SS": ("South Sudan",),
    "ES": ("Spain",),
    "LK": ("Sri Lanka",),
    "SD": ("Sudan",),
    "SR": ("Suriname",),
    "SE": ("Sweden",),
    "CH": ("Switzerland",),
    "SY": ("Syria", "Syrian Arab Republic"),
    "TW": ("Taiwan",),
    "TJ": ("Tajikistan",),
    "TZ": ("Tanzania", "United Republic of Tanzania"),
    "TH": ("Thailand",),
    "TL": ("Timor-Leste", "East Timor"),
    "TG": ("Togo",),
    "TO": ("Tonga",),
    "TT": ("Trinidad and Tobago",),
    "TN": ("Tunisia",),
    "TR": ("Turkey", "Türkiye", "Turkiye"),
    "TM": ("Turkmenistan",),
    "TV": ("Tuvalu",),
    "UG": ("Uganda",),
    "UA": ("Ukraine",),
    "AE": ("United Arab Emirates", "UAE"),
    "GB": ("United Kingdom", "United Kingdom of Great Britain and Northern Ireland", "UK", "Great Britain", "Britain"),
    "US": ("United States", "United States of America", "USA", "U.S.A."),
    "UY": ("Uruguay",),
    "UZ": ("Uzbekistan",),
    "VU": ("Vanuatu",),
    "VE": ("Venezuela", "Venezuela (Bolivarian Republic of)", "Bolivarian Republic of Venezuela"),
    "VN": ("Vietnam", "Viet Nam"),
    "VG": ("British Virgin Islands", "Virgin Islands, British"),
    "YE": ("Yemen",),
    "ZM": ("Zambia",),
    "ZW": ("Zimbabwe",),
    "EH": ("Western Sahara",),
    "NC": ("New Caledonia",),
    "PR": ("Puerto Rico",),
    "GL": ("Greenland",),
    "FO": ("Faroe Islands",),
}

_FOLD = re.compile(r"[^a-z0-9 ]+")


def _fold(name: str) -> str:
    text = _FOLD.sub(" ", anyascii(name).lower())
    text = " ".join(text.split())
    return text[4:] if text.startswith("the ") else text


@cache
def _index() -> dict[str, str]:
    out: dict[str, str] = {}
    for code, names in _NAMES.items():
        out[code.lower()] = code
        for name in names:
            out[_fold(name)] = code
    return out


def country_code(name: str | None) -> str | None:
    """ISO alpha-2 code of a country name or code as the lists write it, or None."""
    if not name:
        return None
    key = _fold(name)
    if not key:
        return None
    code = _index().get(key)
    if code:
        return code
    # The list spellings above first; then every ISO 3166 name pycountry knows.
    try:
        return str(pycountry.countries.lookup(name.strip()).alpha_2)
    except LookupError:
        pass
    # "Region: Crimea", "Russia (Crimea)" and similar: try the part before the bracket/colon.
    for sep in ("(", ":", ","):
        head = name.split(sep, 1)[0]
        if head != name:
            code = _index().get(_fold(head))
            if code:
                return code
    return None
