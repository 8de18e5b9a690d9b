"""OFAC remarks parsing and country names: the pure helpers the loaders share."""

from __future__ import annotations

import pytest

from monitor.watchlists.countries import country_code
from monitor.watchlists.loaders.base import EntityRecord, person_name_variants
from monitor.watchlists.loaders.ofac_remarks import parse_date, parse_remarks


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08 Jan 1984", ["1984-01-08"]),
        ("Jan 1962", ["1962-01"]),
        ("1962", ["1962"]),
        ("circa 1960", ["1960"]),
        ("1960 to 1962", ["1960", "1962"]),
        ("05/06/2024", ["2024-05-06"]),
        ("sometime", []),
    ],
)
def test_parse_date(text: str, expected: list[str]) -> None:
    assert parse_date(text) == expected


def test_parse_remarks() -> None:
    facts = parse_remarks(
        "DOB 21 May 1955; POB Chadan, Republic of Tyva, Russia; nationality Russia; citizen Korea, North; "
        "Gender Male; Passport A1234567 (Iran) issued 01 Jan 2010; Vessel Registration Identification IMO 9165839; "
        "a.k.a. 'BNC'; f.k.a. 'OLD NAME'; Website www.example.org."
    )
    assert facts.birth_dates == ["1955-05-21"]
    assert facts.birth_places == ["Chadan, Republic of Tyva, Russia"]
    assert facts.countries == ["RU", "KP"] and facts.gender == "male"
    assert {"type": "Passport", "value": "A1234567", "country": "IR"} in facts.identifiers
    assert {"type": "IMO", "value": "9165839"} in facts.identifiers
    assert {"type": "Website", "value": "www.example.org"} in facts.identifiers
    assert facts.weak_aliases == ["BNC"] and facts.strong_aliases == ["OLD NAME"]


def test_parse_remarks_keeps_the_alternative_values() -> None:
    # OFAC writes further values of a fact as "alt. <label> ..." (Joseph Kony's SDN record has six dates of birth)
    facts = parse_remarks(
        "DOB 1961; alt. DOB 1963; alt. DOB 18 Sep 1964; POB Odek, Uganda; alt. POB Atyak, Uganda; "
        "nationality Uganda; alt. nationality Sudan; Passport A1 (Iran); alt. Passport B2 (Iran)."
    )
    assert facts.birth_dates == ["1961", "1963", "1964-09-18"]
    assert facts.birth_places == ["Odek, Uganda", "Atyak, Uganda"]
    assert facts.countries == ["UG", "SD"]
    assert [i["value"] for i in facts.identifiers if i["type"] == "Passport"] == ["A1", "B2"]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Korea, North", "KP"),
        ("Democratic People's Republic of Korea", "KP"),
        ("Iran (Islamic Republic of)", "IR"),
        ("Burma", "MM"),
        ("RUSSIAN FEDERATION", "RU"),
        ("Türkiye", "TR"),
        ("Viet Nam", "VN"),
        ("Guam", "GU"),
        ("ru", "RU"),
        ("Korea", None),  # ambiguous: no guess
        ("Atlantis", None),
        ("", None),
    ],
)
def test_country_code(name: str, code: str | None) -> None:
    assert country_code(name) == code


def test_name_variants_and_finish() -> None:
    assert person_name_variants("KIM, Jong Un") == ["Jong Un KIM", "KIM Jong Un"]
    assert person_name_variants("BANCO NACIONAL DE CUBA") == []
    assert person_name_variants("A, B, C") == []
    rec = EntityRecord(source_id="1", schema="person", name="  KIM,  Jong Un ")
    rec.add_name("KIM Jong Un", kind="alias")
    rec.add_name("Kim", kind="weak", weak=True)
    rec.add_name("Kim", kind="alias")  # a strong spelling replaces a weak one
    rec.add_name("-0-")  # OFAC's empty marker is no name
    rec.finish()
    assert [(n.name, n.kind, n.weak) for n in rec.names] == [
        ("KIM, Jong Un", "primary", False),
        ("KIM Jong Un", "alias", False),
        ("Kim", "alias", False),
        ("Jong Un KIM", "derived", False),
    ]
    before = rec.content_hash()
    rec.programs.append("DPRK3")
    assert rec.content_hash() != before
