"""One-typo tolerance in the scan: a listed given name followed by its surname with one letter
more, less or changed ("Sergei Shouigu", "Yevgeny Prigozin"). The index holds every one-letter
deletion of each long, rare surname after its given name (`indexbuild.IndexBuilder`); the scan
probes the deletions of the word after each given-name hit, all in one vectorised search."""

from __future__ import annotations

import numpy as np

from monitor.matching.fields import FieldState, Occ
from monitor.matching.index import CompiledIndex
from monitor.matching.indexbuild import stable_hash
from monitor.matching.tuning import TYPO_MIN


def typo_hits(index: CompiledIndex, fields: list[FieldState | None], parts: list[Occ],
              form_hits: dict[Occ, list[int]]) -> None:
    """Add form hits for given names followed by their surname with one typo."""
    hashes = index.typo_hash
    if not len(hashes):
        return
    common = index.distinct_words
    spans: list[Occ] = []
    probes: list[int] = []
    owner: list[int] = []
    for fi, t0, t1 in parts:
        fs = fields[fi]
        assert fs is not None
        word = fs.nt.token_after(t1)
        if len(word) < TYPO_MIN - 1 or word in common or not word.isalpha():
            continue
        span = (fi, t0, t1 + 1 + len(word))
        if span in form_hits:
            continue
        given = fs.nt.padded[t0:t1]
        n = len(spans)
        spans.append(span)
        probes.append(stable_hash(f"{given} {word}"))
        probes.extend(stable_hash(f"{given} {word[:i]}{word[i + 1:]}") for i in range(len(word)))
        owner.extend([n] * (len(word) + 1))
    if not probes:
        return
    wanted = np.array(probes, dtype=np.int64)
    pos = np.searchsorted(hashes, wanted)
    hit = hashes[np.minimum(pos, len(hashes) - 1)] == wanted
    found: dict[int, set[int]] = {}
    for j in np.flatnonzero(hit).tolist():
        i = int(pos[j])
        while i < len(hashes) and hashes[i] == wanted[j]:
            found.setdefault(owner[j], set()).add(int(index.typo_fid[i]))
            i += 1
    for n, fids in found.items():
        fi, t0, end = spans[n]
        fs = fields[fi]
        assert fs is not None
        start = fs.nt.padded.rfind(" ", 0, end - 1) + 1
        if fs.text[fs.nt.orig_start(start):][:1].isupper():  # a name is written with a capital
            form_hits[spans[n]] = sorted(fids)
