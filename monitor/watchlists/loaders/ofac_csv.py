"""OFAC SDN legacy CSV: sdn.csv with alt.csv (aliases) and add.csv (addresses) beside it.

Format (OFAC "SDN Data Specification"): Latin-1, no header, `-0-` for empty, the file
may end with a DOS end-of-file byte (0x1A).
- sdn.csv: ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage,
  GRT, Vess_flag, Vess_owner, Remarks. An empty SDN_Type is an organisation; several
  programs are written `SDGT] [IFSR`.
- alt.csv: ent_num, alt_num, alt_type (aka | fka | nka), alt_name, alt_remarks.
- add.csv: ent_num, add_num, address, city/state/postal code, country, add_remarks.

The alias and address files are often newer than sdn.csv, so some of their ent_nums
are not in it: those rows are skipped and reported. The source id is the ent_num.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from monitor.watchlists.countries import country_code
from monitor.watchlists.loaders.base import (
    EntityRecord,
    ListFormatError,
    LoadReport,
    clean,
)
from monitor.watchlists.loaders.ofac_remarks import parse_remarks

SCHEMA = {"individual": "person", "vessel": "vessel", "aircraft": "aircraft", "": "organization"}
SDN_COLUMNS = 12
ALT_COLUMNS = 5
ADD_COLUMNS = 6


def _rows(path: Path, columns: int) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of a headerless OFAC CSV; a short last row means a truncated file."""
    with path.open("r", encoding="latin-1", newline="") as fh:
        reader = csv.reader(fh, strict=True)
        pending: tuple[int, list[str]] | None = None
        try:
            for row in reader:
                line = reader.line_num
                if not row or row == ["\x1a"] or (len(row) == 1 and not row[0].strip("\x1a \r\n")):
                    continue
                if pending is not None:
                    yield pending
                pending = (line, row)
        except csv.Error as exc:
            reason = f"malformed CSV: {exc}"
            if "unexpected end of data" in str(exc):
                reason = "truncated file: it ends inside a quoted field"
            raise ListFormatError(path, reader.line_num, reason) from exc
        if pending is not None:
            line, row = pending
            if len(row) != columns:
                raise ListFormatError(path, line, f"truncated file: last row has {len(row)} fields, expected {columns}")
            yield pending


def split_programs(value: str) -> list[str]:
    """`SDGT] [IFSR` -> [SDGT, IFSR]."""
    value = clean(value).strip("[]")
    return [p.strip() for p in value.split("] [") if clean(p)]


class OfacCsvLoader:
    """sdn.csv + alt.csv + add.csv."""

    format = "ofac-csv"
    default_dataset = "us_ofac_sdn"

    def sniff(self, path: Path, head: bytes) -> bool:
        """A CSV whose first field is a number and whose second is quoted."""
        if path.suffix.lower() != ".csv":
            return False
        first = head.split(b"\n", 1)[0].decode("latin-1")
        try:
            row = next(csv.reader(io.StringIO(first)))
        except (csv.Error, StopIteration):
            return False
        return len(row) == SDN_COLUMNS and row[0].strip().isdigit()

    def files(self, path: Path) -> list[Path]:
        """sdn.csv and whichever of alt.csv / add.csv exist beside it."""
        return [path] + [p for p in self._companions(path).values() if p.exists()]

    def dataset_for(self, path: Path) -> str:
        """cons_prim.csv is the consolidated (non-SDN) list; anything else the SDN list."""
        return "us_ofac_cons" if path.name.lower().startswith("cons") else self.default_dataset

    def _companions(self, path: Path) -> dict[str, Path]:
        # sdn.csv -> alt.csv/add.csv; cons_prim.csv -> cons_alt.csv/cons_add.csv
        name = path.name.lower()
        prefix = name[: -len("prim.csv")] if name.endswith("prim.csv") else ""
        return {"alt": path.with_name(f"{prefix}alt.csv"), "add": path.with_name(f"{prefix}add.csv")}

    def read(self, path: Path, report: LoadReport) -> Iterator[EntityRecord]:
        """Yield one record per sdn.csv row, with its aliases and addresses."""
        comp = self._companions(path)
        aliases: dict[str, list[tuple[int, list[str]]]] = {}
        addresses: dict[str, list[tuple[int, list[str]]]] = {}
        for kind, target, cols in (("alt", aliases, ALT_COLUMNS), ("add", addresses, ADD_COLUMNS)):
            cpath = comp[kind]
            if not cpath.exists():
                report.skip(None, f"{cpath.name} not found beside {path.name}: loaded without {kind} rows")
                continue
            report.sources.append(str(cpath))
            for line, row in _rows(cpath, cols):
                if len(row) != cols or not row[0].strip().isdigit():
                    report.skip(line, f"{cpath.name}: expected {cols} fields with a numeric ent_num, got {row[:2]}")
                    continue
                target.setdefault(row[0].strip(), []).append((line, row))

        seen_any = False
        for line, row in _rows(path, SDN_COLUMNS):
            if len(row) != SDN_COLUMNS or not row[0].strip().isdigit():
                if not seen_any:
                    raise ListFormatError(
                        path,
                        line,
                        f"not an OFAC SDN CSV: expected {SDN_COLUMNS} fields "
                        f"starting with a numeric ent_num, got {len(row)}",
                    )
                report.skip(line, f"expected {SDN_COLUMNS} fields with a numeric ent_num, got {len(row)}")
                continue
            seen_any = True
            ent = row[0].strip()
            name = clean(row[1])
            if not name:
                report.skip(line, "empty name", ent)
                continue
            yield self._record(ent, row, aliases.pop(ent, []), addresses.pop(ent, []))
        if not seen_any:
            raise ListFormatError(path, None, "no SDN rows: empty or not an OFAC SDN CSV")
        for kind, leftover in (("alt", aliases), ("add", addresses)):
            for ent, rows in leftover.items():
                for line, _row in rows:
                    report.skip(line, f"{comp[kind].name}: ent_num {ent} is not in {path.name}", ent)

    def _record(
        self, ent: str, row: list[str], alts: list[tuple[int, list[str]]], adds: list[tuple[int, list[str]]]
    ) -> EntityRecord:
        sdn_type = clean(row[2]).lower()
        schema = SCHEMA.get(sdn_type, "organization")
        remarks = clean(row[11])
        rec = EntityRecord(source_id=ent, schema=schema, name=clean(row[1]), remarks=remarks or None)
        rec.programs = split_programs(row[3])
        props: dict[str, str] = {}
        for key, idx in (
            ("title", 4),
            ("call_sign", 5),
            ("vessel_type", 6),
            ("tonnage", 7),
            ("grt", 8),
            ("flag", 9),
            ("owner", 10),
        ):
            value = clean(row[idx])
            if value:
                props[key] = value
        if sdn_type:
            props["sdn_type"] = sdn_type
        for _line, alt in alts:
            alt_type = clean(alt[2]).lower()
            alt_remarks = clean(alt[4]).lower()
            # alt.csv holds strong names; OFAC marks low-quality ones "weak" in type or remarks.
            weak = "weak" in alt_type or "weak" in alt_remarks
            rec.add_name(alt[3], kind="weak" if weak else "alias", weak=weak)
            if alt_type in ("fka", "nka"):
                props.setdefault("name_types", {})  # type: ignore[arg-type]
                props["name_types"][clean(alt[3])] = alt_type  # type: ignore[index]
        facts = parse_remarks(remarks) if remarks else None
        if facts:
            for alias in facts.strong_aliases:
                rec.add_name(alias, kind="alias")
            for alias in facts.weak_aliases:
                rec.add_name(alias, kind="weak", weak=True)
            rec.birth_dates.extend(facts.birth_dates)
            rec.countries.extend(facts.countries)
            rec.identifiers.extend(facts.identifiers)
            if facts.birth_places:
                props["birth_place"] = "; ".join(facts.birth_places)
            if facts.gender:
                props["gender"] = facts.gender
        if schema == "vessel" and props.get("flag"):
            code = country_code(props["flag"])
            if code:
                rec.countries.append(code)
        if schema == "vessel" and props.get("call_sign"):
            rec.identifiers.append({"type": "Call Sign", "value": props["call_sign"]})
        for _line, add in adds:
            parts = [clean(add[2]), clean(add[3]), clean(add[4])]
            text = ", ".join(p for p in parts if p)
            if text:
                rec.addresses.append(text)
            code = country_code(clean(add[4]))
            if code:
                rec.countries.append(code)
        rec.properties = props
        return rec.finish()
