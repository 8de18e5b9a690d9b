"""The real OFAC SDN and UN lists as AliasSpecs (no database), read once per process for tests and bench."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from monitor.matching.types import AliasSpec
from monitor.watchlists.listfile import alias_specs_from_file


@cache
def real_aliases(lists_dir: str) -> tuple[AliasSpec, ...]:
    """OFAC SDN + UN SC aliases (about 44,000)."""
    root = Path(lists_dir)
    specs = alias_specs_from_file(root / "us_ofac_sdn" / "sdn.csv")
    specs += alias_specs_from_file(root / "un_sc_sanctions" / "consolidated.xml")
    return tuple(specs)
