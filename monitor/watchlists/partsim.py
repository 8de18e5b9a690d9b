"""How alike two single name parts are: exact, phonetic, a typo, an initial, an abbreviation, or
consonants alike for a part written in an abjad; with the name of the rule that said so, which the
explanation and the loose-part rules of `namematch` read. Pure module."""

from __future__ import annotations

import re
from typing import NamedTuple

from rapidfuzz.distance import OSA, Levenshtein

from monitor.watchlists.abjad import skeletons

# Per-rule similarities of two parts.
TYPO_COST = 1.3
INITIAL_SIM = 0.8
PHONETIC_SIM = 0.9
ABBREVIATION_SIM = 0.72
ACRONYM_SIM = 0.9
ABJAD_SIM = 0.85
# Two parts that differ only in their first sound are two names (Tikhonov/Nikonov, Rahmani/Zamani):
# loose whatever the similarity, as OTHER_LETTERS.
FIRST_SOUND = "first sound"
FIRST_SOUND_MIN_LETTERS = 6
# Rules that say "the same name, mistyped".
TYPO_RULES = frozenset({"typo", "typos", "phonetic+typo"})
_VOWEL = re.compile("[aeiouy]")


class Part(NamedTuple):
    """One name part: its Latin form, its phonetic folding and how much it counts."""

    text: str
    phon: str
    weight: float
    abjad: bool = False  # written in Arabic or Hebrew script: vowels mostly unwritten
    syllable: bool = False  # one Hangul, Han or kana character: a syllable, never an initial


def abjad_sim(a: Part, b: Part) -> float:
    """Similarity of a part written in an abjad with one written in full (compared as consonants)."""
    best = 0.0
    for ka in skeletons(a.text, a.abjad):
        for kb in skeletons(b.text, b.abjad):
            if len(ka) < 2 or len(kb) < 2:  # one consonant says nothing of a name
                continue
            if ka == kb:
                return ABJAD_SIM
            if min(len(ka), len(kb)) >= 4 and Levenshtein.distance(ka, kb, score_cutoff=1) <= 1:
                best = ABJAD_SIM - 0.15
    return best


def _allowed_edits(length: int) -> int:
    if length <= 3:
        return 0
    if length <= 5:
        return 1
    if length <= 9:
        return 2
    return 3


def _typo_sim(a: str, b: str) -> float:
    la, lb = len(a), len(b)
    longest = la if la > lb else lb
    allowed = _allowed_edits(longest)
    if allowed == 0 or abs(la - lb) > allowed:  # the length gap alone needs more edits
        return 0.0
    dist = OSA.distance(a, b, score_cutoff=allowed)  # two letters swapped are one typo
    if dist > allowed:
        return 0.0
    return 1.0 - TYPO_COST * dist / longest


def _first_sound_differs(a_text: str, a_phon: str, b_text: str, b_phon: str) -> bool:
    """Two long parts alike but for a different first consonant are two names (Tikhonov/Nikonov,
    Rahmani/Zamani): a typo seldom hits a name's first letter. Vowels first are spellings
    (Osama/Usama, Allison/Ellison), so is a letter of the sound dropped (Khodorkovsky/Hodorkovskiy),
    and in short parts one letter is all a typo leaves (Bessi/Messi)."""
    return (
        min(len(a_text), len(b_text)) >= FIRST_SOUND_MIN_LETTERS
        and a_phon[0] != b_phon[0]
        and a_phon[1:] == b_phon[1:]
        and a_text[0] not in "aeiouy"
        and b_text[0] not in "aeiouy"
        and a_text[0] not in b_text[:2]  # Kh/H, Ts/S: one letter of a sound dropped, not another sound
        and b_text[0] not in a_text[:2]
    )


def _typo_rule(a: str, b: str, sim: float) -> str:
    """'typo' for one letter off, 'typos' for more (the explanation and the loose-part rule tell them apart)."""
    return "typo" if round((1.0 - sim) * max(len(a), len(b)) / TYPO_COST) <= 1 else "typos"


def _is_abbreviation(short: str, long: str) -> bool:
    """'ben' of 'benjamin', 'intl' of 'international', 'ted' of 'theodore'."""
    if len(short) < 3 or len(long) < 2 * len(short) + 1 or short[0] != long[0]:
        return False
    pos = 0
    for ch in short:
        pos = long.find(ch, pos)
        if pos < 0:
            return False
        pos += 1
    return True


def part_sim(a_text: str, a_phon: str, b_text: str, b_phon: str) -> tuple[float, str]:
    """Similarity of two single parts and the name of the rule that gave it."""
    if a_text == b_text:
        return 1.0, "exact"
    la, lb = len(a_text), len(b_text)
    if la == 1 or lb == 1:
        if a_text[0] == b_text[0]:
            return INITIAL_SIM, "initial"
        return 0.0, ""
    best = _typo_sim(a_text, b_text)
    how = _typo_rule(a_text, b_text, best) if best else "typo"
    if a_phon == b_phon:
        # a part without a vowel is an abbreviation, spelled not spoken: LJ is no spelling of Li
        if best < PHONETIC_SIM and (_VOWEL.search(a_text) is None) == (_VOWEL.search(b_text) is None):
            best, how = PHONETIC_SIM, "phonetic"
    elif best < 0.8:
        sim = _typo_sim(a_phon, b_phon) * 0.95
        if sim > best:
            best, how = sim, "phonetic+typo"
    if best and a_phon[0] != b_phon[0] and how in TYPO_RULES and _first_sound_differs(a_text, a_phon, b_text, b_phon):
        how = FIRST_SOUND
    if best < ABBREVIATION_SIM:
        short, long = (a_text, b_text) if la < lb else (b_text, a_text)
        if _is_abbreviation(short, long):
            best, how = ABBREVIATION_SIM, "abbreviation"
    return best, how
