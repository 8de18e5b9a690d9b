"""The language model's cached uncompressed copy classifies exactly as the packaged model."""

from __future__ import annotations

import json
from pathlib import Path

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


def test_cached_copy_classifies_identically_and_survives_damage(tmp_path: Path) -> None:
    packaged = langmodel.identifier(None)
    written = langmodel.identifier(tmp_path)  # decompresses into the folder
    copies = list(tmp_path.glob("langid-model-*.npz"))
    assert len(copies) == 1
    reread = langmodel.identifier(tmp_path)  # reads the copy
    for ident in (packaged, written, reread):
        ident.set_languages([lang for lang in ident.labels if len(lang) == 2])
    for text in _texts():
        assert written.classify(text) == reread.classify(text) == packaged.classify(text), text
    copies[0].write_bytes(b"not a zip")  # a damaged copy is dropped and the packaged model used
    fallback = langmodel.identifier(tmp_path)
    fallback.set_languages(packaged.nb_classes)
    assert fallback.classify(SAMPLES[0]) == packaged.classify(SAMPLES[0])
    assert not copies[0].exists() or copies[0].read_bytes() != b"not a zip"


def test_unwritable_folder_falls_back(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    ident = langmodel.identifier(blocker / "cache")
    ident.set_languages(["en", "fr", "de"])
    assert ident.classify(SAMPLES[1])[0] == "fr"


@pytest.mark.parametrize("stale", ["langid-model-0000000000000000.npz"])
def test_other_keys_copies_removed(tmp_path: Path, stale: str) -> None:
    (tmp_path / stale).write_bytes(b"old")
    langmodel.identifier(tmp_path)
    assert not (tmp_path / stale).exists()


def test_float32_table_scores_bit_for_bit_as_the_packaged_one() -> None:
    packaged = langmodel.identifier(None)
    packaged.set_languages([lang for lang in packaged.labels if len(lang) == 2])
    fast = langmodel.identifier(None)
    fast.set_languages(packaged.nb_classes)
    langmodel.score_in_float32(fast)
    assert fast.nb_ptc.dtype.name == "float32" and fast.nb_ptc.flags["C_CONTIGUOUS"]
    for text in _texts():
        assert fast.classify(text) == packaged.classify(text), text
