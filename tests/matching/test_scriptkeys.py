# ruff: noqa: RUF001  (text in other scripts)
"""Script keys: a listed name with no rendering, met in Arabic, Persian, Chinese and Korean script
(one key function per script family; monitor/matching/scriptkeys.py), and never a part of it."""

from __future__ import annotations

import unicodedata

import pytest

from monitor.matching.engine import Matcher, build_matcher
from monitor.matching.indexbuild import build_index
from monitor.matching.scriptkeys import (
    ABJAD,
    HAN,
    HANGUL,
    PHONETIC,
    abjad_romanised_keys,
    abjad_word_key,
    families,
    phonetic_key,
    syllable_splits,
)
from monitor.matching.types import AliasSpec, ArticleInput, RuleSpec


def entry(eid: str, alias: str, programs: tuple[str, ...], schema: str = "Person",
          countries: tuple[str, ...] = ()) -> AliasSpec:
    return AliasSpec(f"us_ofac_sdn:{eid}", "us_ofac_sdn", eid, alias, alias, schema=schema, programs=programs,
                     countries=countries)


ALIASES = [
    entry("10725", "MAKHLUF, Rami", ("SYRIA",)),
    entry("12812", "HASSAN, Jamil", ("SYRIA",)),
    entry("12057", "NAQDI, Mohammad Reza", ("IRGC",)),
    entry("28315", "SHAMKHANI, Ali", ("IRAN-EO13876",)),
    entry("11447", "LI, Fangwei", ("NPWMD",), countries=("CN",)),
    entry("27063", "ZHUHAI ZHENRONG COMPANY LIMITED", ("IRAN-EO13846",), schema="Organization", countries=("CN",)),
    entry("15787", "PAEK, Se-Bong", ("DPRK",)),
    entry("36407", "MEDVEDEV, Dmitry Anatolievich", ("RUSSIA-EO14024",)),
]
RULES = [RuleSpec("sanctioned-entity", "Listed entity", "", "sanctions", "medium", "entity:sanctioned")]


@pytest.fixture(scope="module", params=["automaton", "word table"])
def matcher(request: pytest.FixtureRequest) -> Matcher:
    # the keys are found whether the alias keys are in the automaton or in the word table
    index, enabled = build_index(RULES, ALIASES, word_table_min_keys=0 if request.param == "word table" else 10**9)
    return Matcher(index, enabled)


def found(matcher: Matcher, text: str, language: str) -> set[str]:
    result = matcher.scan(ArticleInput(id="a", title="", text=text, language=language))
    return {e.source_id for e in result.entities}


def test_abjad_keys_of_both_sides_meet() -> None:
    assert abjad_word_key("مخلوف") in abjad_romanised_keys("makhluf")
    assert abjad_word_key("رامي") in abjad_romanised_keys("rami")
    # a written long vowel is kept: Hossein is not Hassan
    assert abjad_word_key("حسن") not in abjad_romanised_keys("hossein")
    assert abjad_word_key("حسين") in abjad_romanised_keys("hossein")
    # the article al- is cut off, a doubled consonant written once, a final silent he dropped
    assert abjad_word_key("الأسد") in abjad_romanised_keys("assad")
    assert abjad_word_key("حاجی\u200cزاده") in abjad_romanised_keys("hajizadeh")


def test_pinyin_words_split_into_syllables() -> None:
    assert ("fang", "wei") in syllable_splits("fangwei", HAN)
    assert syllable_splits("qbz", HAN) == ()


@pytest.mark.parametrize(("text", "language", "expected"), [
    ("فرضت واشنطن عقوبات على رامي مخلوف في دمشق.", "ar", {"10725"}),
    ("قال مسؤولون إن جميل حسن أشرف على الصفقة.", "ar", {"12812"}),
    ("سردار محمدرضا نقدی گفت.", "fa", {"12057"}),  # a compound given name written as one word
    ("علی شمخانی با هیئت روسی دیدار کرد.", "fa", {"28315"}),
    ("美国财政部表示，李方伟向伊朗出售了导弹部件。", "zh", {"11447"}),
    ("珠海振戎公司被制裁。", "zh", {"27063"}),
    ("백세봉 제2경제위원장이 참석했다.", "ko", {"15787"}),
])
def test_listed_name_in_its_script(matcher: Matcher, text: str, language: str, expected: set[str]) -> None:
    assert found(matcher, text, language) == expected


@pytest.mark.parametrize("text", [
    "فرضت عقوبات على رَامِي مَخْلُوف.",  # vowel marks written on the name
    "فرضت عقوبات على رامي مخلّوف.",  # a shadda
    "فرضت عقوبات على رامي مخ\u200dلوف.",  # a zero-width joiner inside a word
    "فرضت عقوبات على \u200fرامي مخلوف\u200f.",  # right-to-left marks around the name
    "فرضت عقوبات على \ufead\ufe8e\ufee3\ufef2 \ufee3\ufea8\ufee0\ufeee\ufed2.",  # presentation forms
])
def test_marks_inside_a_word_keep_it_one_word(matcher: Matcher, text: str) -> None:
    assert found(matcher, text, "ar") == {"10725"}


@pytest.mark.parametrize(("text", "language"), [
    ("قال حسن إن جميل سيعود.", "ar"),  # the words of the name apart, in another order
    ("فرضت عقوبات على مخلوف.", "ar"),  # a surname alone
    ("دیدار حسین سلام با علی.", "fa"),  # Hassan, not Hossein: different written vowels
    ("李方在会上发言。", "zh"),  # two of the three syllables
    ("백세 어르신들이 모였다.", "ko"),  # two of the three syllables
])
def test_never_a_part_or_another_name(matcher: Matcher, text: str, language: str) -> None:
    assert found(matcher, text, language) == set()


def test_a_name_repeated_past_the_hit_cap_is_capped_as_latin_names_are(matcher: Matcher) -> None:
    from monitor.matching.tuning import MAX_HITS

    for text, language in (("التقى رامي مخلوف بالوزير. ", "ar"), ("Rami Makhluf met the minister. ", "en")):
        result = matcher.scan(ArticleInput(id="a", title="", text=text * (MAX_HITS + 500), language=language))
        assert 0 < len(result.entities) <= MAX_HITS, language


def test_keys_never_meet_latin_text(matcher: Matcher) -> None:
    # "li fang wei" is a key of the Han view only: the list writes "Li Fangwei"
    assert "11447" not in found(matcher, "Li Fang Wei spoke in Dalian.", "en")
    assert "11447" in found(matcher, "Li Fangwei spoke in Dalian.", "en")


def test_families_follow_the_naming_convention() -> None:
    # a Russian name is keyed for no script here (renderings cover the prominent ones)
    assert families((), ("RUSSIA-EO14024",)) == []
    assert families((), ("IRGC",)) == [ABJAD, PHONETIC]
    assert families(("CN",), ("NPWMD",)) == [HAN]
    assert families((), ("DPRK3",)) == [HANGUL]


PHONETIC_ALIASES = [
    entry("10481", "SOLEIMANI, Qasem", ("IRGC",)),
    entry("26942", "HAJIZADEH, Amir Ali", ("IRGC",)),
    entry("90001", "SALIH, Qasim", ("SYRIA",)),  # a short name: five consonants
    entry("35096", "PUTIN, Vladimir Vladimirovich", ("RUSSIA-EO14024",)),
]


@pytest.fixture(scope="module")
def phonetic_matcher() -> Matcher:
    return build_matcher(RULES, PHONETIC_ALIASES)


@pytest.mark.parametrize(("text", "language", "expected"), [
    ("Kasım Süleymani Bağdat'ta öldürüldü.", "tr", {"10481"}),
    ("Tuğgeneral Amir Ali Hacızade açıklama yaptı.", "tr", {"26942"}),
    ("Касем Сулеймани погиб в Багдаде.", "ru", {"10481"}),
    ("Годовщина гибели Касема Сулеймани.", "ru", {"10481"}),  # a case ending
    # lower case: no name; a name of five consonants is too short to be read this way
    ("kasım süleymani", "tr", set()),
    ("Toplantı 15 Kasım Salı günü yapılacak.", "tr", set()),
    # English and the other languages are not read phonetically
    ("Kasim Suleymani", "en", set()),
])
def test_phonetic_spellings(phonetic_matcher: Matcher, text: str, language: str, expected: set[str]) -> None:
    assert found(phonetic_matcher, text, language) == expected


def test_phonetic_keys_of_both_sides_meet() -> None:
    assert phonetic_key("qasem") == phonetic_key("kasim")
    assert phonetic_key("javad") == phonetic_key("cevad")
    assert phonetic_key("hajizadeh") == phonetic_key("hacizade")
    assert phonetic_key("qasem") == phonetic_key("kasema")
    assert phonetic_key("soleimani") != phonetic_key("salman")


@pytest.mark.timeout(20)
def test_syllable_splits_of_odd_words_end_quickly() -> None:
    # every prefix of 'anan...q' splits many ways and none reaches the end: no search of 2**n splits
    assert syllable_splits("an" * 40 + "q", HAN) == ()
    assert syllable_splits("an" * 40 + "q", HANGUL) == ()
    # a word longer than the interpreter's recursion limit is read too
    long_word = "a" * 3000
    assert syllable_splits(long_word, HAN)[0] == ("a",) * 3000
    assert syllable_splits("", HAN) == ((),)
    assert syllable_splits("fangwei", HAN)[0] == ("fang", "wei")


@pytest.mark.parametrize("text", [
    "Годовщина гибели Касема Сулеймани.",
    "Каси\u0301м Сулейма\u0301ни погиб в Багдаде.",  # stress marks
])
def test_a_decomposed_text_is_read_as_its_composed_form(phonetic_matcher: Matcher, text: str) -> None:
    # a text in decomposed form (NFD: й as и and a combining breve) or with stress marks: the combining
    # marks do not cut a word in two
    assert found(phonetic_matcher, unicodedata.normalize("NFD", text), "ru") == {"10481"}


def test_the_script_article_is_data() -> None:
    # the article Arabic script writes onto a word comes from scripts.yaml, and is cut off
    from monitor import resources

    assert "ال" in resources.words("scripts", "abjad_script_articles")
    assert abjad_word_key("المخلوف") == abjad_word_key("مخلوف") == "mxlWf"
    assert abjad_word_key("الم") != ""  # too short to be an article and a name: kept


@pytest.mark.parametrize("text", [
    "Kasım Süleymani Bağdat'ta öldürüldü.",
    "Kasım Süleymani Çankaya'da anıldı.",
])
def test_a_decomposed_word_after_the_name_is_a_whole_word(phonetic_matcher: Matcher, text: str) -> None:
    # in decomposed form (NFD) 'Bağdat' is 'Bag' and a combining breve: no short name part carrying
    # the name on ('Kim Jong Il')
    assert found(phonetic_matcher, unicodedata.normalize("NFD", text), "tr") == {"10481"}
