"""OFAC XML (`ofac-xml`): the classic `sdnList` schema of sdn.xml and the consolidated (non-SDN)
list; files in the "advanced" schema (sdn_advanced.xml, root <Sanctions>) are handed to
`ofac_advanced`.

Root <sdnList> (namespaced) with <publshInformation><Publish_Date>MM/DD/YYYY and one
<sdnEntry> per record: uid (the ent_num, our source id), firstName, lastName, title,
sdnType (Individual | Entity | Vessel | Aircraft), remarks, programList/program,
idList/id (idType, idNumber, idCountry), akaList/aka (type a.k.a. | f.k.a. | n.k.a.,
category strong | weak), addressList/address, nationalityList, citizenshipList,
dateOfBirthList, placeOfBirthList, vesselInfo. Aliases of category "weak" are OFAC's
weak a.k.a.s and stored as weak. People are named "LAST, First" as in sdn.csv.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from monitor.watchlists.countries import country_code
from monitor.watchlists.loaders.base import EntityRecord, LoadReport
from monitor.watchlists.loaders.ofac_advanced import OfacAdvancedXmlLoader
from monitor.watchlists.loaders.ofac_remarks import parse_date, parse_remarks
from monitor.watchlists.loaders.xmlutil import children, descendants, iter_records, root_tag, text

ADVANCED = OfacAdvancedXmlLoader()
SCHEMA = {"individual": "person", "entity": "organization", "vessel": "vessel", "aircraft": "aircraft"}


def ofac_name(elem: etree._Element) -> str:
    """`LAST, First` when there is a first name, else the last name alone."""
    first, last = text(elem, "firstName"), text(elem, "lastName")
    if first and last:
        return f"{last}, {first}"
    return last or first


class OfacXmlLoader:
    """sdn.xml / consolidated.xml."""

    format = "ofac-xml"
    default_dataset = "us_ofac_sdn"

    def sniff(self, path: Path, head: bytes) -> bool:
        """Root element sdnList, or the advanced schema's Sanctions."""
        return root_tag(head) == "sdnList" or ADVANCED.sniff(path, head)

    def files(self, path: Path) -> list[Path]:
        """Just the one file."""
        return [path]

    def dataset_for(self, path: Path) -> str:
        """consolidated.xml / cons_*.xml is the non-SDN list."""
        return "us_ofac_cons" if "cons" in path.name.lower() else self.default_dataset

    def read(self, path: Path, report: LoadReport) -> Iterator[EntityRecord]:
        """Yield one record per sdnEntry (or per DistinctParty of an advanced file)."""
        with path.open("rb") as fh:
            head = fh.read(4096)
        if root_tag(head) == "Sanctions":
            yield from ADVANCED.read(path, report)
            return
        for elem in iter_records(path, ("sdnList",), {"sdnEntry", "publshInformation"}):
            if elem.tag.endswith("publshInformation"):
                found = parse_date(text(elem, "Publish_Date"))
                if found and len(found[0]) == 10:
                    report.published_at = datetime.fromisoformat(found[0]).replace(tzinfo=UTC)
                continue
            rec = self._record(elem, report)
            if rec is not None:
                yield rec

    def _record(self, elem: etree._Element, report: LoadReport) -> EntityRecord | None:
        uid = text(elem, "uid")
        name = ofac_name(elem)
        if not uid.isdigit():
            report.skip(elem.sourceline, f"sdnEntry without a numeric uid ({uid!r})")
            return None
        if not name:
            report.skip(elem.sourceline, "sdnEntry without a name", uid)
            return None
        sdn_type = text(elem, "sdnType").lower()
        schema = SCHEMA.get(sdn_type, "organization")
        remarks = text(elem, "remarks")
        rec = EntityRecord(source_id=uid, schema=schema, name=name, remarks=remarks or None)
        props: dict[str, object] = {"sdn_type": sdn_type} if sdn_type else {}
        title = text(elem, "title")
        if title:
            props["title"] = title
        rec.programs = [t for p in descendants(elem, "program") if (t := text(p))]
        for aka in descendants(elem, "aka"):
            weak = text(aka, "category").lower() == "weak"
            rec.add_name(ofac_name(aka), kind="weak" if weak else "alias", weak=weak)
        for ident in descendants(elem, "id"):
            kind, number = text(ident, "idType"), text(ident, "idNumber")
            if not number:
                continue
            item = {"type": kind or "Identifier", "value": number}
            if kind.startswith("Vessel Registration Identification") and number.upper().startswith("IMO "):
                item = {"type": "IMO", "value": number[4:].strip()}
            code = country_code(text(ident, "idCountry"))
            if code:
                item["country"] = code
            rec.identifiers.append(item)
        for tag in ("nationality", "citizenship"):
            for node in descendants(elem, tag):
                code = country_code(text(node, "country"))
                if code:
                    rec.countries.append(code)
        for node in descendants(elem, "dateOfBirthItem"):
            value = text(node, "dateOfBirth")
            rec.birth_dates.extend(parse_date(value) or ([value] if value else []))
        places = [t for node in descendants(elem, "placeOfBirthItem") if (t := text(node, "placeOfBirth"))]
        if places:
            props["birth_place"] = "; ".join(places)
        for addr in descendants(elem, "address"):
            fields = ("address1", "address2", "address3", "city", "stateOrProvince", "postalCode", "country")
            rec.add_address((text(addr, f) for f in fields), country_code(text(addr, "country")))
        for vessel in children(elem, "vesselInfo"):
            for tag, key in (
                ("callSign", "call_sign"),
                ("vesselType", "vessel_type"),
                ("vesselFlag", "flag"),
                ("vesselOwner", "owner"),
                ("tonnage", "tonnage"),
                ("grossRegisteredTonnage", "grt"),
            ):
                value = text(vessel, tag)
                if value:
                    props[key] = value
            code = country_code(text(vessel, "vesselFlag"))
            if code:
                rec.countries.append(code)
        if remarks:
            facts = parse_remarks(remarks)
            for alias in facts.weak_aliases:
                rec.add_name(alias, kind="weak", weak=True)
            rec.identifiers.extend(facts.identifiers)
            rec.countries.extend(facts.countries)
            rec.birth_dates.extend(facts.birth_dates)
        rec.properties = props
        return rec.finish()
