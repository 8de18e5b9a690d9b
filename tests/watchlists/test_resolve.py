"""One entity across lists (pure): cross-references, strong matches, and the bad input the resolver must survive."""

from __future__ import annotations

from monitor.watchlists.resolve import Link, RecordFacts, clusters, derive_links

UN = "un_sc_sanctions"


def _person(eid: str, name: str, dob: str = "", idents: tuple[tuple[str, str], ...] = (),
            refs: tuple[str, ...] = ()) -> RecordFacts:  # fmt: skip
    dataset, source_id = eid.split(":", 1)
    return RecordFacts(eid, dataset, source_id, "person", (name,), (dob,) if dob else (), idents, refs)


def _datasets(records: list[RecordFacts]) -> dict[str, str]:
    return {r.id: r.dataset for r in records}


def test_un_reference_number_and_same_name_and_birth_date_merge_three_lists() -> None:
    records = [
        _person("us_ofac_sdn:2676", "AL ZAWAHIRI, Ayman", "1951-06-19"),
        _person(f"{UN}:QDi.006", "AYMAN AL-ZAWAHIRI", "1951-06-19", (("UN Reference Number", "QDi.006"),)),
        _person("eu_fsf:13", "Ayman Muhammad al-Zawahiri", "", (("unitedNationId", "QDi.006"),)),
    ]
    report = derive_links(records)
    reasons = sorted(link.reason for link in report.links)
    assert reasons == [
        "eu_fsf:13 cites the UN reference number QDi.006 of un_sc_sanctions:QDi.006",
        "un_sc_sanctions:QDi.006 and us_ofac_sdn:2676 have the same name (al ayman zawahiri) and date of birth "
        "1951-06-19",
    ]
    groups = clusters(report.links, _datasets(records))
    assert groups.referents("us_ofac_sdn:2676") == ("us_ofac_sdn:2676", "eu_fsf:13", f"{UN}:QDi.006")
    assert groups.refused == []


def test_a_different_birth_date_or_a_lone_given_name_merges_nothing() -> None:
    records = [
        _person("us_ofac_sdn:1", "KIM, Jong Un", "1984-01-08"),
        _person(f"{UN}:KPi.1", "KIM JONG UN", "1983-01-08"),
        _person("us_ofac_sdn:2", "Ali", "1970-01-01"),
        _person(f"{UN}:QDi.2", "ALI", "1970-01-01"),
    ]
    assert derive_links(records).links == []


def test_cross_reference_to_a_missing_record_is_reported_and_links_nothing() -> None:
    records = [
        _person("eu_fsf:9", "Somebody Listed", "", (("unitedNationId", "QDi.999"),)),
        _person("opensanctions:NK-1", "Somebody Listed", "", (), ("ofac-424242", "nowhere-7")),
    ]
    report = derive_links(records)
    assert report.links == []
    assert report.dangling == [
        "eu_fsf:9 cites UN reference QDi.999, which no loaded UN record has",
        "opensanctions:NK-1 names ofac-424242 as the same entity; no loaded record is ofac-424242",
        "opensanctions:NK-1 names nowhere-7 as the same entity; no loaded record is nowhere-7",
    ]


def test_a_cross_reference_cycle_is_one_entity() -> None:
    records = [
        _person("opensanctions:A", "Cycle Person", "", (), ("gb_hmt_sanctions:B",)),
        _person("gb_hmt_sanctions:B", "Cycle Person", "", (), ("eu_fsf:C",)),
        _person("eu_fsf:C", "Cycle Person", "", (), ("opensanctions:A",)),
    ]
    report = derive_links(records)
    assert len(report.links) == 3
    groups = clusters(report.links, _datasets(records))
    assert set(groups.referents("eu_fsf:C")) == {"opensanctions:A", "gb_hmt_sanctions:B", "eu_fsf:C"}


def test_thousands_of_records_sharing_a_name_and_birth_date_are_reported_not_merged() -> None:
    records = [_person(f"us_ofac_sdn:{i}", "SMITH, John", "1970-01-01") for i in range(2000)]
    records += [_person(f"{UN}:X{i}", "JOHN SMITH", "1970-01-01") for i in range(1500)]
    report = derive_links(records)
    assert report.links == []
    assert report.ambiguous == [
        "3500 records on 2 lists share name (john smith) and date of birth 1970-01-01; more than 8 records: not merged"
    ]


def test_year_of_birth_merges_only_a_name_borne_once_per_list() -> None:
    records = [
        _person("us_ofac_sdn:11018", "KONY, Joseph", "1961"),
        _person(f"{UN}:CFi.009", "JOSEPH KONY", "1961"),
        _person("us_ofac_sdn:5", "RAGAB, Abdullah", "1963"),
        _person("us_ofac_sdn:6", "RAGAB, Abdullah", "1970"),
        _person(f"{UN}:QDi.231", "ABDULLAH RAGAB", "1963"),
    ]
    report = derive_links(records)
    assert [(lk.left, lk.right) for lk in report.links] == [(f"{UN}:CFi.009", "us_ofac_sdn:11018")]
    assert "the name is borne by more than one record of one list" in report.ambiguous[0]


def test_two_records_of_one_list_are_never_merged_through_a_third() -> None:
    records = [
        RecordFacts("us_ofac_sdn:1", "us_ofac_sdn", "1", "vessel", ("SHIP ONE",), (), (("IMO", "IMO 9123456"),)),
        RecordFacts("us_ofac_sdn:2", "us_ofac_sdn", "2", "vessel", ("SHIP TWO",), (),
                    (("Registration Number", "R-778899"),)),
        RecordFacts("gb_hmt_sanctions:7", "gb_hmt_sanctions", "7", "vessel", ("SHIP",), (),
                    (("IMO", "9123456"), ("Registration Number", "R 778899"))),
    ]  # fmt: skip
    report = derive_links(records)
    assert len(report.links) == 2
    groups = clusters(report.links, _datasets(records))
    members = set(groups.referents("gb_hmt_sanctions:7"))
    assert len(members) == 2 and not {"us_ofac_sdn:1", "us_ofac_sdn:2"} <= members
    assert len(groups.refused) == 1 and "would join two records of us_ofac_sdn" in groups.refused[0]


def test_analyst_judgements_override_the_automatic_links() -> None:
    auto = Link.make("us_ofac_sdn:1", f"{UN}:Q1", "strong-match", "same name and date of birth")
    apart = Link("us_ofac_sdn:1", f"{UN}:Q1", "analyst", "two men, different passports", judgement="different")
    datasets = {"us_ofac_sdn:1": "us_ofac_sdn", f"{UN}:Q1": UN, "us_ofac_sdn:2": "us_ofac_sdn"}
    assert clusters([auto], datasets).referents("us_ofac_sdn:1") == ("us_ofac_sdn:1", f"{UN}:Q1")
    assert clusters([auto, apart], datasets).referents("us_ofac_sdn:1") == ("us_ofac_sdn:1",)
    same_list = Link.make("us_ofac_sdn:1", "us_ofac_sdn:2", "analyst", "duplicate designation")
    assert clusters([same_list], datasets).referents("us_ofac_sdn:2") == ("us_ofac_sdn:2", "us_ofac_sdn:1")


def _body(eid: str, *names: str) -> RecordFacts:
    dataset, source_id = eid.split(":", 1)
    return RecordFacts(eid, dataset, source_id, "organization", names)


def test_organisations_merge_on_a_full_name_only_one_record_of_each_list_bears() -> None:
    records = [
        _body("us_ofac_sdn:16363", "BOKO HARAM", "JAMA'ATU AHLIS SUNNA LIDDA'AWATI WAL-JIHAD"),
        _body(f"{UN}:QDe.138", "JAMA'ATU AHLIS SUNNA LIDDA'AWATI WAL-JIHAD", "Boko Haram"),
        # "Ansar Allah" is an alias of two SDN records: that name merges nothing
        _body("us_ofac_sdn:47664", "ANSARALLAH", "ANSAR ALLAH"),
        _body("us_ofac_sdn:4697", "HIZBALLAH", "ANSAR ALLAH"),
        _body(f"{UN}:YEe.001", "THE HOUTHIS", "ANSAR ALLAH"),
        # a vessel's name is no key (vessels are renamed and names reused)
        RecordFacts("us_ofac_sdn:1", "us_ofac_sdn", "1", "vessel", ("OCEAN STAR",)),
        RecordFacts(f"{UN}:V1", UN, "V1", "vessel", ("OCEAN STAR",)),
    ]
    report = derive_links(records)
    pairs = sorted((link.left, link.right) for link in report.links)
    assert pairs == [(f"{UN}:QDe.138", "us_ofac_sdn:16363")]  # one link for the two shared names
    assert "which no other record of either list bears" in report.links[0].reason
    assert any("ansar allah" not in a and "allah ansar" in a for a in report.ambiguous)


def test_a_full_date_on_one_list_meets_the_year_alone_on_the_other() -> None:
    records = [
        _person("us_ofac_sdn:23215", "RI, Pyong Chol", "1948-01-01"),
        _person(f"{UN}:KPi.076", "Ri Pyong Chol", "1948"),
        # both with full dates that differ: the dates decide, the shared year merges nothing
        _person("us_ofac_sdn:1", "KIM, Jong Un", "1984-01-08"),
        _person(f"{UN}:KPi.1", "KIM JONG UN", "1984-02-08"),
    ]
    report = derive_links(records)
    assert [(lk.left, lk.right) for lk in report.links] == [(f"{UN}:KPi.076", "us_ofac_sdn:23215")]
    assert "year of birth 1948" in report.links[0].reason
