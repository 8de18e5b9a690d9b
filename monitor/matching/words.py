"""Word lists the matcher needs, read from the reviewed data in `monitor/resources` (one copy
each, shared with screening): common English words (wordfreq's frequency list plus words
companies and vessels like to be named after: an alias made only of them is not distinctive),
titles that introduce a person ("President Putin"), words that introduce a vessel or
aircraft, words that make a short name an organisation, and legal forms of companies."""

from __future__ import annotations

import re
from functools import cache

from monitor import resources
from monitor.matching.normalise import normalise_name


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of a block of text."""
    return frozenset(text.split())


COMMON_WORDS = resources.words("words", "common_names")
# English closed-class words: a rule term made only of these says nothing to an auditor
FUNCTION_WORDS = resources.words("words", "function_words")
TITLE_WORDS = resources.with_role("titles", "titles", "text")
# a head of state's or government's title, and words that ask for a country's leader
HEAD_TITLES = resources.with_role("titles", "titles", "head")
HEAD_CONTEXT = HEAD_TITLES | resources.with_role("titles", "titles", "leader")
# abbreviated titles written with a full stop ("Gen. Kim"): that stop ends no sentence
TITLE_ABBREVIATIONS = resources.with_role("titles", "titles", "abbreviation")
VESSEL_WORDS = resources.words("words", "vessel_words")
LEGAL_FORMS = resources.legal_forms_cut_in_text()
# Words next to an organisation's short name that make it the organisation ("Wagner fighters").
ORG_CONTEXT = resources.words("words", "org_context")
RELATIVE_WORDS = resources.words("words", "relative_words")
# prefixes that make a name a modifier ("anti-Putin Telegram blogger", "pro-Kremlin")
ATTRIBUTIVE_PREFIXES = resources.words("words", "attributive_prefixes")
# a word right before a person's name that makes it a namesake's ("actress", "배우"), as folded
NAMESAKE_WORDS = frozenset(normalise_name(w) for w in resources.ordered("words", "namesake_words"))
# words anywhere in a field that make an organisation's short name the organisation, as scan-string
# needles (" mercenar" also finds "mercenaries"; " mutiny " only the word)
# (the words of other languages as the matcher reads them: "наёмник" -> " naemnik")
ORG_FIELD_NEEDLES = tuple(
    f" {w} " if w in resources.words("words", "org_field_whole_words") else f" {normalise_name(w)}"
    for w in resources.ordered("words", "org_field_words")
)
# a word right before an organisation's short name that makes it the organisation ("PMC Wagner")
ORG_WORDS_BEFORE = resources.words("words", "org_words_before")
# " of K...", " in the K...": a name that goes on as a longer one ("the Islamic State of Khorasan")
_CONTINUES = resources.mapping("words", "name_continues")
_LINKS, _ARTICLES = ("|".join(map(re.escape, _CONTINUES[key])) for key in ("links", "articles"))
NAME_GOES_ON = re.compile(rf" (?:{_LINKS}) (?:(?:{_ARTICLES}) )?[A-Z]")
# small words written in lower case inside an organisation's name ("Ministry of Defence")
NAME_LINKS = resources.words("words", "name_links")
FACILITY_WORDS = resources.words("words", "facility_words")
FACILITY_HEADS = resources.words("words", "facility_heads")
SURNAME_PARTICLES = resources.with_role("person_names", "particles", "surname")
ARABIC_PARTICLES = resources.with_role("person_names", "particles", "arabic")
KOREAN_SURNAMES = resources.words("person_names", "korean_surnames")
SENTENCE_ABBREVIATIONS = resources.words("words", "abbreviations")


@cache
def common_words(top: int) -> frozenset[str]:
    """The `top` most frequent English words (wordfreq), plus COMMON_WORDS."""
    from wordfreq import top_n_list  # imported on first use: a scan that never asks skips its load

    return frozenset(top_n_list("en", top)) | COMMON_WORDS
