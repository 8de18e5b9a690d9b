"""OFAC "advanced" XML (sdn_advanced.xml, cons_advanced.xml): the UN/ASLS relational schema.

Root <Sanctions> with, in order: DateOfIssue; ReferenceValueSets (lookup tables: alias
types, countries, feature types, name-part types, party (sub)types, document types,
sanctions programmes, lists, detail references); Locations; IDRegDocuments (keyed by
IdentityID); DistinctParties (one <DistinctParty FixedRef=ent_num> per record, whose
<Profile PartySubTypeID> holds <Identity> with <Alias AliasTypeID Primary LowQuality>
-> <DocumentedName> -> <DocumentedNamePart><NamePartValue NamePartGroupID>, the
<NamePartGroups> that type each part, and <Feature FeatureTypeID> elements (birth date,
nationality, location, vessel flag, ...) whose <FeatureVersion> carries a DatePeriod, a
VersionDetail or a VersionLocation); ProfileRelationships; SanctionsEntries
(<SanctionsEntry ProfileID ListID> with <EntryEvent><Date> and <SanctionsMeasure> whose
Comment is the programme). Everything is streamed; entities are yielded at the end,
once their programmes (listed after them) are known. LowQuality aliases are weak.
Source id: the FixedRef, which is the ent_num of sdn.csv.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from lxml import etree

from monitor.watchlists.countries import country_code
from monitor.watchlists.loaders.base import EntityRecord, LoadReport, clean
from monitor.watchlists.loaders.xmlutil import children, descendants, iter_records, local, root_tag, text

SECTIONS = {"DateOfIssue", "ReferenceValueSets", "Location", "IDRegDocument", "DistinctParty", "SanctionsEntry"}
PART_ORDER = {"Last Name": 0, "First Name": 1, "Middle Name": 2, "Patronymic": 3, "Matronymic": 4}
SUBTYPE_SCHEMA = {"vessel": "vessel", "aircraft": "aircraft"}


@dataclass
class _Refs:
    """ReferenceValueSets as dicts: set name -> ID -> (text, attributes)."""

    values: dict[str, dict[str, tuple[str, dict[str, str]]]] = field(default_factory=dict)

    def name(self, kind: str, ident: str | None) -> str:
        if not ident:
            return ""
        return self.values.get(kind, {}).get(ident, ("", {}))[0]

    def attr(self, kind: str, ident: str | None, key: str) -> str:
        if not ident:
            return ""
        return self.values.get(kind, {}).get(ident, ("", {}))[1].get(key, "")


@dataclass
class _Party:
    record: EntityRecord
    identity_ids: list[str]
    line: int | None


def _date_of(elem: etree._Element | None) -> str:
    """Year[-Month[-Day]] of the first <From> (or <Date>) under elem."""
    if elem is None:
        return ""
    node = next(iter(descendants(elem, "From")), None)
    if node is None:
        node = elem
    year, month, day = text(node, "Year"), text(node, "Month"), text(node, "Day")
    if not year:
        return ""
    out = year
    if month:
        out += f"-{int(month):02d}"
        if day:
            out += f"-{int(day):02d}"
    return out


class OfacAdvancedXmlLoader:
    """sdn_advanced.xml / cons_advanced.xml."""

    format = "ofac-advanced-xml"
    default_dataset = "us_ofac_sdn"

    def sniff(self, path: Path, head: bytes) -> bool:
        """Root element Sanctions with ReferenceValueSets or DistinctParties."""
        return root_tag(head) == "Sanctions" and (b"ReferenceValueSets" in head or b"DateOfIssue" in head)

    def files(self, path: Path) -> list[Path]:
        """Just the one file."""
        return [path]

    def dataset_for(self, path: Path) -> str:
        """cons_advanced.xml is the non-SDN list."""
        return "us_ofac_cons" if "cons" in path.name.lower() else self.default_dataset

    def read(self, path: Path, report: LoadReport) -> Iterator[EntityRecord]:
        """Stream the sections, then yield every party with its programmes."""
        refs = _Refs()
        locations: dict[str, tuple[str, str | None]] = {}
        documents: dict[str, list[dict[str, str]]] = {}
        parties: dict[str, _Party] = {}
        by_profile: dict[str, str] = {}
        for elem in iter_records(path, ("Sanctions",), SECTIONS):
            tag = local(elem.tag)
            if tag == "DateOfIssue":
                issued = _date_of(elem)
                if len(issued) == 10:
                    report.published_at = datetime.fromisoformat(issued).replace(tzinfo=UTC)
            elif tag == "ReferenceValueSets":
                for group in elem:
                    kind = local(group.tag)
                    refs.values[kind] = {
                        clean(v.get("ID")): (clean(v.text), {k: clean(x) for k, x in v.attrib.items()})
                        for v in group
                        if isinstance(v.tag, str)
                    }
            elif tag == "Location":
                locations[clean(elem.get("ID"))] = self._location(elem, refs)
            elif tag == "IDRegDocument":
                self._document(elem, refs, documents)
            elif tag == "DistinctParty":
                party = self._party(elem, refs, locations, report)
                if party is not None:
                    parties[party.record.source_id] = party
                    for profile in children(elem, "Profile"):
                        by_profile[clean(profile.get("ID"))] = party.record.source_id
            elif tag == "SanctionsEntry":
                self._entry(elem, refs, parties, by_profile)
        if not refs.values:
            report.skip(None, "no ReferenceValueSets: name parts and features could not be typed")
        for party in parties.values():
            rec = party.record
            for identity in party.identity_ids:
                rec.identifiers.extend(documents.get(identity, []))
            yield rec.finish()

    def _location(self, elem: etree._Element, refs: _Refs) -> tuple[str, str | None]:
        parts = [
            text(v, "Value") for part in children(elem, "LocationPart") for v in children(part, "LocationPartValue")
        ]
        country_id = next((clean(c.get("CountryID")) for c in children(elem, "LocationCountry")), "")
        country = refs.name("CountryValues", country_id)
        code = refs.attr("CountryValues", country_id, "ISO2") or country_code(country)
        line = ", ".join(p for p in [*parts, country] if p)
        return line, code or None

    def _document(self, elem: etree._Element, refs: _Refs, documents: dict[str, list[dict[str, str]]]) -> None:
        number = text(elem, "IDRegistrationNo")
        if not number:
            return
        kind = refs.name("IDRegDocTypeValues", clean(elem.get("IDRegDocTypeID"))) or "Identification"
        if kind.startswith("Vessel Registration Identification") and number.upper().startswith("IMO "):
            kind, number = "IMO", number[4:].strip()
        item = {"type": kind, "value": number}
        country_id = clean(elem.get("IssuedBy-CountryID"))
        code = refs.attr("CountryValues", country_id, "ISO2") or country_code(refs.name("CountryValues", country_id))
        if code:
            item["country"] = code
        documents.setdefault(clean(elem.get("IdentityID")), []).append(item)

    def _party(
        self, elem: etree._Element, refs: _Refs, locations: dict[str, tuple[str, str | None]], report: LoadReport
    ) -> _Party | None:
        fixed = clean(elem.get("FixedRef"))
        profile = next(iter(children(elem, "Profile")), None)
        if not fixed or profile is None:
            report.skip(elem.sourceline, "DistinctParty without FixedRef or Profile", fixed or None)
            return None
        subtype_id = clean(profile.get("PartySubTypeID"))
        subtype = refs.name("PartySubTypeValues", subtype_id).lower()
        party_type = refs.name("PartyTypeValues", refs.attr("PartySubTypeValues", subtype_id, "PartyTypeID")).lower()
        schema = SUBTYPE_SCHEMA.get(subtype) or ("person" if party_type == "individual" else "organization")
        names: list[tuple[str, bool, bool]] = []  # (name, primary, weak)
        identity_ids = []
        for identity in children(profile, "Identity"):
            identity_ids.append(clean(identity.get("ID")))
            groups = {
                clean(g.get("ID")): refs.name("NamePartTypeValues", clean(g.get("NamePartTypeID")))
                for g in descendants(identity, "NamePartGroup")
            }
            for alias in children(identity, "Alias"):
                primary = clean(alias.get("Primary")) == "true"
                weak = clean(alias.get("LowQuality")) == "true"
                for doc in children(alias, "DocumentedName"):
                    name = self._assemble(doc, groups)
                    if name:
                        names.append((name, primary, weak))
        if not names:
            report.skip(elem.sourceline, "DistinctParty without a name", fixed)
            return None
        caption = next((n for n, primary, _w in names if primary), names[0][0])
        rec = EntityRecord(source_id=fixed, schema=schema, name=caption)
        for name, _primary, weak in names:
            rec.add_name(name, kind="weak" if weak else "alias", weak=weak)
        comment = text(elem, "Comment")
        rec.remarks = comment or None
        for feature in children(profile, "Feature"):
            self._feature(feature, refs, locations, rec)
        return _Party(rec, identity_ids, elem.sourceline)

    def _assemble(self, doc: etree._Element, groups: dict[str, str]) -> str:
        parts: list[tuple[int, int, str, str]] = []
        for index, value in enumerate(descendants(doc, "NamePartValue")):
            part_type = groups.get(clean(value.get("NamePartGroupID")), "")
            parts.append((PART_ORDER.get(part_type, 5), index, part_type, clean(value.text)))
        parts = [p for p in parts if p[3]]
        if not parts:
            return ""
        parts.sort()
        if parts[0][2] == "Last Name" and len(parts) > 1:
            return f"{parts[0][3]}, {' '.join(p[3] for p in parts[1:])}"
        return " ".join(p[3] for p in parts)

    def _feature(
        self, feature: etree._Element, refs: _Refs, locations: dict[str, tuple[str, str | None]], rec: EntityRecord
    ) -> None:
        kind = refs.name("FeatureTypeValues", clean(feature.get("FeatureTypeID")))
        low = kind.lower()
        for version in children(feature, "FeatureVersion"):
            values = []
            for detail in children(version, "VersionDetail"):
                ref = refs.name("DetailReferenceValues", clean(detail.get("DetailReferenceID")))
                values.append(ref or clean(detail.text))
            places = [
                locations.get(clean(loc.get("LocationID")), ("", None)) for loc in children(version, "VersionLocation")
            ]
            period = next(iter(children(version, "DatePeriod")), None)
            if low == "birthdate":
                found = _date_of(period)
                if found:
                    rec.birth_dates.append(found)
            elif low in ("nationality country", "citizenship country", "vessel flag", "nationality of registration"):
                for value in values:
                    code = country_code(value)
                    if code:
                        rec.countries.append(code)
                rec.countries.extend(code for _line, code in places if code)
                if low == "vessel flag" and values:
                    rec.properties["flag"] = values[0]
            elif low == "location":
                for line, code in places:
                    rec.add_address([line], code)
            elif low == "place of birth":
                place = "; ".join([v for v in values if v] + [line for line, _c in places if line])
                if place:
                    rec.properties["birth_place"] = place
            elif low == "gender" and values:
                rec.properties["gender"] = values[0].lower()
            elif low == "title" and values:
                rec.properties["title"] = values[0]
            elif low == "vessel call sign" and values:
                rec.identifiers.append({"type": "Call Sign", "value": values[0]})
            elif low.startswith(("website", "email address", "digital currency address", "mmsi")) and values:
                rec.identifiers.append({"type": kind, "value": values[0]})
            elif values and values[0]:
                rec.properties.setdefault("features", {})[kind] = values[0]

    def _entry(self, elem: etree._Element, refs: _Refs, parties: dict[str, _Party], by_profile: dict[str, str]) -> None:
        party = parties.get(by_profile.get(clean(elem.get("ProfileID")), ""))
        if party is None:
            return
        rec = party.record
        for measure in children(elem, "SanctionsMeasure"):
            kind = refs.name("SanctionsTypeValues", clean(measure.get("SanctionsTypeID")))
            comment = text(measure, "Comment")
            if comment and (kind in ("Program", "") or not refs.values):
                rec.programs.append(comment)
        listed = _date_of(next(iter(descendants(elem, "Date")), None))
        if len(listed) == 10 and rec.listed_on is None:
            rec.listed_on = date.fromisoformat(listed)
        list_name = refs.name("ListValues", clean(elem.get("ListID")))
        if list_name:
            rec.properties.setdefault("lists", [])
            if list_name not in rec.properties["lists"]:
                rec.properties["lists"].append(list_name)
