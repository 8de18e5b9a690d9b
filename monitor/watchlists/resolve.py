"""One real-world entity across lists: which records of different lists are the same, and why.

Pure (no database): `derive_links` reads the facts of every listed record and proposes links,
each with its reason in words; `clusters` joins linked records into entities.

Where links come from, strongest first:

1. the lists' own cross-references: the UN reference number an EU or UK record carries
   (`unitedNationId`, "UN Reference Number"), the referents of an OpenSanctions record
   (`<prefix>-<id>`, prefixes in `resources/referents.yaml`, or `<dataset>:<id>`);
2. strong matches between records of different lists: the same IMO number, the same
   registration number, the same full name (all its parts) with the same full date of birth, or
   with the same year of birth where one record at least has no full date and each list has only
   one record of that name; for organisations (no birth dates to compare) the same full name of two
   parts or more that one record alone bears on each list (a UN group and its OFAC record under
   the same name or the same strong alias).

Never merged: two records of the same list (the list itself says they are two), and any group
where a key is shared by more than one record of one list or by more than MAX_GROUP records
(thousands of records sharing a name): such groups are reported, not merged. A cross-reference
to a record that is not loaded is reported and links nothing. An analyst's "different" judgement
on a pair keeps the two apart whatever the automatic links say; an analyst's "same" judgement
merges even two records of one list.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from monitor import resources
from monitor.watchlists import namematch

#: A key shared by more records than this is too common to merge on (a name + date shared by many).
MAX_GROUP = 8
#: Link sources, in the order `clusters` applies them (analyst decisions first).
SOURCES = ("analyst", "cross-reference", "strong-match")
_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NON_ALNUM = re.compile(r"[^0-9A-Za-z]")
_UN_REF_TYPES = frozenset({"unitednationid", "un reference number", "un ref"})
_IMO_TYPES = frozenset({"imo", "imo number"})
#: Schemas whose records may merge on their name alone (vessels and aircraft are renamed and reused).
_NAMED_BODIES = frozenset({"organization", "organisation", "company", "legalentity"})


@dataclass(frozen=True, slots=True)
class RecordFacts:
    """What the resolver needs of one listed record."""

    id: str
    dataset: str
    source_id: str
    schema: str
    names: tuple[str, ...]
    birth_dates: tuple[str, ...] = ()
    identifiers: tuple[tuple[str, str], ...] = ()
    referents: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Link:
    """Two records judged to be one entity (or, for analysts, two), with the reason in words."""

    left: str
    right: str
    source: str
    reason: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    judgement: str = "same"

    @staticmethod
    def make(a: str, b: str, source: str, reason: str, evidence: Mapping[str, Any] | None = None) -> Link:
        """A link with its two ids in a stable order."""
        left, right = sorted((a, b))
        return Link(left, right, source, reason, dict(evidence or {}))


@dataclass
class ResolveReport:
    """The proposed links and what was left out, each with a reason."""

    links: list[Link] = field(default_factory=list)
    dangling: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Counts and the first few reasons, for the audit log and the CLI."""
        by_source: dict[str, int] = defaultdict(int)
        for link in self.links:
            by_source[link.source] += 1
        return {
            "links": dict(by_source),
            "dangling": len(self.dangling),
            "ambiguous": len(self.ambiguous),
            "dangling_examples": self.dangling[:5],
            "ambiguous_examples": self.ambiguous[:5],
        }


def _norm_value(value: str) -> str:
    return _NON_ALNUM.sub("", value).upper()


def _name_key(name: str, schema: str) -> str:
    prepared = namematch.prepare(name, schema)
    return " ".join(sorted(p.text for p in prepared.parts))


def _registration(kind: str) -> bool:
    low = kind.lower()
    return "registration" in low and "vessel" not in low


def derive_links(records: Sequence[RecordFacts]) -> ResolveReport:
    """Links between records of different lists from cross-references and strong matches."""
    report = ResolveReport()
    by_id = {r.id: r for r in records}
    by_source: dict[tuple[str, str], str] = {(r.dataset, r.source_id): r.id for r in records}
    by_ident: dict[tuple[str, str], list[str]] = defaultdict(list)  # (dataset, value) -> ids
    for r in records:
        for _kind, value in r.identifiers:
            by_ident[(r.dataset, _norm_value(value))].append(r.id)
    _cross_references(records, by_id, by_source, by_ident, report)
    _strong_matches(records, report)
    return report


def _un_record(value: str, by_source: Mapping[tuple[str, str], str], by_ident: Mapping[Any, list[str]]) -> str | None:
    found = by_source.get(("un_sc_sanctions", value.strip()))
    if found:
        return found
    ids = by_ident.get(("un_sc_sanctions", _norm_value(value)), [])
    return ids[0] if len(ids) == 1 else None


def _cross_references(
    records: Sequence[RecordFacts],
    by_id: Mapping[str, RecordFacts],
    by_source: Mapping[tuple[str, str], str],
    by_ident: Mapping[tuple[str, str], list[str]],
    report: ResolveReport,
) -> None:
    prefixes = {str(k): str(v) for k, v in resources.mapping("referents", "prefixes").items()}
    for r in records:
        for kind, value in r.identifiers:
            if kind.lower() not in _UN_REF_TYPES or r.dataset == "un_sc_sanctions":
                continue
            target = _un_record(value, by_source, by_ident)
            if target is None:
                report.dangling.append(f"{r.id} cites UN reference {value}, which no loaded UN record has")
            elif target != r.id:
                reason = f"{r.id} cites the UN reference number {value} of {target}"
                report.links.append(Link.make(r.id, target, "cross-reference", reason, {"un_reference": value}))
        for ref in r.referents:
            target = _referent(ref, prefixes, by_id, by_source, by_ident)
            if target is None:
                report.dangling.append(f"{r.id} names {ref} as the same entity; no loaded record is {ref}")
            elif target != r.id:
                reason = f"{r.id} names {ref} ({target}) as the same entity (referent)"
                report.links.append(Link.make(r.id, target, "cross-reference", reason, {"referent": ref}))


def _referent(
    ref: str,
    prefixes: Mapping[str, str],
    by_id: Mapping[str, RecordFacts],
    by_source: Mapping[tuple[str, str], str],
    by_ident: Mapping[tuple[str, str], list[str]],
) -> str | None:
    """The loaded record a referent names: `<dataset>:<id>` or an OpenSanctions `<prefix>-<id>`."""
    ref = ref.strip()
    if ref in by_id:
        return ref
    for prefix in sorted(prefixes, key=len, reverse=True):
        if ref.startswith(prefix + "-"):
            dataset, tail = prefixes[prefix], ref[len(prefix) + 1 :]
            found = by_source.get((dataset, tail))
            if found:
                return found
            ids = by_ident.get((dataset, _norm_value(tail)), [])
            return ids[0] if len(set(ids)) == 1 else None
    return None


def _strong_matches(records: Sequence[RecordFacts], report: ResolveReport) -> None:
    groups: dict[tuple[str, ...], list[RecordFacts]] = defaultdict(list)
    name_owners: dict[tuple[str, str], set[str]] = defaultdict(set)  # (dataset, name) -> records with it
    for r in records:
        keys: set[tuple[str, ...]] = set()
        for kind, value in r.identifiers:
            norm = _norm_value(value)
            if len(norm) < 5:
                continue
            if kind.lower() in _IMO_TYPES:
                keys.add(("IMO number", norm.removeprefix("IMO")))  # "IMO 9123456" and "9123456"
            elif _registration(kind):
                keys.add(("registration number", norm))
        if r.schema.lower() == "person":
            dates = {d for d in r.birth_dates if _FULL_DATE.fullmatch(d)}
            years = {d[:4] for d in r.birth_dates if d[:4].isdigit()}
            for name in r.names:
                name_key = _name_key(name, r.schema)
                if name_key.count(" ") >= 1:  # two parts at least: a lone given name is no key
                    keys.update(("name and date of birth", name_key, d) for d in dates)
                    keys.update(("name and year of birth", name_key, y) for y in years)
                    name_owners[(r.dataset, name_key)].add(r.id)
        elif r.schema.lower() in _NAMED_BODIES:
            for name in r.names:
                name_key = _name_key(name, r.schema)
                if name_key.count(" ") >= 1 or len(name_key) >= 8:  # "ALFA" or "AL" alone is no key
                    keys.add(("organisation name", name_key))
                    name_owners[(r.dataset, name_key)].add(r.id)
        for group_key in keys:
            groups[group_key].append(r)
    named: dict[tuple[str, str], tuple[str, ...]] = {}
    for key, members in sorted(groups.items(), key=lambda kv: (-len(kv[0][1]) if len(kv[0]) > 1 else 0, kv[0])):
        datasets = {m.dataset for m in members}
        if len(datasets) < 2:
            continue
        what = _describe(key)
        if key[0] == "name and year of birth" and all(any(map(_FULL_DATE.fullmatch, m.birth_dates)) for m in members):
            continue  # every one has a full date: the dates decide, not the years
        # A year of birth is weaker than a date, a name alone weaker still: the name must also be
        # borne by one record per list.
        common_name = key[0] in ("name and year of birth", "organisation name") and any(
            len(name_owners[(m.dataset, key[1])]) > 1 for m in members
        )
        n_records = len({m.id for m in members})
        if common_name or len(members) > MAX_GROUP or len(datasets) < n_records:
            why = (
                "the name is borne by more than one record of one list"
                if common_name
                else f"more than {MAX_GROUP} records"
                if len(members) > MAX_GROUP
                else "more than one record of one list has it"
            )
            report.ambiguous.append(f"{n_records} records on {len(datasets)} lists share {what}; {why}: not merged")
            continue
        first, *rest = sorted(members, key=lambda m: m.id)
        for other in rest:
            best = named.get((first.id, other.id))
            if best is None or _STRENGTH.index(key[0]) < _STRENGTH.index(best[0]):
                named[(first.id, other.id)] = key  # one link a pair, on its strongest key
    for (a, b), key in sorted(named.items()):
        reason = f"{a} and {b} have the same {_describe(key)}"
        if key[0] == "organisation name":
            reason += ", which no other record of either list bears"
        report.links.append(Link.make(a, b, "strong-match", reason, {"key": list(key)}))


_STRENGTH = ("IMO number", "registration number", "name and date of birth", "name and year of birth",
             "organisation name")


def _describe(key: tuple[str, ...]) -> str:
    if key[0] in ("name and date of birth", "name and year of birth"):
        return f"name ({key[1]}) and {key[0][9:]} {key[2]}"
    if key[0] == "organisation name":
        return f"organisation name ({key[1]})"
    return f"{key[0]} {key[1]}"


@dataclass
class Clusters:
    """Records joined into entities: id -> the ids of its entity (sorted), and what was refused."""

    members: dict[str, tuple[str, ...]]
    refused: list[str]

    def referents(self, entity_id: str) -> tuple[str, ...]:
        """Every record id of the entity, its own first."""
        group = self.members.get(entity_id, (entity_id,))
        return (entity_id, *(i for i in group if i != entity_id))


def clusters(links: Iterable[Link], datasets: Mapping[str, str]) -> Clusters:
    """Join linked records (analyst decisions first), never two records of one list automatically,
    never a pair an analyst judged different."""
    parent: dict[str, str] = {}
    groups: dict[str, set[str]] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        groups.setdefault(x, {x})
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    ordered = sorted(links, key=lambda lk: (SOURCES.index(lk.source) if lk.source in SOURCES else 9, lk.left))
    def pair(lk: Link) -> tuple[str, str]:
        return (lk.left, lk.right) if lk.left <= lk.right else (lk.right, lk.left)

    apart = {pair(lk) for lk in ordered if lk.judgement == "different"}
    judged = {pair(lk) for lk in ordered if lk.source == "analyst"}
    refused: list[str] = []
    for lk in ordered:
        if lk.judgement != "same" or (lk.source != "analyst" and pair(lk) in judged):
            continue
        a, b = find(lk.left), find(lk.right)
        if a == b:
            continue
        ga, gb = groups[a], groups[b]
        if any((min(x, y), max(x, y)) in apart for x in ga for y in gb):
            refused.append(f"{lk.reason}: not merged, an analyst judged records of the two apart")
            continue
        if lk.source != "analyst":
            shared = {datasets.get(x, "") for x in ga} & {datasets.get(y, "") for y in gb}
            shared.discard("")
            if shared:
                refused.append(f"{lk.reason}: not merged, it would join two records of {', '.join(sorted(shared))}")
                continue
        parent[b] = a
        groups[a] = ga | gb
        del groups[b]
    members: dict[str, tuple[str, ...]] = {}
    for root, group in groups.items():
        if len(group) > 1:
            ordered_ids = tuple(sorted(group))
            for x in group:
                members[x] = ordered_ids
        del root
    return Clusters(members, refused)
