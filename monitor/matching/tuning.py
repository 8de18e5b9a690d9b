"""Every threshold and factor of the in-text matcher, in one place, each with why it has its value.

Word frequencies are wordfreq Zipf values for English (7 = "the", 3 = once per million words,
1 = once per billion). Ranks are positions in wordfreq's English list. Changing a value here
changes what the matcher finds: measure with `python -m bench.quality` before and after
(docs/quality.md), and keep `tests/matching/test_entity_cases.py` passing.
"""

from __future__ import annotations

# --------------------------------------------------------------------------- alias forms
# A bare surname among the most frequent English words ("Said", "Brown", "John") is dropped.
SURNAME_STOP_TOP = 2500
# "said", "than", "which": never half of a two-part name on their own
EVERYDAY_NAME_TOP = 300
# a secondary one-word alias of an organisation known to English ("Baikal" 2.4) needs support
SECONDARY_ZIPF = 2.0
# rank under which a word is an everyday word: names made only of such words are not distinctive
DISTINCT_TOP = 5000
# a wider everyday vocabulary: derived names and sentence-opening first names are checked against it
EVERYDAY_TOP = 20000
# an organisation's own one-word name counts below this: "Hamas" 3.6, "Taliban" 3.7 count; "plasma" 3.95 not
PRIMARY_ZIPF = 3.8
# other one-word names count below this: "Rosneft" 2.3, "Gazprom" 2.6 count; "Mirza" 2.9, "PPI" 2.9 do not
RARE_ZIPF = 2.7
# given names crossed over surname spellings, per person (Sergei/Sergey x Shoigu/Shoygu)
MAX_CROSS = 8
# other romanisations of a Korean given name kept per name ("Jong Un", "Jung Un", "Jeong Eun"...)
MAX_KOREAN_VARIANTS = 8
# a Spanish first surname names one listed person below this: "Maduro" 3.0, "Ortega" 3.0; "Ramirez" 3.4 not
HISPANIC_SHORT_ZIPF = 3.2
# only Arabic-origin words English text hardly uses are respelled ("Hizballah" 1.9; "Islamic" 4.4 is not)
ARABIC_VARIANT_ZIPF = 3.0
# the organisation's own name may respell to a word as known as "Hezbollah" (3.3)
OWN_VARIANT_ZIPF = 3.5
MAX_SPELLINGS = 6  # respellings per word
MAX_VARIANT_FORMS = 24  # respelled forms per entity
MAX_RESPELLED_WORDS = 4  # an organisation's names longer than that are list names, not news names
RESPELLED_CONFIDENCE = 0.95  # a respelled form is a little less sure than the listed spelling

# How sure a form is that it names the listed entity (the mention's confidence before any cue
# factor); TYPO_MIN_CONFIDENCE and LINK_MIN_CONFIDENCE below and the resolver's "a full name
# outranks its shortenings" read these levels.
CONF_LISTED = 1.0  # the name as listed: given names + surname, an organisation's alias
CONF_NEAR = 0.95  # the same name reordered or cut to its first given name, or without its legal form
CONF_DERIVED = 0.9  # made by a naming rule: patronymic initial, Korean respelling, crossed spellings
CONF_FURTHER = 0.85  # further from the list: a bare surname, a Slavic given-name variant, a quoted short name
CONF_NICKNAME = 0.8  # a one-word alias, a Spanish first surname alone

# --------------------------------------------------------------------------- index build
# a surname is looked at for distinctiveness when it has this many letters at least ...
DISTINCT_MIN_LETTERS = 5
# ... and at most this many listed people carry it
DISTINCT_MAX_PEOPLE = 4
# a namesake listed at least this many times as fully as every other one is the one news means
# (Prigozhin the father, not the son)
FULLER_LISTING_RATIO = 2
# a surname English text hardly uses: a sanctioned country of theirs in the sentence supports it
# ("Prigozhin" 1.2, "Shoigu" 1.6; "Conte" 3.2, "Lopez" 3.8)
RARE_NAME_ZIPF = 2.0
# a surname English text (nearly) never uses, of one listed person, names them on its own
# ("Prigozhin and Putin: How a 25-year friendship turned ugly"); 1.5 keeps "Shoigu" (1.6) out
SOLO_ZIPF = 1.5
SOLO_MIN = 6  # letters: short rare surnames are often another language's common ones ("Rim", "Jo")
# a curated watch-list person is linked to the sanctions entries sharing a full name this sure
LINK_MIN_CONFIDENCE = 0.95
# more listed people than this share a name: it identifies none of them ("Muhammad Ali")
MAX_NAMESAKES = 3
# a Spanish short form whose first surname more listed people have than this is weak ("Ivan Velasquez")
SHORT_FORM_MAX_PEOPLE = 2

# --------------------------------------------------------------------------- one-typo tolerance
# the long part of a two-part person name may carry one typo, the other part exact
TYPO_MIN = 6  # letters of the listed part ("Shoigu" 6, "Prigozhin" 9)
TYPO_MAX_CHECKS = 40  # name-part hits checked per article
TYPO_ZIPF = 2.5  # only surnames English text hardly uses ("Shoigu" 1.6, "Yanukovych" 1.9; "Griffin" 3.7)
TYPO_MIN_CONFIDENCE = 0.85  # forms this sure (full names, not short forms) get typo variants

# --------------------------------------------------------------------------- scan limits
# occurrences kept per query node: bounds the cost of proximity on huge texts
MAX_OCC = 400
# hits kept per term and alias spans kept per article: a megabyte of one repeated name must not
# keep a worker busy for seconds (real articles stay far below)
MAX_HITS = 2000
# alias keys from which the alias forms go into the word table instead of the automaton: a
# pyahocorasick trie costs about 400 bytes a key in every process and is copied on every load,
# the table about 60 mapped bytes shared by all; below this the automaton scans an article faster
# (the real OFAC + UN lists give 153,000 alias keys; bench.match_bench prints both)
WORD_TABLE_MIN_KEYS = 400_000
MAX_EVIDENCE = 5  # evidence sentences per alert
# a headline is in Title Case when this share of its longer words is capitalised
TITLE_CASE_SHARE = 0.8
# a first name this close (rapidfuzz ratio) to one of the listed person's own is a typo, not
# someone else ("Yevgency Prigozhin")
OWN_FIRST_NAME_RATIO = 70
# a capital opening a sentence is a first name only when the word is not among this many
# commonest English words ("Yesterday Shoigu" is Shoigu, "Anna Shoigu" is someone else)
SENTENCE_START_COMMON_TOP = 500

# --------------------------------------------------------------------------- support of weak names
# The confidence of a weak form supported by a cue is the form's own confidence times the factor
# of the cue's row in monitor/matching/cues.py (CUES): an earlier mention or a name that is
# distinctive on its own is surer than context around the name.
FACTOR_MENTIONED = 0.9  # named earlier in the article (or in full in the text, for a headline)
FACTOR_DISTINCT = 0.9  # a distinctive surname: one watch-list person and their list entries
FACTOR_LINKED = 0.85  # linked on the list to an entity named in full here
FACTOR_PROPER = 0.85  # a name of everyday words written as a name ("Islamic State")
FACTOR_CONTEXT = 0.85  # a title, country, organisation or vessel word around the name
FACTOR_PROMINENT = 0.9  # a bare form the news uses for one listed party (resources/prominence.yaml)
# a text under a headline this short (a feed item's standfirst) is the lead as a whole, not only
# its first sentence: "Putin and Kim: Friends in need" / "Russia needs weapons. N Korea has weapons."
LEAD_TEXT_CHARS = 200

# --------------------------------------------------------------------------- other scripts and languages
# a derived spelling is less sure than a listed one (and, below the index's typo threshold, gets
# no one-letter variants of its own): a transcription of a listed name, a rendering from renderings.yaml
TRANSCRIPTION_CONFIDENCE = 0.8
RENDERING_CONFIDENCE = 0.84
# script keys (scriptkeys.py): a key is less sure than a listed spelling (and gets no typo variants)
SCRIPT_KEY_CONFIDENCE = 0.8
# a name keyed by syllables (Chinese, Korean) has this many at least: two are too many other people's
SCRIPT_KEY_MIN_SYLLABLES = 3
# consonant letters (not W, Y) over the whole name keyed by abjad classes: fewer meet ordinary words
SCRIPT_KEY_MIN_ABJAD_LETTERS = 4
# consonant classes over the whole name keyed phonetically: "Kasim Sali" (5), a date in Turkish, is no name
SCRIPT_KEY_MIN_PHONETIC_LETTERS = 6
SCRIPT_KEY_MAX_KEYS = 8  # keys per form and family: bounds the index a name of many readings adds
SCRIPT_KEY_MAX_SPLITS = 4  # syllable readings of one romanised word kept
# language model probability under which a valid declared language is preferred to the detected one
LANGUAGE_SURE = 0.60

# --------------------------------------------------------------------------- rule evaluation
# chance that a term occurs, estimated for an article of this many words
ARTICLE_WORDS = 400
PHRASE_RARITY = 0.2  # a phrase is rarer than its rarest word
PREFIX_COMMONNESS = 4  # a wildcard is commoner than its stem
ENTITY_COST = 0.3  # chance an article names a listed entity (orders AND children)
COUNTRY_COST = 0.1  # chance an article names a given country

# --------------------------------------------------------------------------- alert score
SEVERITY_BASE = {"low": 0.35, "medium": 0.5, "high": 0.65, "critical": 0.8}
SCORE_LISTED_PARTY = 0.12  # times the best confidence of a listed party among the alert's entities
SCORE_SAME_SENTENCE = 0.1  # a listed party in the same sentence as the rule's terms
SCORE_SANCTIONED_PLACE = 0.05  # a sanctioned jurisdiction in the evidence
SCORE_PER_EXTRA_SENTENCE = 0.02  # each further evidence sentence ...
SCORE_EXTRA_SENTENCES_MAX = 0.06  # ... up to this
