"""Other languages: detection, renderings, transcriptions, inflection, segmentation and invisible
characters, on small in-memory lists (renderings.yaml and languages.yaml are the real ones)."""

# ruff: noqa: RUF001, RUF003  (text in other scripts, and confusable letters on purpose)
from __future__ import annotations

import unicodedata

import pytest

from monitor.matching.engine import Matcher, build_matcher
from monitor.matching.language import declared_language, detect_language
from monitor.matching.multilingual import _Rewriter, cyrillic_stem
from monitor.matching.types import AliasSpec, ArticleInput, RuleSpec


def person(eid: str, *aliases: str, programs: tuple[str, ...] = ("RUSSIA-EO14024",)) -> list[AliasSpec]:
    return [AliasSpec(f"us_ofac_sdn:{eid}", "us_ofac_sdn", eid, aliases[0], a, schema="Person", programs=programs)
            for a in aliases]


def thing(eid: str, *aliases: str, programs: tuple[str, ...] = ("SDGT",)) -> list[AliasSpec]:
    return [AliasSpec(f"us_ofac_sdn:{eid}", "us_ofac_sdn", eid, aliases[0], a, schema="Organization",
                      programs=programs) for a in aliases]


ALIASES = [
    *person("35096", "PUTIN, Vladimir Vladimirovich"),
    *person("35173", "SHOIGU, Sergei Kuzhugetovich"),
    *person("21171", "PRIGOZHIN, Yevgeniy Viktorovich"),
    *person("20157", "KIM, Jong Un", programs=("DPRK3",)),
    *thing("22543", "PRIVATE MILITARY COMPANY 'WAGNER'", "PMC WAGNER", programs=("RUSSIA-EO14024",)),
    *thing("10391", "ISLAMIC REVOLUTIONARY GUARD CORPS", "IRGC", programs=("IRGC",)),
    *thing("4697", "HIZBALLAH"),
    *thing("16318", "ZHANG SHI TRADING", "张时"),
]
RULES = [RuleSpec("sanctioned-entity", "Listed entity", "", "sanctions", "medium", "entity:sanctioned")]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return build_matcher(RULES, ALIASES)


def found(matcher: Matcher, text: str, language: str | None = None, title: str = "") -> set[str]:
    result = matcher.scan(ArticleInput(id="a", title=title, text=text, language=language))
    return {e.source_id for e in result.entities}


@pytest.mark.parametrize(("title", "text", "lang"), [
    ("Путин провёл совещание", "Президент России провёл совещание с министрами.", "ru"),
    ("Путін провів нараду", "Президент заслухав доповідь міністра оборони.", "uk"),
    ("ارسال پهپاد از ایران به روسیه", "سپاه پاسداران صدها پهپاد را ارسال کرده است.", "fa"),
    ("شحنة أسلحة إيرانية لحزب الله", "قال الجيش إن شحنة أسلحة وصلت.", "ar"),
    ("朝鲜向俄罗斯运送弹药", "韩国情报部门称，平壤已向莫斯科运送炮弹。", "zh"),
    ("북한, 러시아에 포탄 공급", "국가정보원은 북한이 포탄을 보냈다고 밝혔다.", "ko"),
    ("プーチン大統領が演説", "ロシアのプーチン大統領は演説した。", "ja"),
    ("Nordkorea liefert Munition an Russland", "Nach Angaben aus Seoul hat Pjöngjang Granaten geliefert.", "de"),
    ("Corea del Norte envía proyectiles a Rusia", "Según Seúl, Pyongyang ha suministrado proyectiles.", "es"),
    ("Kuzey Kore Rusya'ya mühimmat gönderdi", "Güney Kore istihbaratına göre Pyongyang mermi sevk etti.", "tr"),
])
def test_detects_the_language_of_an_article(title: str, text: str, lang: str) -> None:
    assert detect_language(title, text) == lang


def test_a_declaration_is_a_hint_not_the_truth() -> None:
    # a Chinese article declared English is Chinese; a too-short text takes the declaration
    assert detect_language("朝鲜向俄罗斯运送弹药", "", declared="en-US") == "zh"
    assert detect_language("OK", "", declared="de-AT") == "de"
    assert detect_language("", "", declared=None) is None
    assert declared_language("pt_BR") == "pt"
    assert declared_language("not a language") is None


def test_transcription_rules_spell_names_as_each_language_does() -> None:
    de = _Rewriter({"zh": "sch", "sh": "sch", "v": "w", "^ye": "je", "iy$": "i", "VsV": "VssV"})
    assert de("prigozhin") == "prigoschin"
    assert de("yevgeniy") == "jewgeni"
    assert de("gerasimov") == "gerassimow"
    fr = _Rewriter({"zh": "j", "sh": "ch", "u": "ou", "in$": "ine"})
    assert fr("putin") == "poutine"
    assert fr("shoigu") == "choigou"


def test_cyrillic_stems() -> None:
    assert cyrillic_stem("gruppa") == "grupp"
    assert cyrillic_stem("vagnera") == "vagner"
    assert cyrillic_stem("lukashenko") == "lukashenko"  # no case ending to cut


@pytest.mark.parametrize(("text", "lang", "sid"), [
    ("Москва и Пекин: визит президента Путина в Китай.", "ru", "35096"),
    ("Российский президент Владимир Путин встретился с послом.", "ru", "35096"),
    ("Посол передал письмо Владимиру Путину.", "ru", "35096"),
    ("Переговори з президентом Путіном тривали.", "uk", "35096"),
    ("Die Söldner Jewgeni Prigoschins zogen ab.", "de", "21171"),
    ("Evgueni Prigojine a parlé.", "fr", "21171"),
    ("Sergey Şoygu açıklama yaptı.", "tr", "35173"),
    ("普京与金正恩会面。", "zh", "35096"),
    ("푸틴 대통령이 김정은 위원장과 만났다.", "ko", "20157"),
    ("التقى بوتين بنظيره", "ar", "35096"),
    ("شحنة أسلحة وصلت لحزب الله عبر سوريا", "ar", "4697"),
    ("سپاه پاسداران صدها پهپاد فرستاد", "fa", "10391"),
    ("Бойцы группы Вагнера ушли из города.", "ru", "22543"),
    ("Die Revolutionsgarden schickten Drohnen.", "de", "10391"),
])
def test_names_as_each_language_writes_them(matcher: Matcher, text: str, lang: str, sid: str) -> None:
    assert sid in found(matcher, text, lang)


@pytest.mark.parametrize(("text", "lang"), [
    ("Опера Вагнера открыла сезон.", "ru"),  # the composer: a bare short name needs support
    ("局面紧张时，他曾准备。", "zh"),  # 张时 across two words (紧张 / 时)
    ("Путешествие по реке.", "ru"),  # an ordinary word is never cut to a name
])
def test_traps_stay_quiet(matcher: Matcher, text: str, lang: str) -> None:
    assert found(matcher, text, lang) == set()


def test_a_chinese_name_on_word_boundaries_is_found(matcher: Matcher) -> None:
    assert "16318" in found(matcher, "报道称，张时与对方签约。", "zh")


@pytest.mark.parametrize("text", [
    "Pu\u200dtin met the envoy.",  # zero-width joiner
    "Pu\u200btin met the envoy.",  # zero-width space
    "\u202ePutin\u202c met the envoy.",  # right-to-left override
    "Put\u00adin met the envoy.",  # soft hyphen
    "Putіn met the envoy.",  # Cyrillic і inside a Latin name
    "\u200fالتقى بوتين\u200f بنظيره",  # right-to-left marks around Arabic
])
def test_invisible_and_confusable_characters_hide_no_name(matcher: Matcher, text: str) -> None:
    assert "35096" in found(matcher, "President Vladimir Putin spoke. " + text)


def test_evidence_offsets_cover_the_inflected_word(matcher: Matcher) -> None:
    text = "Визит Владимира Путина в Пекин."
    result = matcher.scan(ArticleInput(id="a", title="", text=text, language="ru"))
    spans = {text[e.start:e.end] for e in result.entities}
    assert "Владимира Путина" in spans


def test_scan_output_carries_the_language(matcher: Matcher) -> None:
    article = ArticleInput(id="a", title="", text="Путин", language="ru")
    assert matcher.scan(article).to_json(article)["language"] == "ru"


@pytest.fixture(scope="module")
def pack() -> Matcher:
    from pathlib import Path

    from monitor.matching.rulefile import load_rules

    return build_matcher(load_rules([Path(__file__).resolve().parents[2] / "config" / "rules"]), ALIASES)


@pytest.mark.parametrize(("text", "lang"), [
    ("Пхеньян поставил России миллион артиллерийских снарядов.", "ru"),
    ("Німеччина передасть Україні системи ППО і боєприпаси.", "uk"),
    ("Nordkorea hat Millionen Artilleriegranaten an Russland geliefert.", "de"),
    ("Paris va livrer de nouveaux missiles à Kiev.", "fr"),
    ("España enviará más armas a Ucrania.", "es"),
    ("قال الجيش إن شحنة أسلحة وصلت إلى الحزب عبر سوريا.", "ar"),
    ("سپاه صدها پهپاد را به روسیه ارسال کرده است.", "fa"),
    ("平壤已向莫斯科运送数百万发炮弹。", "zh"),
    ("북한이 러시아에 포탄 수백만 발을 공급했다.", "ko"),
    ("Pyongyang, Moskova'ya milyonlarca top mermisi sevk etti.", "tr"),
    ("قالت مصادر إن طهران نقلت مئات المسيرات إلى موسكو.", "ar"),  # a verb of three root letters, conjugated
    ("Iran hat Russland Hunderte Kampfdrohnen überlassen.", "de"),  # a compound
    ("북한이 군수물자를 러시아로 실어 보냈다.", "ko"),
    ("Бывшим бойцам передали танки.", "ru"),  # a form the exact list writes out
    # kinds of weapon: combat aircraft and rifles, and words for receiving and for a cargo
    ("Россия передала Алжиру партию штурмовых винтовок.", "ru"),
    ("Україна отримала перші винищувачі від Данії.", "uk"),
    ("Die Rebellen haben Sturmgewehre aus Iran erhalten.", "de"),
    ("La France va livrer des avions de combat à la Grèce.", "fr"),
    ("La Armada incautó un cargamento de misiles destinado a Yemen.", "es"),
    ("روسيا تسلم مصر مقاتلات جديدة.", "ar"),
    ("روسیه جنگنده‌ها را به ایران تحویل داد.", "fa"),
    ("俄罗斯向非洲国家出口步枪。", "zh"),
    ("러시아가 인도에 전투기를 공급한다.", "ko"),
    ("Azerbaycan'a yeni tüfekler teslim edildi.", "tr"),
    # a denied transfer is a transfer: a Persian verb negated by its prefix; an arms deal in Korean
    ("وزارت خارجه گفت تهران هیچ موشکی به روسیه نفرستاده است.", "fa"),
    ("양측은 무기 거래 의혹을 부인했다.", "ko"),
])
def test_arms_transfer_fires_in_every_language(pack: Matcher, text: str, lang: str) -> None:
    rules = {a.rule for a in pack.scan(ArticleInput(id="a", title="", text=text, language=lang)).alerts}
    assert "arms-transfer" in rules


@pytest.mark.parametrize(("text", "lang"), [
    ("Северная Корея запустила баллистическую ракету, запуск наблюдал лидер.", "ru"),  # a missile test
    ("Auf dem Roten Platz rollten Panzer und Raketen vorbei.", "de"),  # a parade
    ("Une voiture piégée a explosé dans le centre de Damas.", "fr"),  # an attack
    ("Lavrov discutió en Ginebra la prórroga del tratado sobre armas estratégicas.", "es"),  # arms control
    ("يقول الخبراء إن تنظيم الوقت أهم سلاح للنجاح.", "ar"),  # an everyday sense
    ("Le président a annoncé le déploiement d'armes nucléaires tactiques en Biélorussie.", "fr"),  # deployment
    ("The U.S. launched strikes after a drone attack by Iran-backed groups.", "en"),  # English stays English
    ("루카셴코 대통령은 러시아의 전술핵무기 배치를 환영했다.", "ko"),  # deployment; 의 전 is no 이전
    # everyday senses of an arms word beside a transfer word: gymnastics apparatus, gusts of wind
    ("В спортшколу поставлены новые гимнастические снаряды.", "ru"),
    ("До школи доставили нові спортивні снаряди.", "uk"),
    ("Des rafales de vent ont retardé la livraison des colis.", "fr"),
    # a weapon word of one language that reads as a commoner word once folded: مسيرات (drones)
    # cut to مسير* would be Persian مسیر (route), لسلاح (for weapons) Arabic لصالح (the prayer)
    ("فروش نفت به چین از مسیر شرکت‌های پوششی انجام می‌شود.", "fa"),
])
def test_arms_transfer_traps_stay_quiet(pack: Matcher, text: str, lang: str) -> None:
    rules = {a.rule for a in pack.scan(ArticleInput(id="a", title="", text=text, language=lang)).alerts}
    assert "arms-transfer" not in rules


@pytest.mark.parametrize(("text", "lang"), [
    ("Танкеры теневого флота перегружают нефть с борта на борт.", "ru"),
    ("Des sociétés écrans ont réexporté les puces vers la Russie pour contourner les sanctions.", "fr"),
    ("油轮在公海进行船对船转运，以规避制裁。", "zh"),
])
def test_sanctions_evasion_fires_in_other_languages(pack: Matcher, text: str, lang: str) -> None:
    rules = {a.rule for a in pack.scan(ArticleInput(id="a", title="", text=text, language=lang)).alerts}
    assert "sanctions-evasion" in rules


def test_the_generated_vocabularies_are_up_to_date() -> None:
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("Stemmer")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, str(root / "scripts" / "vocabularies"), "--check"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("sample", ["", "Kim Jong Un", "Путин и Шойгу", "Путін і Шойгу", "김정은 위원장",
                                    "金正恩と会談", "金正恩会见", "بوتين وشويغو", "پوتین و سپاه",
                                    "İstanbul'da Şoygu", "x\ud800y é",
                                    "Ⅻ 𝔸𝔹 Ωμέγα ǅ", "abc \u200f\u200d def", "mixed Путин text with 金 and ب"])
def test_script_counts_are_those_of_a_character_by_character_count(sample: str) -> None:
    from monitor.matching.language import _by_script, _script_letters

    counts = {"hangul": 0, "kana": 0, "han": 0, "arabic": 0, "cyrillic": 0, "other": 0}
    for ch in sample:  # the plain definition: each letter in the first script range holding it
        cp = ord(ch)
        name = ("hangul" if 0xAC00 <= cp <= 0xD7A3 or 0x1100 <= cp <= 0x11FF else "kana" if 0x3040 <= cp <= 0x30FF
                else "han" if 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF
                else "arabic" if 0x0600 <= cp <= 0x06FF or 0x0750 <= cp <= 0x077F
                else "cyrillic" if 0x0400 <= cp <= 0x04FF else "other")
        if name != "other" or (ch.isalpha() and (cp < 0x80 or unicodedata.category(ch).startswith("L"))):
            counts[name] += 1
    assert _by_script(sample)[1] == sum(counts.values())
    marks = {lang: sum(ch in chars for ch in sample if ch >= "\x80") for lang, chars in _script_letters().items()}
    lang = _by_script(sample)[0]
    if lang in ("uk", "ru"):
        assert marks[lang] and not marks["ru" if lang == "uk" else "uk"]
    if lang in ("fa", "ar"):
        assert marks[lang] > marks["ar" if lang == "fa" else "fa"]
