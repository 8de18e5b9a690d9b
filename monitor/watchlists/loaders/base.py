"""The normalised record every list loader yields, and what a loader reports.

Loaders are pure: they read a file and yield `EntityRecord`s; they never touch the
database. A record the loader cannot use is skipped and reported with its line (or
element) and reason; a file the loader cannot read at all raises `ListFormatError`
with the line and reason, so the caller keeps the previously loaded version.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

SCHEMAS = ("person", "organization", "vessel", "aircraft")
MAX_SKIPPED_DETAIL = 200


class ListFormatError(ValueError):
    """A list file that is truncated, malformed or of another format."""

    def __init__(self, path: Path | str, line: int | None, reason: str) -> None:
        self.path = str(path)
        self.line = line
        self.reason = reason
        where = f"{self.path}, line {line}" if line else self.path
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class NameRecord:
    """One name of an entity: kind is primary | alias | weak | original | derived."""

    name: str
    kind: str = "alias"
    weak: bool = False
    lang: str | None = None


@dataclass
class EntityRecord:
    """A listed entity as every loader yields it, before it is stored."""

    source_id: str
    schema: str
    name: str
    names: list[NameRecord] = field(default_factory=list)
    programs: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    birth_dates: list[str] = field(default_factory=list)
    identifiers: list[dict[str, str]] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    remarks: str | None = None
    listed_on: date | None = None

    def add_name(self, name: str | None, kind: str = "alias", weak: bool = False, lang: str | None = None) -> None:
        """Add a name once (the first kind given wins; strong beats weak)."""
        name = clean(name)
        if not name:
            return
        for i, existing in enumerate(self.names):
            if existing.name == name:
                if existing.weak and not weak:
                    self.names[i] = NameRecord(name, kind, weak, lang or existing.lang)
                return
        self.names.append(NameRecord(name, kind, weak, lang))

    def add_address(self, parts: Iterable[str | None], country: str | None) -> None:
        """Add an address from its parts (empty ones left out) and its country code, each when present."""
        line = ", ".join(p for p in parts if p)
        if line:
            self.addresses.append(line)
        if country:
            self.countries.append(country)

    def finish(self) -> EntityRecord:
        """Make the primary name the first name and drop duplicates in the lists."""
        self.name = clean(self.name)
        self.names = [n for n in self.names if n.name != self.name]
        self.names.insert(0, NameRecord(self.name, "primary"))
        if self.schema == "person":
            for n in list(self.names):
                for variant in person_name_variants(n.name):
                    self.add_name(variant, kind="weak" if n.weak else "derived", weak=n.weak, lang=n.lang)
        self.programs = unique(self.programs)
        self.countries = unique(self.countries)
        self.birth_dates = unique(self.birth_dates)
        self.addresses = unique(self.addresses)
        seen: set[tuple[tuple[str, str], ...]] = set()
        idents = []
        for ident in self.identifiers:
            key = tuple(sorted(ident.items()))
            if key not in seen and ident.get("value"):
                seen.add(key)
                idents.append(ident)
        self.identifiers = idents
        return self

    def content_hash(self) -> str:
        """A digest of everything stored about the entity, to tell changed from unchanged."""
        # Built by hand: dataclasses.asdict deep-copies and was most of the load time.
        data = [
            self.source_id,
            self.schema,
            self.name,
            [(n.name, n.kind, n.weak, n.lang) for n in self.names],
            self.programs,
            self.countries,
            self.birth_dates,
            self.identifiers,
            self.addresses,
            self.properties,
            self.remarks,
            self.listed_on,
        ]
        blob = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass
class Skipped:
    """A record the loader left out, and why."""

    line: int | None
    reason: str
    source_id: str | None = None


@dataclass
class LoadReport:
    """What a loader learned besides the records: skips, publication date, file digest."""

    skipped: list[Skipped] = field(default_factory=list)
    skipped_count: int = 0
    published_at: datetime | None = None
    sources: list[str] = field(default_factory=list)

    def skip(self, line: int | None, reason: str, source_id: str | None = None) -> None:
        """Record a skipped record (the detail list is capped, the count is not)."""
        self.skipped_count += 1
        if len(self.skipped) < MAX_SKIPPED_DETAIL:
            self.skipped.append(Skipped(line, reason, source_id))

    def skipped_summary(self) -> list[dict[str, Any]]:
        """Skips as JSON-ready dicts, with a closing note when the list was capped."""
        out: list[dict[str, Any]] = [asdict(s) for s in self.skipped]
        if self.skipped_count > len(self.skipped):
            out.append({"line": None, "reason": f"... and {self.skipped_count - len(self.skipped)} more"})
        return out


class Loader(Protocol):
    """One list format."""

    format: str
    default_dataset: str

    def sniff(self, path: Path, head: bytes) -> bool:
        """True when the file looks like this format."""
        ...

    def read(self, path: Path, report: LoadReport) -> Iterator[EntityRecord]:
        """Yield the records of the file, reporting skips; raise ListFormatError on a broken file."""
        ...

    def files(self, path: Path) -> list[Path]:
        """Every file this load reads (for the version's digest)."""
        ...

    def dataset_for(self, path: Path) -> str:
        """The dataset a file of this format belongs to unless the caller names one."""
        ...


_WS = re.compile(r"\s+")


def clean(value: str | None) -> str:
    """Collapse whitespace; OFAC's `-0-` (and blanks) become empty."""
    if value is None:
        return ""
    value = _WS.sub(" ", value).strip()
    if value in ("-0-", "-0", "--"):
        return ""
    return value


def parse_timestamp(value: str | None) -> datetime | None:
    """An ISO 8601 timestamp as an aware datetime (UTC when it names no zone); None when missing or unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def unique(values: list[str]) -> list[str]:
    """Drop blanks and duplicates, keeping order."""
    seen: set[str] = set()
    out = []
    for v in values:
        v = clean(v)
        if v and v not in seen:
            seen.add(v)
            out.append(v)
    return out


def files_digest(paths: list[Path]) -> str:
    """SHA-256 over the given files, in order (streamed)."""
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode())
        with p.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def person_name_variants(name: str) -> list[str]:
    """`SURNAME, Given Names` also reads as `Given Names SURNAME` and `SURNAME Given Names`.

    Lists write people surname-first with a comma; news writes them in natural order
    (and for Korean and Chinese names surname-first without the comma), so both orders
    are stored as derived names that the matcher can look for verbatim.
    """
    if name.count(",") != 1:
        return []
    last, first = (part.strip() for part in name.split(","))
    if not last or not first:
        return []
    return [f"{first} {last}", f"{last} {first}"]
