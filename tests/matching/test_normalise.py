# ruff: noqa: RUF001  (look-alike characters are what these tests are about)
"""Normalisation: folding, tokens, offsets back into the original, sentences."""

from __future__ import annotations

from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.matching.normalise import (
    fold,
    korean_key,
    normalise_field,
    normalise_name,
    sentence_span,
    sentence_starts,
)


def tokens(text: str) -> list[str]:
    return normalise_field(text).padded.split()


def test_names_fold_to_the_same_tokens() -> None:
    assert normalise_name("KIM, Jong-Un") == "kim jong un"
    assert normalise_name("Kim Jong Un’s") == "kim jong un s"
    assert normalise_name("Ｋｉｍ　Ｊｏｎｇ") == "kim jong"  # NFKC full-width letters
    assert normalise_name("Ærøskøbing Müller-Lüdenscheidt") == "aeroskobing muller ludenscheidt"
    assert normalise_name("Сергей Шойгу") == "sergei shoigu"
    assert normalise_name("Βλαντιμίρ Πούτιν") == "vlantimir poytin"
    assert normalise_name("STRAẞE") == "strasse"


def test_hangul_syllables_use_the_loose_korean_key() -> None:
    assert tokens("김정은") == ["kim", "jong", "un"]
    assert korean_key("kim jong un") == "kim jong un"
    assert korean_key("gim jeong eun") == "kim jong un"
    assert tokens("최룡해") == korean_key("Choe Ryong Hae").split()


def test_ascii_text_maps_one_to_one() -> None:
    norm, src, ends = fold("Kim Jong-un, 1984!")
    assert norm == "kim jong un  1984 "
    assert src is None and ends is None


def test_expanding_characters_keep_exact_offsets() -> None:
    text = "Der Straße-Fall: 김정은 traf Путин."
    nt = normalise_field(text)
    assert nt.src is not None
    pos = nt.padded.index(" kim jong un ") + 1
    end = pos + len("kim jong un")
    assert text[slice(*nt.orig_span(pos, end))] == "김정은"
    pos = nt.padded.index(" strasse ") + 1
    assert text[slice(*nt.orig_span(pos, pos + 7))] == "Straße"
    pos = nt.padded.index(" putin ") + 1
    assert text[slice(*nt.orig_span(pos, pos + 5))] == "Путин"


def test_decomposed_accents_stay_in_the_span() -> None:
    text = "Jose\u0301 Martí"
    nt = normalise_field(text)
    assert nt.padded == " jose marti "
    assert text[slice(*nt.orig_span(1, 5))] == "Jose\u0301"


def test_collapsed_spaces_map_back() -> None:
    text = "A  ,  b --- Kim   Jong"
    nt = normalise_field(text)
    assert nt.padded == " a b kim jong "
    pos = nt.padded.index("kim")
    assert text[slice(*nt.orig_span(pos, pos + len("kim jong")))] == "Kim   Jong"
    assert nt.words_between(nt.padded.index("a") + 1, nt.padded.index("kim")) == 2
    assert nt.token_before(pos) == "b"
    assert nt.token_before(pos, 2) == "a"
    assert nt.token_before(nt.padded.index("a")) == ""


def test_control_characters_and_emoji_are_separators() -> None:
    assert tokens("Kim\x00Jong\x1b[0m\tUn 🔫 gun") == ["kim", "jong", "0m", "un", "gun"]
    assert tokens("") == [] and tokens("\u200b\u200b") == []


def test_sentences() -> None:
    text = "Mr. Kirby spoke. The U.S. said no! Next one?\nNew line here"
    starts = sentence_starts(text)
    found = [text[slice(*sentence_span(text, starts, s))] for s in starts]
    assert found == ["Mr. Kirby spoke.", "The U.S. said no!", "Next one?", "New line here"]


def _token_spans(text: str) -> Iterator[tuple[str, int, int]]:
    """Each token of the scan string with the span of the original it maps back to."""
    nt = normalise_field(text)
    pos = 1
    for token in nt.padded.split():
        pos = nt.padded.index(f" {token} ", pos - 1) + 1
        start, end = nt.orig_span(pos, pos + len(token))
        yield token, start, end
        pos += len(token)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_offsets_always_map_inside_the_original(text: str) -> None:
    """Every token of the scan string maps back to a non-empty span of the original whose
    own normalisation contains that token."""
    for token, start, end in _token_spans(text):
        assert 0 <= start < end <= len(text)
        assert token in normalise_name(text[start:end]).replace(" ", "") or token in normalise_name(text[start:end])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["Kim", "Jong", "Un", "Шойгу", "김정은", "ß", "e\u0301", ",", "  ", "-", "\n", "’s",
                                 "ﬁ", "\x07", "١٢", "東京"]), max_size=40))
def test_offsets_on_mixed_scripts(parts: list[str]) -> None:
    text = "".join(parts)
    for _token, start, end in _token_spans(text):
        assert 0 <= start < end <= len(text)
    starts = sentence_starts(text)
    assert starts[0] == 0 and all(0 <= s <= len(text) for s in starts)
