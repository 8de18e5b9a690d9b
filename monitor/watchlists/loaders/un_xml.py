"""UN Security Council consolidated list XML (https://scsanctions.un.org/resources/xml/en/consolidated.xml).

Root <CONSOLIDATED_LIST dateGenerated=...> with <INDIVIDUALS><INDIVIDUAL> and
<ENTITIES><ENTITY>. Names are FIRST_NAME .. FOURTH_NAME (entities use FIRST_NAME),
NAME_ORIGINAL_SCRIPT is the name in its own script; aliases carry a QUALITY:
"Good"/"a.k.a."/"f.k.a." are strong, "Low" is a weak alias. UN_LIST_TYPE (DPRK,
Al-Qaida, ...) is the programme.

Source id: the UN permanent reference number (`KPi.033`, `QDe.069`), which the UN
uses in its press releases and which other entries cite in their comments; DATAID
(the database row id) is kept as an identifier and used only when a record has no
reference number.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

from lxml import etree

from monitor.watchlists.countries import country_code
from monitor.watchlists.loaders.base import EntityRecord, LoadReport, clean, parse_timestamp
from monitor.watchlists.loaders.xmlutil import children, iter_records, local, root_tag, text

WEAK_QUALITIES = {"low"}


class UnXmlLoader:
    """UN SC consolidated list."""

    format = "un-xml"
    default_dataset = "un_sc_sanctions"

    def sniff(self, path: Path, head: bytes) -> bool:
        """Root element CONSOLIDATED_LIST."""
        return root_tag(head) == "CONSOLIDATED_LIST"

    def files(self, path: Path) -> list[Path]:
        """Just the one file."""
        return [path]

    def dataset_for(self, path: Path) -> str:
        """Always the UN dataset."""
        return self.default_dataset

    def read(self, path: Path, report: LoadReport) -> Iterator[EntityRecord]:
        """Yield one record per INDIVIDUAL and ENTITY."""
        for elem in iter_records(path, ("CONSOLIDATED_LIST",), {"INDIVIDUAL", "ENTITY"}):
            if report.published_at is None:
                root = elem.getroottree().getroot()
                report.published_at = parse_timestamp(root.get("dateGenerated"))
            rec = self._record(elem, report)
            if rec is not None:
                yield rec

    def _record(self, elem: etree._Element, report: LoadReport) -> EntityRecord | None:
        person = local(elem.tag) == "INDIVIDUAL"
        dataid = text(elem, "DATAID")
        ref = text(elem, "REFERENCE_NUMBER")
        source_id = ref or dataid
        parts = [text(elem, t) for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")]
        name = " ".join(p for p in parts if p)
        if not source_id:
            report.skip(elem.sourceline, "record without REFERENCE_NUMBER or DATAID")
            return None
        if not name:
            report.skip(elem.sourceline, "record without a name", source_id)
            return None
        rec = EntityRecord(source_id=source_id, schema="person" if person else "organization", name=name)
        rec.programs = [text(elem, "UN_LIST_TYPE")]
        if dataid:
            rec.identifiers.append({"type": "UN DATAID", "value": dataid})
        if ref:
            rec.identifiers.append({"type": "UN Reference Number", "value": ref})
        listed = text(elem, "LISTED_ON")
        try:
            rec.listed_on = date.fromisoformat(listed[:10]) if listed else None
        except ValueError:
            rec.listed_on = None
        rec.add_name(text(elem, "NAME_ORIGINAL_SCRIPT"), kind="original")
        for alias in children(elem, "INDIVIDUAL_ALIAS") + children(elem, "ENTITY_ALIAS"):
            alias_name = text(alias, "ALIAS_NAME")
            quality = text(alias, "QUALITY").lower()
            weak = quality in WEAK_QUALITIES
            rec.add_name(alias_name, kind="weak" if weak else "alias", weak=weak)
        for nat in children(elem, "NATIONALITY"):
            for value in children(nat, "VALUE"):
                code = country_code(clean(value.text))
                if code:
                    rec.countries.append(code)
        for dob in children(elem, "INDIVIDUAL_DATE_OF_BIRTH"):
            for tag in ("DATE", "YEAR", "FROM_YEAR", "TO_YEAR"):
                value = text(dob, tag)
                if value:
                    rec.birth_dates.append(value[:10])
        places = []
        for pob in children(elem, "INDIVIDUAL_PLACE_OF_BIRTH"):
            place = ", ".join(p for p in (text(pob, t) for t in ("CITY", "STATE_PROVINCE", "COUNTRY")) if p)
            if place:
                places.append(place)
        for addr in children(elem, "INDIVIDUAL_ADDRESS") + children(elem, "ENTITY_ADDRESS"):
            fields = ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE", "COUNTRY")
            rec.add_address((text(addr, t) for t in fields), country_code(text(addr, "COUNTRY")))
        for doc in children(elem, "INDIVIDUAL_DOCUMENT"):
            number = text(doc, "NUMBER")
            if not number:
                continue
            ident = {"type": text(doc, "TYPE_OF_DOCUMENT") or "Document", "value": number}
            code = country_code(text(doc, "ISSUING_COUNTRY") or text(doc, "COUNTRY_OF_ISSUE"))
            if code:
                ident["country"] = code
            rec.identifiers.append(ident)
        props: dict[str, object] = {}
        if places:
            props["birth_place"] = "; ".join(places)
        for tag, key in (("TITLE", "title"), ("DESIGNATION", "position")):
            values = [clean(v.text) for node in children(elem, tag) for v in children(node, "VALUE") if clean(v.text)]
            if values:
                props[key] = "; ".join(values)
        gender = text(elem, "GENDER")
        if gender:
            props["gender"] = gender.lower()
        rec.properties = props
        rec.remarks = text(elem, "COMMENTS1") or None
        return rec.finish()
