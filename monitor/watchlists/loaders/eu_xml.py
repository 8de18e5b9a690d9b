"""EU Financial Sanctions Files (FSF) full list XML (xmlFullSanctionsList_1_1).

Root <export xmlns="http://eu.europa.ec/fpi/fsd/export" generationDate=...> with one
<sanctionEntity logicalId euReferenceNumber unitedNationId designationDate> per
record. Children are attribute-heavy: <subjectType code="person|enterprise">,
<regulation programme="...">, <nameAlias wholeName firstName middleName lastName
strong="true|false" function gender nameLanguage>, <citizenship countryIso2Code>,
<birthdate birthdate|year city countryIso2Code>, <identification
identificationTypeDescription number countryIso2Code>, <address street city zipCode
countryIso2Code countryDescription>, <remark>. The first strong nameAlias is the
caption; strong="false" aliases are weak. Source id: the EU logicalId of the entity
(the euReferenceNumber is kept as an identifier).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

from lxml import etree

from monitor.watchlists.countries import country_code
from monitor.watchlists.loaders.base import EntityRecord, LoadReport, clean, parse_timestamp
from monitor.watchlists.loaders.xmlutil import children, iter_records, root_tag

SCHEMA = {"person": "person", "enterprise": "organization", "vessel": "vessel", "aircraft": "aircraft"}


def _code(elem: etree._Element) -> str | None:
    iso = clean(elem.get("countryIso2Code"))
    if iso and iso != "00":
        return country_code(iso) or iso.upper()
    return country_code(clean(elem.get("countryDescription")))


class EuXmlLoader:
    """EU FSF full list."""

    format = "eu-xml"
    default_dataset = "eu_fsf"

    def sniff(self, path: Path, head: bytes) -> bool:
        """Root element export in the FSF namespace."""
        return root_tag(head) == "export" and b"fpi/fsd/export" in head

    def files(self, path: Path) -> list[Path]:
        """Just the one file."""
        return [path]

    def dataset_for(self, path: Path) -> str:
        """Always eu_fsf."""
        return self.default_dataset

    def read(self, path: Path, report: LoadReport) -> Iterator[EntityRecord]:
        """Yield one record per sanctionEntity."""
        for elem in iter_records(path, ("export",), {"sanctionEntity"}):
            if report.published_at is None:
                report.published_at = parse_timestamp(elem.getroottree().getroot().get("generationDate"))
            rec = self._record(elem, report)
            if rec is not None:
                yield rec

    def _record(self, elem: etree._Element, report: LoadReport) -> EntityRecord | None:
        logical = clean(elem.get("logicalId"))
        if not logical:
            report.skip(elem.sourceline, "sanctionEntity without logicalId")
            return None
        subject = next(iter(children(elem, "subjectType")), None)
        schema = SCHEMA.get(clean(subject.get("code")) if subject is not None else "", "organization")
        aliases = children(elem, "nameAlias")
        names = [(clean(a.get("wholeName")), clean(a.get("strong")).lower() != "false", a) for a in aliases]
        names = [(n, strong, a) for n, strong, a in names if n]
        if not names:
            report.skip(elem.sourceline, "sanctionEntity without any nameAlias wholeName", logical)
            return None
        caption = next((n for n, strong, _a in names if strong), names[0][0])
        rec = EntityRecord(source_id=logical, schema=schema, name=caption)
        props: dict[str, object] = {}
        functions: list[str] = []
        for name, strong, alias in names:
            lang = clean(alias.get("nameLanguage")).lower() or None
            rec.add_name(name, kind="alias" if strong else "weak", weak=not strong, lang=lang)
            if clean(alias.get("function")):
                functions.append(clean(alias.get("function")))
            if clean(alias.get("gender")) and "gender" not in props:
                props["gender"] = {"M": "male", "F": "female"}.get(
                    clean(alias.get("gender")), clean(alias.get("gender"))
                )
        if functions:
            props["position"] = "; ".join(dict.fromkeys(functions))
        for tag in ("euReferenceNumber", "unitedNationId"):
            value = clean(elem.get(tag))
            if value:
                rec.identifiers.append({"type": tag, "value": value})
        designated = clean(elem.get("designationDate"))
        for reg in children(elem, "regulation"):
            programme = clean(reg.get("programme"))
            if programme:
                rec.programs.append(programme)
        if designated:
            try:
                rec.listed_on = date.fromisoformat(designated[:10])
            except ValueError:
                rec.listed_on = None
        for cit in children(elem, "citizenship"):
            code = _code(cit)
            if code:
                rec.countries.append(code)
        places = []
        for born in children(elem, "birthdate"):
            value = clean(born.get("birthdate")) or clean(born.get("year"))
            if value:
                rec.birth_dates.append(value[:10])
            place = ", ".join(p for p in (clean(born.get("city")), clean(born.get("countryDescription"))) if p)
            if place:
                places.append(place)
        if places:
            props["birth_place"] = "; ".join(places)
        for ident in children(elem, "identification"):
            number = clean(ident.get("number"))
            if not number:
                continue
            item = {"type": clean(ident.get("identificationTypeDescription")) or "Identification", "value": number}
            code = _code(ident)
            if code:
                item["country"] = code
            rec.identifiers.append(item)
        for addr in children(elem, "address"):
            fields = ("street", "poBox", "city", "zipCode", "region", "place", "countryDescription")
            rec.add_address((clean(addr.get(f)) for f in fields), _code(addr))
        remarks = [clean(r.text) for r in children(elem, "remark") if clean(r.text)]
        rec.remarks = "\n".join(remarks) or None
        rec.properties = props
        return rec.finish()
