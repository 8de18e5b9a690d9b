"""scripts/derive_prominence.py counts a full name two listed people share for the one it names
most fully, as the matcher reads it: "Nicolas Maduro" is the president (MADURO MOROS, Nicolas),
not his listed son (MADURO GUERRA, Nicolas Ernesto), so "Maduro" can be judged on its evidence."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from monitor.matching.types import AliasSpec

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "derive_prominence.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("derive_prominence", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _person(eid: str, name: str) -> AliasSpec:
    return AliasSpec(eid, "us_ofac_sdn", eid.split(":")[1], name, name, schema="Person")


def test_a_shared_short_name_counts_for_the_fuller_listing() -> None:
    derive = _script()
    father, son = "us_ofac_sdn:1", "us_ofac_sdn:2"
    fulls = derive.full_names([_person(father, "MADURO MOROS, Nicolas"),
                               _person(son, "MADURO GUERRA, Nicolas Ernesto")])
    owners = [father, son]
    # "Nicolas Maduro" leaves out one word of the father's name, two of the son's
    assert derive.full_name_owners(owners, fulls, " president nicolas maduro said ") == [father]
    assert derive.full_name_owners(owners, fulls, " nicolas ernesto maduro guerra was named ") == [son]
    # the same loss for both: the item names either, and counts for both
    assert sorted(derive.full_name_owners(owners, fulls, " nicolas maduro guerra ")) == [father, son]
    assert derive.full_name_owners(owners, fulls, " maduro alone ") == []
