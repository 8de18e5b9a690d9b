"""UK HMT/OFSI consolidated list of financial sanctions targets, CSV (ConList.csv, "2022 format").

The first line is `Last Updated,DD/MM/YYYY`, the second the header: Name 6 (surname or
entity name), Name 1..5 (given names), Title, Name Non-Latin Script, DOB (dd/mm/yyyy,
00 for unknown parts), Town of Birth, Country of Birth, Nationality, Passport Number,
National Identification Number, Position, Address 1..6, Post/Zip Code, Country, Other
Information, Group Type (Individual | Entity | Ship), Alias Type (Primary name | AKA |
FKA | Primary name variation), Alias Quality (Good | Low), Regime, Listed On, Group ID,
and for ships IMO Number and flag columns. Every row is one name of a target; rows
sharing a Group ID (our source id) are one entity. "Low" quality aliases are weak.
Columns are read by header name, so added columns do not break the loader.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

from monitor.watchlists.countries import country_code
from monitor.watchlists.loaders.base import EntityRecord, ListFormatError, LoadReport, clean

REQUIRED = ("Name 6", "Group ID", "Group Type")
SCHEMA = {"individual": "person", "entity": "organization", "ship": "vessel"}


def _date(value: str) -> list[str]:
    """dd/mm/yyyy with 00 for unknown day or month -> ISO prefix."""
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value.strip())
    if not m:
        return []
    day, month, year = int(m.group(1)), int(m.group(2)), m.group(3)
    if month == 0:
        return [year]
    if day == 0:
        return [f"{year}-{month:02d}"]
    return [f"{year}-{month:02d}-{day:02d}"]


class UkCsvLoader:
    """OFSI ConList.csv."""

    format = "uk-csv"
    default_dataset = "gb_hmt_sanctions"

    def sniff(self, path: Path, head: bytes) -> bool:
        """A CSV starting with `Last Updated` or a header with Name 6 and Group ID."""
        text = head[:4000].decode("utf-8", "replace").lstrip("\ufeff")
        return text.startswith("Last Updated") or ("Name 6" in text and "Group ID" in text)

    def files(self, path: Path) -> list[Path]:
        """Just the one file."""
        return [path]

    def dataset_for(self, path: Path) -> str:
        """Always gb_hmt_sanctions."""
        return self.default_dataset

    def read(self, path: Path, report: LoadReport) -> Iterator[EntityRecord]:
        """Group the name rows by Group ID and yield one record per group."""
        groups: dict[str, EntityRecord] = {}
        with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
            reader = csv.reader(fh, strict=True)
            header: list[str] | None = None
            try:
                for row in reader:
                    line = reader.line_num
                    if header is None:
                        if row and clean(row[0]).lower() == "last updated":
                            found = _date(row[1]) if len(row) > 1 else []
                            if found and len(found[0]) == 10:
                                report.published_at = datetime.fromisoformat(found[0]).replace(tzinfo=UTC)
                            continue
                        header = [clean(h) for h in row]
                        missing = [c for c in REQUIRED if c not in header]
                        if missing:
                            raise ListFormatError(path, line, f"not an OFSI list: header lacks {', '.join(missing)}")
                        continue
                    if not any(cell.strip() for cell in row):
                        continue
                    if len(row) < len(header):
                        report.skip(line, f"row has {len(row)} fields, header has {len(header)}")
                        continue
                    self._row(dict(zip(header, row, strict=False)), line, groups, report)
            except csv.Error as exc:
                raise ListFormatError(path, reader.line_num, f"malformed CSV: {exc}") from exc
        if header is None:
            raise ListFormatError(path, 1, "no header row: not an OFSI consolidated list CSV")
        for rec in groups.values():
            rec.properties.pop("_primary", None)
            yield rec.finish()

    def _row(self, row: dict[str, str], line: int, groups: dict[str, EntityRecord], report: LoadReport) -> None:
        gid = clean(row.get("Group ID"))
        if not gid:
            report.skip(line, "row without Group ID")
            return
        given = [clean(row.get(f"Name {i}")) for i in range(1, 6)]
        surname = clean(row.get("Name 6"))
        schema = SCHEMA.get(clean(row.get("Group Type")).lower(), "organization")
        if schema == "person" and surname and any(given):
            name = f"{surname}, {' '.join(g for g in given if g)}"
        else:
            name = " ".join(p for p in [*given, surname] if p)
        if not name:
            report.skip(line, "row without a name", gid)
            return
        alias_type = clean(row.get("Alias Type")).lower()
        weak = clean(row.get("Alias Quality")).lower() == "low"
        rec = groups.get(gid)
        if rec is None:
            rec = EntityRecord(source_id=gid, schema=schema, name=name)
            groups[gid] = rec
        elif alias_type == "primary name" and rec.name != name and rec.properties.get("_primary") is None:
            rec.add_name(rec.name, kind="alias")
            rec.name = name
        if alias_type == "primary name":
            rec.properties["_primary"] = True
        rec.add_name(name, kind="weak" if weak else "alias", weak=weak)
        rec.add_name(clean(row.get("Name Non-Latin Script")), kind="original")
        regime = clean(row.get("Regime"))
        if regime and regime not in rec.programs:
            rec.programs.append(regime)
        for found in _date(clean(row.get("DOB"))):
            if found not in rec.birth_dates:
                rec.birth_dates.append(found)
        for col in ("Nationality", "Country"):
            for part in re.split(r"\s*(?:\(\d+\)|;|,)\s*", clean(row.get(col))):
                code = country_code(part)
                if code and code not in rec.countries:
                    rec.countries.append(code)
        for col, kind in (
            ("Passport Number", "Passport"),
            ("National Identification Number", "National ID"),
            ("IMO Number", "IMO"),
        ):
            value = clean(row.get(col))
            if value:
                rec.identifiers.append({"type": kind, "value": value})
        address = ", ".join(
            p
            for p in [clean(row.get(f"Address {i}")) for i in range(1, 7)]
            + [clean(row.get("Post/Zip Code")), clean(row.get("Country"))]
            if p
        )
        if address and address not in rec.addresses:
            rec.addresses.append(address)
        for col, key in (("Position", "position"), ("Title", "title"), ("Town of Birth", "birth_place")):
            value = clean(row.get(col))
            if value:
                rec.properties.setdefault(key, value)
        other = clean(row.get("Other Information"))
        if other and not rec.remarks:
            rec.remarks = other
        listed = clean(row.get("Listed On"))
        if listed and rec.listed_on is None:
            listed_iso = _date(listed)
            if listed_iso and len(listed_iso[0]) == 10:
                rec.listed_on = date.fromisoformat(listed_iso[0])
