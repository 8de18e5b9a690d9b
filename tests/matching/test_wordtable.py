"""The word table reports exactly the hits an Aho-Corasick automaton of the same whole-token keys
reports, in the same order; a damaged table is refused."""

from __future__ import annotations

import random

import ahocorasick
import numpy as np
import pytest

from monitor.cachefiles import CacheError
from monitor.matching.wordtable import WordTable, build_table, empty_table

VOCAB = ("al", "kim", "jong", "un", "bank", "of", "a", "aa", "alb", "x1")


def _automaton_hits(keys: list[str], text: str) -> list[tuple[int, int]]:
    auto = ahocorasick.Automaton(ahocorasick.STORE_INTS)
    for kid, key in enumerate(keys):
        auto.add_word(key, kid)
    auto.make_automaton()
    return list(auto.iter(text))


def _random_keys(rnd: random.Random, count: int) -> list[str]:
    keys = {" " + " ".join(rnd.choice(VOCAB) for _ in range(rnd.randint(1, 5))) + " " for _ in range(count)}
    return sorted(keys)


def test_same_hits_as_the_automaton() -> None:
    rnd = random.Random(3)
    found = 0
    for _ in range(30):
        keys = _random_keys(rnd, rnd.randint(1, 40))
        table = build_table(keys, range(len(keys)))
        assert table.key_count == len(keys)
        for _ in range(5):
            text = " " + " ".join(rnd.choice(VOCAB) for _ in range(rnd.randint(0, 60))) + " "
            expected = _automaton_hits(keys, text)
            assert table.hits(text) == expected
            found += len(expected)
    assert found > 500  # the texts are dense in keys: the comparison means something


def test_overlapping_nested_and_repeated_keys() -> None:
    keys = [" kim ", " kim jong ", " kim jong un ", " jong un ", " un ", " al al "]
    table = build_table(keys, [10, 11, 12, 13, 14, 15])
    text = " mr kim jong un met kim jong un al al al "
    expected = [(e, kid + 10) for e, kid in _automaton_hits(keys, text)]
    assert table.hits(text) == expected
    assert len(expected) == 12  # kim, kim jong, kim jong un, jong un, un, twice; "al al" twice
    # partial tokens never match: the key is framed by spaces and so is the run of tokens
    assert table.hits(" kimjong unx akim ") == []
    # a character outside ASCII cannot be part of a key (normalised text has none)
    assert table.hits(" kim\u00e9 jong ") == []
    assert empty_table().hits(text) == [] and len(empty_table()) == 0


def _damaged(table: WordTable, **changes: object) -> WordTable:
    fields = {"hashes": table.hashes, "entry": table.entry, "text": table.text, "text_off": table.text_off,
              "mult": table.mult, **changes}
    return WordTable(**fields)  # type: ignore[arg-type]


def test_damaged_tables_are_refused() -> None:
    keys = [" kim jong un ", " bank of a ", " al "]
    table = build_table(keys, [0, 1, 2])
    table.check(3)
    with pytest.raises(CacheError):
        table.check(2)  # a key id beyond the index's keys
    for changes in ({"hashes": table.hashes[::-1].copy()}, {"entry": table.entry[:-1].copy()},
                    {"text_off": table.text_off[::-1].copy()}, {"mult": 2},
                    {"hashes": table.hashes.astype(np.int64)}, {"entry": np.full_like(table.entry, -5)},
                    {"text_off": table.text_off.astype(np.float64)}):
        with pytest.raises(CacheError):
            _damaged(table, **changes).check(3)


def test_a_text_longer_than_the_kept_powers(monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor.matching import wordtable

    monkeypatch.setattr(wordtable, "_POWERS_KEPT", 64)
    keys = [" kim jong un ", " bank of a "]
    table = build_table(keys, [0, 1])
    text = " x" * 100 + " kim jong un bank of a "
    assert table.hits(text) == _automaton_hits(keys, text) != []
