"""The language model's cached uncompressed copy classifies exactly as the packaged model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from monitor.matching import langmodel

BBC = Path(__file__).resolve().parents[3] / "shared" / "data" / "articles" / "bbc_fulltext_2225.jsonl"
SAMPLES = ["Kim Jong Un met Vladimir Putin in Vostochny.", "Le ministre a annoncé des sanctions contre la Russie.",
           "Die Regierung liefert Waffen an die Ukraine.", "El gobierno anunció nuevas sanciones.",
           "Rząd ogłosił nowe sankcje wobec Rosji.", "Il governo ha annunciato nuove sanzioni."]


def _texts() -> list[str]:
    texts = list(SAMPLES)
    if BBC.exists():
        with BBC.open(encoding="utf-8") as fh:
            for _, line in zip(range(200), fh, strict=False):
                item = json.loads(line)
                texts.append(f"{item.get('title', '')}\n{item.get('text', '')}"[:400])
    return texts


def _reference() -> Any:
    """py3langid as shipped, restricted to the two-letter languages by its own `set_languages`."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(langmodel.two_letter(ident.labels))
    return ident


def test_cached_copy_classifies_identically_and_survives_damage(tmp_path: Path) -> None:
    reference = _reference()
    packaged = langmodel.identifier(None)
    written = langmodel.identifier(tmp_path)  # prepares the copy in the folder
    copies = list(tmp_path.glob("langid-model-*"))
    assert len(copies) == 1 and copies[0].is_dir()
    reread = langmodel.identifier(tmp_path)  # maps the copy
    assert reread.nb_classes == reference.nb_classes
    for text in _texts():
        assert written.classify(text) == reread.classify(text) == packaged.classify(text) \
            == reference.classify(text), text
        assert reread.rank(text) == reference.rank(text), text
    table = copies[0] / "ptc.npy"
    table.write_bytes(table.read_bytes()[: table.stat().st_size // 2])  # truncated: dropped, packaged used
    fallback = langmodel.identifier(tmp_path)
    assert fallback.classify(SAMPLES[0]) == reference.classify(SAMPLES[0])
    assert not copies[0].exists()
    langmodel.identifier(tmp_path)  # written again
    (copies[0] / "nextmove.npy").write_bytes(b"not an array")
    assert langmodel.identifier(tmp_path).classify(SAMPLES[1]) == reference.classify(SAMPLES[1])
    assert not copies[0].exists()


def test_out_of_range_states_are_refused(tmp_path: Path) -> None:
    langmodel.identifier(tmp_path)
    (copy,) = tmp_path.glob("langid-model-*")
    rows = np.load(copy / "nextmove_row.npy")
    np.save(copy / "nextmove_row.npy", rows[: len(rows) // 2])
    with pytest.raises(ValueError, match="do not fit"):
        langmodel._mapped(copy)


def test_unwritable_folder_falls_back(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    ident = langmodel.identifier(blocker / "cache")
    assert ident.classify(SAMPLES[1])[0] == "fr"


@pytest.mark.parametrize("stale", ["langid-model-0000000000000000.npz", "langid-model-0000000000000000"])
def test_other_keys_copies_removed(tmp_path: Path, stale: str) -> None:
    if stale.endswith(".npz"):
        (tmp_path / stale).write_bytes(b"old")
    else:
        (tmp_path / stale).mkdir()
        (tmp_path / stale / "ptc.npy").write_bytes(b"old")
    langmodel.identifier(tmp_path)
    assert not (tmp_path / stale).exists()


def test_a_copy_left_half_written_is_removed_later(tmp_path: Path) -> None:
    import os

    old, fresh = tmp_path / ".langid-model-old.tmp", tmp_path / ".langid-model-fresh.tmp"
    for folder in (old, fresh):
        folder.mkdir()
        (folder / "ptc.npy").write_bytes(b"partial")
    os.utime(old, (1, 1))  # killed long ago; `fresh` may be another process writing now
    langmodel.identifier(tmp_path)
    assert not old.exists() and fresh.exists()


@pytest.fixture(scope="module")
def walker() -> Any:
    return langmodel.identifier(None)


VARIED = ["", "a", "ab", "abcde", "abcdef", "Kim", "ПУТИН", "Путин и Ким Чен Ын встретились.",
          "金正恩与普京会晤 Kim Jong Un 김정은", "بوتين والأسلحة", "mixed Ελληνικά and עברית 🙂 text",
          "\ud800 lone surrogate \udfff", "x" * 1000, "\t\n\r  ", "AAAA BBBB " * 50]


@pytest.mark.parametrize("text", VARIED)
def test_numpy_counts_equal_the_byte_walk(walker: Any, text: str) -> None:
    from py3langid.langid import visit_counts

    data = walker._encode(text)
    reference = visit_counts(walker.tk_nextmove, walker._rowbase, walker.tk_output, data)
    found = walker.feature_counts(data)
    if reference is None:
        assert found is None
        return
    assert found is not None
    ids, counts = found
    assert ids.tolist() == list(reference) and counts.tolist() == list(reference.values())
    assert walker.classify(text) == _reference().classify(text)


def test_numpy_counts_equal_the_byte_walk_on_any_bytes(walker: Any) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from py3langid.langid import visit_counts

    @settings(max_examples=300, deadline=None)
    @given(st.binary(max_size=64) | st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass")))
    def check(data: bytes) -> None:
        reference = visit_counts(walker.tk_nextmove, walker._rowbase, walker.tk_output, data)
        found = walker.feature_counts(data)
        assert (found is None) == (reference is None)
        if found is not None and reference is not None:
            assert found[0].tolist() == list(reference) and found[1].tolist() == list(reference.values())

    check()


def test_trie_depth_is_the_longest_remembered_suffix(walker: Any) -> None:
    depth = walker._walk_depth
    depths = langmodel.state_depths(walker.tk_nextmove, walker.tk_row)
    assert depth == langmodel.trie_depth(walker.tk_nextmove, walker.tk_row) == depths.max() >= 4
    # the bytes of a deepest state: from it back to the start, each time the state one shorter
    # that moves to it
    table = np.asarray(walker.tk_nextmove).reshape(-1, 256)[np.asarray(walker.tk_row)]
    state, spelled = int(np.argmax(depths)), b""
    while state:
        parents, letters = np.nonzero((table == state) & (depths[:, None] == depths[state] - 1))
        state, spelled = int(parents[0]), bytes([int(letters[0])]) + spelled
    text = b"zq " + spelled + b" and more"
    assert walker.feature_counts(text) is not None
    # a walk one byte shorter than the trie is deep misses the deepest state
    shallow = langmodel.ByteWalkIdentifier.__new__(langmodel.ByteWalkIdentifier)
    for name in ("tk_nextmove", "tk_row", "tk_output", "_rowbase", "_walk_moves", "_walk_bases",
                 "_walk_root", "_walk_out"):
        setattr(shallow, name, getattr(walker, name))
    shallow._walk_depth = depth - 1
    assert walker._states(text).tolist() != shallow._states(text).tolist()
    from py3langid.langid import visit_counts

    reference = visit_counts(walker.tk_nextmove, walker._rowbase, walker.tk_output, text)
    assert walker.feature_counts(text)[0].tolist() == list(reference)
