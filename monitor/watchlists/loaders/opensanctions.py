"""OpenSanctions exports: `targets.simple.csv` and FollowTheMoney entity JSON lines.

targets.simple.csv (https://www.opensanctions.org/docs/bulk/csv/): a header row, then one
row per target: id, schema, name, aliases, birth_date, countries, addresses,
identifiers, sanctions, phones, emails, dataset, first_seen, last_seen, last_change.
Multi-valued cells are joined with `;`.

FollowTheMoney JSON lines (entities.ftm.json, the format most open tools exchange): one
entity per line, `{"id", "schema", "properties": {"name": [...], "alias": [...],
"weakAlias": [...], "birthDate": [...], "nationality": [...], "country": [...],
"imoNumber": [...], "program": [...], ...}, "datasets": [...], "target": true}`.
Person, Organization, Company, LegalEntity, PublicBody, Vessel and Airplane entities
become records; Sanction entities add their `program` to the entity they point at;
Address and Identification/Passport entities are folded into their owner;
relationship entities (Ownership, Family, ...) are counted and left out.

Both formats default to the dataset `opensanctions` (entity ids are OpenSanctions ids,
which differ from the publishers' own, so they must not mix with e.g. `us_ofac_sdn`
loaded from OFAC's files); pass --dataset to name another.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from monitor.watchlists.countries import country_code
from monitor.watchlists.loaders.base import EntityRecord, ListFormatError, LoadReport, clean

SCHEMA = {
    "person": "person",
    "organization": "organization",
    "company": "organization",
    "legalentity": "organization",
    "publicbody": "organization",
    "vessel": "vessel",
    "airplane": "aircraft",
}
SIMPLE_COLUMNS = ("id", "schema", "name", "aliases")
IDENTIFIER_PROPS = {
    "imoNumber": "IMO",
    "mmsi": "MMSI",
    "callSign": "Call Sign",
    "passportNumber": "Passport",
    "idNumber": "National ID",
    "taxNumber": "Tax ID",
    "registrationNumber": "Registration Number",
    "innCode": "INN",
    "ogrnCode": "OGRN",
    "swiftBic": "SWIFT/BIC",
    "leiCode": "LEI",
    "website": "Website",
    "email": "Email Address",
}


def _codes(values: list[str]) -> list[str]:
    out = []
    for value in values:
        code = country_code(value)
        if code:
            out.append(code)
    return out


class OpenSanctionsCsvLoader:
    """targets.simple.csv."""

    format = "opensanctions-csv"
    default_dataset = "opensanctions"

    def sniff(self, path: Path, head: bytes) -> bool:
        """A header starting id,schema,name,aliases."""
        first = head.split(b"\n", 1)[0].decode("utf-8", "replace").lstrip("\ufeff").strip().lower()
        return first.replace('"', "").startswith("id,schema,name,aliases")

    def files(self, path: Path) -> list[Path]:
        """Just the one file."""
        return [path]

    def dataset_for(self, path: Path) -> str:
        """opensanctions unless the caller names one."""
        return self.default_dataset

    def read(self, path: Path, report: LoadReport) -> Iterator[EntityRecord]:
        """Yield one record per row."""
        with path.open("r", encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh, strict=True)
            try:
                fields = reader.fieldnames or []
                missing = [c for c in SIMPLE_COLUMNS if c not in fields]
                if missing:
                    raise ListFormatError(path, 1, f"not a targets.simple.csv: header lacks {', '.join(missing)}")
                for row in reader:
                    line = reader.line_num
                    if None in row or any(v is None for v in row.values()):
                        report.skip(line, f"row does not have the header's {len(fields)} fields")
                        continue
                    rec = self._record(row, line, report)
                    if rec is not None:
                        yield rec
            except csv.Error as exc:
                raise ListFormatError(path, reader.line_num, f"malformed CSV: {exc}") from exc

    def _record(self, row: dict[str, str], line: int, report: LoadReport) -> EntityRecord | None:
        source_id, name = clean(row.get("id")), clean(row.get("name"))
        schema = SCHEMA.get(clean(row.get("schema")).lower())
        if not source_id or not name:
            report.skip(line, "row without id or name", source_id or None)
            return None
        if schema is None:
            report.skip(
                line, f"schema {row.get('schema')!r} is not a person, organisation, vessel or aircraft", source_id
            )
            return None

        def split(col: str) -> list[str]:
            return [clean(v) for v in (row.get(col) or "").split(";") if clean(v)]

        rec = EntityRecord(source_id=source_id, schema=schema, name=name)
        for alias in split("aliases"):
            rec.add_name(alias)
        rec.birth_dates = split("birth_date")
        rec.countries = _codes(split("countries"))
        rec.addresses = split("addresses")
        rec.identifiers = [{"type": "Identifier", "value": v} for v in split("identifiers")]
        rec.programs = split("sanctions")
        props: dict[str, Any] = {}
        for col in ("phones", "emails", "dataset", "first_seen", "last_seen", "last_change"):
            values = split(col)
            if values:
                props[col] = values if col in ("phones", "emails", "dataset") else values[0]
        rec.properties = props
        return rec.finish()


class FtmJsonLoader:
    """FollowTheMoney entity JSON lines."""

    format = "ftm-json"
    default_dataset = "opensanctions"

    def sniff(self, path: Path, head: bytes) -> bool:
        """First line is a JSON object with id, schema and properties."""
        first = head.split(b"\n", 1)[0].strip()
        if not first.startswith(b"{"):
            return False
        try:
            obj = json.loads(first)
        except ValueError:
            return False
        return isinstance(obj, dict) and {"id", "schema", "properties"} <= set(obj)

    def files(self, path: Path) -> list[Path]:
        """Just the one file."""
        return [path]

    def dataset_for(self, path: Path) -> str:
        """opensanctions unless the caller names one."""
        return self.default_dataset

    def read(self, path: Path, report: LoadReport) -> Iterator[EntityRecord]:
        """Read all entities, fold the auxiliary ones into their owners, yield the targets."""
        records: dict[str, EntityRecord] = {}
        programs: dict[str, list[str]] = {}
        addresses: dict[str, str] = {}
        address_refs: dict[str, list[str]] = {}
        idents: dict[str, list[dict[str, str]]] = {}
        ignored: Counter[str] = Counter()
        with path.open("rb") as fh:
            last_line = 0
            for lineno, raw in enumerate(fh, start=1):
                last_line = lineno
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw)
                except ValueError as exc:
                    if not raw.endswith(b"\n"):
                        raise ListFormatError(
                            path, lineno, f"truncated file: last line is not complete JSON ({exc})"
                        ) from exc
                    if not records and lineno == 1:
                        raise ListFormatError(path, lineno, f"not FollowTheMoney JSON lines: {exc}") from exc
                    report.skip(lineno, f"invalid JSON: {exc}")
                    continue
                if not isinstance(obj, dict) or not isinstance(obj.get("properties"), dict):
                    if lineno == 1:
                        raise ListFormatError(path, 1, "not FollowTheMoney JSON lines: no 'properties' object")
                    report.skip(lineno, "line is not an entity with 'properties'")
                    continue
                self._entity(obj, lineno, report, records, programs, addresses, address_refs, idents, ignored)
            if last_line == 0:
                raise ListFormatError(path, None, "empty file")
        for schema, count in sorted(ignored.items()):
            report.skip(None, f"{count} {schema} entities left out (relationships and other non-target schemas)")
        for eid, rec in records.items():
            rec.programs.extend(programs.get(eid, []))
            for ref in address_refs.get(eid, []):
                if ref in addresses:
                    rec.addresses.append(addresses[ref])
            rec.identifiers.extend(idents.get(eid, []))
            yield rec.finish()

    def _entity(
        self,
        obj: dict[str, Any],
        lineno: int,
        report: LoadReport,
        records: dict[str, EntityRecord],
        programs: dict[str, list[str]],
        addresses: dict[str, str],
        address_refs: dict[str, list[str]],
        idents: dict[str, list[dict[str, str]]],
        ignored: Counter[str],
    ) -> None:
        eid = clean(str(obj.get("id") or ""))
        schema_name = clean(str(obj.get("schema") or ""))
        props: dict[str, list[Any]] = {
            k: [v for v in vs if isinstance(v, str)] for k, vs in obj["properties"].items() if isinstance(vs, list)
        }

        def first(key: str) -> str:
            values = props.get(key) or []
            return clean(values[0]) if values else ""

        if not eid:
            report.skip(lineno, "entity without id")
            return
        if schema_name == "Sanction":
            for owner in props.get("entity", []):
                programs.setdefault(owner, []).extend(
                    clean(p) for p in props.get("program", []) + props.get("programId", []) if clean(p)
                )
            return
        if schema_name == "Address":
            full = first("full") or ", ".join(clean(v) for k in ("street", "city", "country") for v in props.get(k, []))
            if full:
                addresses[eid] = full
            return
        if schema_name in ("Identification", "Passport"):
            number = first("number")
            for holder in props.get("holder", []):
                if number:
                    item = {"type": first("type") or schema_name, "value": number}
                    code = country_code(first("country"))
                    if code:
                        item["country"] = code
                    idents.setdefault(holder, []).append(item)
            return
        schema = SCHEMA.get(schema_name.lower())
        if schema is None:
            ignored[schema_name or "unknown"] += 1
            return
        names = [clean(n) for n in props.get("name", []) if clean(n)]
        caption = clean(str(obj.get("caption") or "")) or (names[0] if names else "")
        if not caption:
            report.skip(lineno, "entity without a name", eid)
            return
        rec = EntityRecord(source_id=eid, schema=schema, name=caption)
        for n in names:
            rec.add_name(n)
        for key in ("alias", "previousName"):
            for n in props.get(key, []):
                rec.add_name(n)
        for n in props.get("weakAlias", []):
            rec.add_name(n, kind="weak", weak=True)
        rec.programs = [clean(p) for p in props.get("program", []) + props.get("programId", []) if clean(p)]
        rec.birth_dates = [clean(v)[:10] for v in props.get("birthDate", []) + props.get("incorporationDate", [])]
        rec.countries = _codes(
            props.get("nationality", [])
            + props.get("citizenship", [])
            + props.get("country", [])
            + props.get("jurisdiction", [])
            + props.get("flag", [])
        )
        rec.addresses = [clean(a) for a in props.get("address", []) if clean(a)]
        address_refs[eid] = props.get("addressEntity", [])
        for key, label in IDENTIFIER_PROPS.items():
            for value in props.get(key, []):
                if clean(value):
                    rec.identifiers.append({"type": label, "value": clean(value)})
        notes = [clean(n) for n in props.get("notes", []) if clean(n)]
        rec.remarks = "\n".join(notes) or None
        extra: dict[str, Any] = {}
        for key in ("position", "topics", "gender", "birthPlace"):
            if props.get(key):
                extra[key] = props[key]
        if obj.get("datasets"):
            extra["datasets"] = obj["datasets"]
        # The source records OpenSanctions merged into this one: `watchlists.resolve` links them.
        referents = [clean(r) for r in obj.get("referents") or [] if isinstance(r, str) and clean(r)]
        if referents:
            extra["referents"] = referents
        rec.properties = extra
        records[eid] = rec
