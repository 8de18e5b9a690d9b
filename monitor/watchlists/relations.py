"""Two facts a list states about an entity besides its names: its title or position, and whom it is linked to."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# OFAC remarks: "...; Linked To: PRIVATE MILITARY COMPANY 'WAGNER'." (a name may hold quotes and commas)
_LINKED = re.compile(r"Linked To:\s*([^;]+?)\s*(?:;|\.?\s*$)")


def linked_names(remarks: str | None) -> tuple[str, ...]:
    """The names after "Linked To:" in OFAC remarks, as the list spells them."""
    if not remarks:
        return ()
    return tuple(dict.fromkeys(m.group(1).strip().rstrip(".") for m in _LINKED.finditer(remarks)))


def listed_title(properties: Mapping[str, Any] | None) -> str:
    """The title or position a list gives a person ("President of the Syrian Arab Republic"), "" when none."""
    if not properties:
        return ""
    parts = [str(properties[key]) for key in ("title", "position") if properties.get(key)]
    return "; ".join(parts)
