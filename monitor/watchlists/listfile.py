"""AliasSpecs read straight from a list file with the lists' own parsers (no database), for offline tools."""

from __future__ import annotations

from pathlib import Path

from monitor.matching.types import AliasSpec
from monitor.watchlists.loaders import get_loader
from monitor.watchlists.relations import linked_names, listed_title
from monitor.watchlists.store import read_records


def alias_specs_from_file(path: Path) -> list[AliasSpec]:
    """Every name of every entity in one list file, as AliasSpecs."""
    fmt, records, _report, _files = read_records(path)
    dataset = get_loader(fmt).dataset_for(path)
    out: list[AliasSpec] = []
    for rec in records:
        entity_id = f"{dataset}:{rec.source_id}"
        title, linked = listed_title(rec.properties), linked_names(rec.remarks)
        for name in rec.names:
            out.append(
                AliasSpec(
                    entity_id=entity_id,
                    dataset=dataset,
                    source_id=rec.source_id,
                    caption=rec.name,
                    alias=name.name,
                    weak=name.weak,
                    schema=rec.schema,
                    programs=tuple(rec.programs),
                    countries=tuple(rec.countries),
                    title=title,
                    linked=linked,
                )
            )
    return out
