"""Our own watch-list format (`watchlist-yaml`): a hand-edited YAML list of people and organisations.

Used for the configurable named-officials list (config/watchlists/named_officials.yaml).
Layout, documented in docs/watchlists.md:

    dataset: named_officials          # entity ids are <dataset>:<id>
    title: Named officials
    entities:
      - id: kim-jong-un               # slug, unique in the file
        schema: person                # person | organization | vessel | aircraft
        name: Kim Jong Un             # caption
        aliases: [Kim Jong-un, 김정은, Ким Чен Ын]
        weak_aliases: [Kim]           # only counted with other evidence
        countries: [KP]               # ISO 3166-1 alpha-2 (country names are accepted too)
        programs: [DPRK]
        birth_date: "1984-01-08"
        position: General Secretary of the Workers' Party of Korea
        same_as: [us_ofac_sdn:20157]
        identifiers: [{type: IMO, value: "9165839"}]
        remarks: free text

A YAML syntax error fails the file with its line; an entry that does not validate is
skipped and reported with its line and the reason, the rest of the file loads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from monitor.watchlists.countries import country_code
from monitor.watchlists.loaders.base import SCHEMAS, EntityRecord, ListFormatError, LoadReport

SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
LINE_KEY = "__line__"


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that remembers the line of every mapping (for error messages)."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[LINE_KEY] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class Identifier(BaseModel):
    """An identifier such as a passport or IMO number."""

    model_config = ConfigDict(extra="forbid")
    type: str = Field(min_length=1, max_length=100)
    value: str = Field(min_length=1, max_length=200)
    country: str | None = None


class WatchlistEntry(BaseModel):
    """One entity of a watch-list file."""

    model_config = ConfigDict(extra="forbid")
    id: str
    schema_: str = Field("person", alias="schema")
    name: str = Field(min_length=1, max_length=1000)
    aliases: list[str] = Field(default_factory=list)
    weak_aliases: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    programs: list[str] = Field(default_factory=list)
    birth_date: str | None = None
    position: str | None = None
    same_as: list[str] = Field(default_factory=list)
    identifiers: list[Identifier] = Field(default_factory=list)
    remarks: str | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _slug(cls, value: object) -> str:
        value = str(value)
        if not SLUG.match(value):
            raise ValueError("id must be a slug: letters, digits, '.', '_' or '-' (at most 100)")
        return value

    @field_validator("schema_")
    @classmethod
    def _schema(cls, value: str) -> str:
        value = value.lower().replace("organisation", "organization")
        if value not in SCHEMAS:
            raise ValueError(f"schema must be one of {', '.join(SCHEMAS)}")
        return value

    @field_validator("countries")
    @classmethod
    def _countries(cls, values: list[str]) -> list[str]:
        out = []
        for value in values:
            code = country_code(value)
            if code is None:
                raise ValueError(f"unknown country {value!r} (use ISO 3166-1 alpha-2 codes)")
            out.append(code)
        return out

    @field_validator("birth_date", mode="before")
    @classmethod
    def _date(cls, value: object) -> str | None:
        if value is None:
            return None
        value = str(value)
        if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
            raise ValueError("birth_date must be YYYY, YYYY-MM or YYYY-MM-DD")
        return value


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != LINE_KEY}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def parse_document(path: Path) -> dict[str, Any]:
    """The YAML document with line numbers kept; ListFormatError on a syntax error or wrong shape."""
    try:
        with path.open("r", encoding="utf-8") as fh:
            doc = yaml.load(fh, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ListFormatError(path, line, f"YAML syntax error: {exc.problem or exc}") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ListFormatError(path, None, f"not a YAML watch list: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("entities"), list):
        raise ListFormatError(path, 1, "not a watch list: expected a mapping with an 'entities:' list")
    return doc


class WatchlistYamlLoader:
    """Our hand-edited YAML watch lists."""

    format = "watchlist-yaml"
    default_dataset = "named_officials"

    def sniff(self, path: Path, head: bytes) -> bool:
        """A .yaml/.yml file with a top-level `entities:` key."""
        return path.suffix.lower() in (".yaml", ".yml") and re.search(rb"(?m)^entities\s*:", head) is not None

    def files(self, path: Path) -> list[Path]:
        """Just the one file."""
        return [path]

    def dataset_for(self, path: Path) -> str:
        """The file's own `dataset:` key, else named_officials."""
        try:
            doc = parse_document(path)
        except ListFormatError:
            return self.default_dataset
        dataset = doc.get("dataset")
        return str(dataset) if isinstance(dataset, str) and SLUG.match(dataset) else self.default_dataset

    def read(self, path: Path, report: LoadReport) -> Iterator[EntityRecord]:
        """Yield one record per valid entry; report the invalid ones with their line."""
        doc = parse_document(path)
        for index, raw in enumerate(doc["entities"]):
            line = raw.get(LINE_KEY) if isinstance(raw, dict) else None
            if not isinstance(raw, dict):
                report.skip(line, f"entry {index + 1} is not a mapping")
                continue
            try:
                entry = WatchlistEntry.model_validate(_strip_lines(raw))
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in err['loc']) or 'entry'}: {err['msg']}" for err in exc.errors()
                )
                report.skip(line, f"entry {index + 1} invalid: {problems}", str(raw.get("id", "")) or None)
                continue
            yield self._record(entry)

    def _record(self, entry: WatchlistEntry) -> EntityRecord:
        rec = EntityRecord(source_id=entry.id, schema=entry.schema_, name=entry.name, remarks=entry.remarks)
        for alias in entry.aliases:
            rec.add_name(alias, kind="alias")
        for alias in entry.weak_aliases:
            rec.add_name(alias, kind="weak", weak=True)
        rec.countries = list(entry.countries)
        rec.programs = list(entry.programs)
        rec.birth_dates = [entry.birth_date] if entry.birth_date else []
        rec.identifiers = [i.model_dump(exclude_none=True) for i in entry.identifiers]
        props: dict[str, Any] = {}
        if entry.position:
            props["position"] = entry.position
        if entry.same_as:
            props["same_as"] = entry.same_as
        rec.properties = props
        return rec.finish()
