"""What the story grouping compares: a weighted term vector of an article's title and lede.

A word weighs its rarity in general English (wordfreq's Zipf frequency), so 'Prigozhin',
'cosmodrome' and 'ceasefire' carry an article while 'said' and 'Tuesday' do not; the title
counts more than the text; capitalised names inside a sentence, numbers ('36-hour', '25,000')
and listed entity ids (from matching) are added on top, because outlets that share no sentence
still share names, figures and parties. Pure: no I/O beyond the packaged data files.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources

import yaml
from anyascii import anyascii
from wordfreq import zipf_frequency

from monitor import resources as knowledge
from monitor.grouping.kinds import is_commentary_piece, split_background

_TAG = re.compile(r"<[^>]+>")
_APOSTROPHES = "'\u2019"
_WORD = re.compile(rf"\d[\d,.]*|[^\W\d_]+(?:[{_APOSTROPHES}][^\W_]+)?(?:-[^\W\d_]+)*")
_YEAR = re.compile(r"(?:19|20)\d\d")
# what ends a sentence or opens a quote: a capital right after it is no sign of a name
_SENTENCE_MARKS = frozenset(".!?:;|\"'(-\u2013\u2014\u2018\u2019\u201c\u201d")
_SUFFIXES = tuple(a + "s" for a in _APOSTROPHES)
_SHORTEST_FOLDED = int(knowledge.mapping("plurals", "thresholds")["shortest_folded"])
_KEPT_ENDINGS = knowledge.ordered("plurals", "kept_endings")


@dataclass(frozen=True)
class Tuning:
    """The thresholds of tuning.yaml (each is documented there)."""

    text_words: int
    title_weight: float
    rarity_base: float
    max_word_weight: float
    common_zipf: float
    name_boost: float
    number_weight: float
    entity_weight: float
    commentary_join: float
    follow: float
    follow_after_hours: float
    half_life_hours: float
    story_half_life_hours: float
    max_gap_hours: float
    story_span_hours: float
    window_days: float
    max_future_hours: float
    stale_days: float
    lookup_terms: int
    max_postings: int
    rescore: int
    max_story_size: int
    generic_min_words: int


@cache
def _data(name: str) -> dict:
    text = resources.files("monitor.grouping").joinpath(name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


@cache
def default_tuning() -> Tuning:
    """The packaged thresholds (monitor/grouping/tuning.yaml)."""
    return Tuning(**_data("tuning.yaml"))


@cache
def _generic_patterns() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in _data("generic_titles.yaml")["patterns"])


@cache
def _roundups() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in _data("generic_titles.yaml")["roundups"]), re.IGNORECASE)


@cache
def _commentary() -> re.Pattern[str]:
    # an opening quotation and colon may come first: "'Get out of our way': how the march failed"
    lead = "^\\s*(?:[\"'\u2018\u201c][^\"'\u2019\u201d]{1,120}[\"'\u2019\u201d]\\s*:\\s*)?"
    cues = "|".join(_data("generic_titles.yaml")["commentary"])
    return re.compile(f"{lead}(?:{cues})", re.IGNORECASE)


@cache
def _reaction() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in _data("generic_titles.yaml")["reaction"]), re.IGNORECASE)


def is_commentary(title: str) -> bool:
    """True when the title opens like an explainer, analysis, profile or timeline, or reports a reaction."""
    title = clean_text(title or "")
    return bool(_commentary().match(title) or _reaction().search(title))


def clean_text(text: str) -> str:
    """Plain text of a title or description that may still hold HTML tags or entities."""
    if "<" in text or "&" in text:
        text = html.unescape(_TAG.sub(" ", text))
    return text


def specific_title(title: str, min_words: int) -> tuple[str, bool]:
    """The title without its generic parts, and whether it was generic and too little is left."""
    stripped = title
    for pattern in _generic_patterns():
        stripped = pattern.sub(" ", stripped)
    if stripped == title:
        return title, False
    if _roundups().search(title) or _data("generic_titles.yaml")["several_events"] in stripped:
        return stripped, True
    left = [w for w in _WORD.findall(stripped) if not w[0].isdigit()]
    return stripped, len(left) < min_words


@cache
def _rarity(word: str, base: float, top: float) -> float:
    zipf = zipf_frequency(word, "en")
    return min(top, max(0.0, base - zipf)) if zipf > 0 else top


@cache
def _zipf(word: str) -> float:
    return zipf_frequency(word, "en")


@cache
def _compound(raw: str) -> tuple[str, ...]:
    """'cease-fire' as 'ceasefire' when English writes it as one word, else its parts ('Kim-Putin')."""
    if "-" not in raw:
        return (raw,)
    parts = tuple(raw.split("-"))
    joined = "".join(parts)
    return (joined,) if _zipf(joined.lower()) > 0 else parts


@cache
def _norm_word(word: str) -> str:
    """The term a word counts as: ASCII, lower case, no possessive, plural folded."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix):
            word = word[: -len(suffix)]
    word = anyascii(word).lower().replace("'", "")
    return _stem(word)


def _stem(word: str) -> str:
    # a crude plural fold (monitor/resources/plurals.yaml): 'sanctions' and 'sanction' meet
    if len(word) < _SHORTEST_FOLDED or word.endswith(_KEPT_ENDINGS):
        return word
    if word.endswith("s"):
        return word[:-1]
    return word


@dataclass
class Features:
    """An article's weighted terms (term -> weight) and the vector's length."""

    terms: dict[str, float]
    norm: float
    generic: bool
    commentary: bool = False
    # the terms of the headline's main clause (what the article reports happened)
    headline: dict[str, float] = field(default_factory=dict)


@lru_cache(maxsize=500_000)
def _term(part: str, base: float, top: float, common: float) -> tuple[str, float] | None:
    """The term a word counts as and its weight, or None for a word too common to count."""
    word = _norm_word(part)
    if len(word) < 2 or _zipf(word) >= common:
        return None
    weight = _rarity(word, base, top)
    return (word, weight) if weight > 0 else None


def _add_field(terms: dict[str, float], text: str, factor: float, tuning: Tuning) -> None:
    base, top, common = tuning.rarity_base, tuning.max_word_weight, tuning.common_zipf
    for match in _WORD.finditer(text):
        raw = match.group()
        if raw[0].isdigit():
            digits = raw.rstrip(".,")
            # years say little; a lone digit only when it qualifies a noun ('3-day')
            if _YEAR.fullmatch(digits) or (len(digits) < 2 and text[match.end():match.end() + 1] != "-"):
                continue
            key = "#" + digits.replace(",", "")
            terms[key] = terms.get(key, 0.0) + tuning.number_weight * factor
            continue
        # a capital letter not at the start of a sentence (or a quotation) marks a name
        i = match.start() - 1
        while i >= 0 and text[i].isspace():
            i -= 1
        inside = i >= 0 and text[i] not in _SENTENCE_MARKS
        for part in _compound(raw):
            found = _term(part, base, top, common)
            if found is not None:
                weight = found[1] * tuning.name_boost if inside and part[0].isupper() else found[1]
                terms[found[0]] = terms.get(found[0], 0.0) + weight * factor


def article_features(
    title: str, text: str, entity_ids: tuple[str, ...] = (), tuning: Tuning | None = None, url: str = ""
) -> Features:
    """The weighted terms of an article: its specific title, the lede of its text, its entities."""
    tuning = tuning or default_tuning()
    title = clean_text(title or "").strip()
    # commentary by its declared cues (link section, column heading, signed or first-person description)
    piece = is_commentary_piece(title, clean_text((text or "")[:600]), url)
    title, generic = specific_title(title, tuning.generic_min_words)
    # a long text is cut before cleaning: only its first words are read
    lede = " ".join(clean_text((text or "")[: tuning.text_words * 20]).split()[: tuning.text_words])
    terms: dict[str, float] = {}
    main, background = split_background(title)
    headline: dict[str, float] = {}
    _add_field(headline, main, tuning.title_weight, tuning)
    terms.update(headline)
    _add_field(terms, background, 1.0, tuning)
    _add_field(terms, lede, 1.0, tuning)
    for entity_id in entity_ids:
        terms["@" + entity_id] = tuning.entity_weight
    norm = math.sqrt(sum(w * w for w in terms.values()))
    commentary = piece or is_commentary(title)
    return Features(terms=terms, norm=norm, generic=generic, commentary=commentary, headline=headline)


def cosine(a: Features, b: Features) -> float:
    """Cosine similarity of two feature vectors (0 when either is empty)."""
    if not a.norm or not b.norm:
        return 0.0
    small, large = (a.terms, b.terms) if len(a.terms) <= len(b.terms) else (b.terms, a.terms)
    dot = sum(w * large[t] for t, w in small.items() if t in large)
    return dot / (a.norm * b.norm)
