"""Name families of other languages on the real prominence table and resources: bare shared
surnames in every script, case endings that replace a dictionary ending, names of Arabic
convention in European spelling, namesakes, Korean word starts, organisations by the name each
press gives them."""
# ruff: noqa: RUF001  (text in other scripts)

from __future__ import annotations

import pytest

from monitor.matching.engine import Matcher, build_matcher
from monitor.matching.types import AliasSpec, ArticleInput, RuleSpec


def person(eid: str, *aliases: str, programs: tuple[str, ...] = ("RUSSIA-EO14024",)) -> list[AliasSpec]:
    return [AliasSpec(f"us_ofac_sdn:{eid}", "us_ofac_sdn", eid, aliases[0], a, schema="Person", programs=programs)
            for a in aliases]


ALIASES = [
    *person("9760", "LUKASHENKA, Alyaksandr Ryhorovich", "LUKASHENKO, Alexander", programs=("BELARUS",)),
    *person("9797", "LUKASHENKA, Viktar Aliaksandravich", "LUKASHENKO, Viktor", programs=("BELARUS",)),
    *person("23343", "KADYROV, Ramzan Akhmatovich"),
    *person("36460", "KADYROVA, Medni Musaevna"),
    *person("36407", "MEDVEDEV, Dmitry Anatolievich"),
    *person("38644", "MEDVEDEV, Ilya Dmitrievich"),
    *person("35233", "LAVROV, Sergei Viktorovich"),
    *person("36404", "LAVROVA, Maria Aleksandrovna"),
    *person("35176", "GERASIMOV, Valery"),
    *person("12735", "AL-ASSAD, Bashar", programs=("SYRIA",)),
    *person("20157", "KIM, Jong Un", programs=("DPRK3",)),
    *person("11223", "SU, Lu-Chi", programs=("NPWMD",)),
    *person("16692", "SECHIN, Igor Ivanovich"),
    *person("22790", "MADURO MOROS, Nicolas", programs=("VENEZUELA",)),
    *person("35096", "PUTIN, Vladimir Vladimirovich"),
    *person("24309", "PATRUSHEV, Nikolai Platonovich"),
    *person("36811", "KALASHNIK, Sergey Viktorovich"),
    *person("31252", "KALASHNIKOV, Alexander Petrovich", programs=("UKRAINE-EO13661",)),
    *person("35320", "PESKOV, Dmitriy Sergeevich"),
    *person("18528", "SINWAR, Yahya", programs=("SDGT",)),
    *person("2686", "NASRALLAH, Hasan", programs=("SDGT",)),
    *[AliasSpec(f"us_ofac_sdn:{eid}", "us_ofac_sdn", eid, name, name, schema="Organization", programs=("SDGT",))
      for eid, name in (("47664", "ANSARALLAH"),
                        ("35845", "STATE DUMA OF THE FEDERAL ASSEMBLY OF THE RUSSIAN FEDERATION"),
                        ("16911", "JOINT STOCK COMPANY CONCERN KALASHNIKOV"))],
    *[AliasSpec("us_ofac_sdn:22543", "us_ofac_sdn", "22543", "PRIVATE MILITARY COMPANY 'WAGNER'", alias,
                schema="Organization", programs=("RUSSIA-EO14024",))
      for alias in ("PRIVATE MILITARY COMPANY 'WAGNER'", "PMC WAGNER")],
]
RULES = [RuleSpec("sanctioned-entity", "Listed entity", "", "sanctions", "medium", "entity:sanctioned")]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return build_matcher(RULES, ALIASES)


def found(matcher: Matcher, title: str, text: str, language: str) -> set[str]:
    result = matcher.scan(ArticleInput(id="a", title=title, text=text, language=language))
    return {e.source_id for e in result.entities}


@pytest.mark.parametrize(("title", "text", "lang", "expected"), [
    # a surname several listed people share, alone: the prominence table decides in every script
    ("Путин и Лукашенко обсудят поставки", "Встреча пройдёт в Сочи.", "ru", {"9760", "35096"}),
    ("Кадыров пообещал новых добровольцев", "Глава Чечни выступил в Грозном.", "ru", {"23343"}),
    ("Kadyrow schickt weitere Kämpfer", "Er gilt als Verbündeter des Kremls.", "de", {"23343"}),
    # a form the table keeps for its party only with the country in the sentence
    ("Медведев выступил", "Медведев заявил в Москве, что переговоров не будет.", "ru", {"36407"}),
    ("Медведев выступил", "Медведев заявил, что переговоров не будет.", "ru", set()),
    # another person's given name before it, or a namesake's occupation
    ("Теннисист Даниил Медведев вышел в финал", "Медведев сыграет в воскресенье.", "ru", set()),
    # a case ending that replaces the dictionary ending (Сергея: Сергей), and the genitive of a
    # surname read before a namesake's nominative, unless a given name in the nominative precedes
    ("Заявление министра", "Позиция Сергея Лаврова не изменилась.", "ru", {"35233"}),
    ("Новое назначение", "Мария Лаврова возглавила фонд.", "ru", {"36404"}),
    ("Начальник Генштаба проверил войска", "Валерий Герасимов заслушал доклады.", "ru", {"35176"}),
    # names of Arabic convention as the European press spells them
    ("Le régime de Bachar al-Assad", "Il reçoit des missiles.", "fr", {"12735"}),
    ("Baschar al-Assad empfängt Gäste", "Das Treffen fand in Damaskus statt.", "de", {"12735"}),
    ("Bachar al Asad recibe armas", "Según la oposición siria.", "es", {"12735"}),
    # a namesake: the actress 김정은 is hers wherever the article repeats her name
    ("배우 김정은, 팬미팅 개최", "소속사는 김정은이 새 드라마 촬영도 앞두고 있다고 밝혔다.", "ko", set()),
    ("김정은 위원장, 미사일 발사 참관", "김정은이 발사를 지켜봤다.", "ko", {"20157"}),
    # a Korean name starts a word: 벨라루스 holds no 루스
    ("벨라루스 대통령 발언", "벨라루스의 대통령은 러시아를 지지했다.", "ko", set()),
    # an organisation's short name with mercenary language of the article's language in the field
    ("Wagner-Söldner bleiben in Mali", "Sie bewachen Goldminen.", "de", {"22543"}),
    ("Les mercenaires de Wagner restent au Mali", "Ils gardent des mines d'or.", "fr", {"22543"}),
    ("Oper von Richard Wagner in Bayreuth", "Die Festspiele beginnen.", "de", set()),
    # renderings of listed names no transliteration recovers
    ("谢钦会见马杜罗", "俄罗斯石油公司总裁谢钦在加拉加斯会见了马杜罗。", "zh", {"16692", "22790"}),
    ("마두로 대통령, 세친 접견", "마두로 대통령은 세친 회장을 만났다.", "ko", {"16692", "22790"}),
    ("مادورو يستقبل سيتشين", "استقبل الرئيس الفنزويلي نيكولاس مادورو إيغور سيتشين في كاراكاس.", "ar",
     {"16692", "22790"}),
    # an organisation by the name each press gives it (the Houthis are ANSARALLAH), in its case forms
    ("Хуситы атаковали танкер", "Удар по судну нанесли хуситы.", "ru", {"47664"}),
    ("Вашингтон обвинил Тегеран в поставках хуситам", "Речь идёт о ракетах.", "ru", {"47664"}),
    ("Husiler Kızıldeniz'de bir gemiyi vurdu", "Saldırıyı Husiler üstlendi.", "tr", {"47664"}),
    ("胡塞武装再次袭击商船", "也门胡塞武装称对袭击负责。", "zh", {"47664"}),
    ("Председатель Государственной думы выступил", "Он говорил о бюджете.", "ru", {"35845"}),  # adjective ending
    ("Заседание Госдумы перенесли", "Депутаты разъехались.", "ru", {"35845"}),
    # a surname in an oblique case ends its name: the capitalised word after it starts the next
    # one, and a word before it is its first name only in an oblique case too
    ("Пресс-секретарь Путина ответил журналистам", "Вопрос касался переговоров.", "ru", {"35096"}),
    ("Заява Кремля", "Заявив прессекретар Путіна Дмитро Пєсков.", "uk", {"35096", "35320"}),
    ("Итоги турнира", "Победа Даниила Медведева в Москве стала сенсацией.", "ru", set()),
    # a surname keeps its nominative ending in a rendering as in the text (Микола Патрушев)
    ("Микола Патрушев отримав нову посаду", "Рішення ухвалили в Кремлі.", "uk", {"24309"}),
    ("Концерн «Калашников» нарастил выпуск", "Продукцию концерна Калашников покупают в Африке.", "ru", {"16911"}),
    # people of Arabic naming convention each press names by surname (辛瓦尔, السنوار)
    ("以军称击毙辛瓦尔", "哈马斯尚未回应。", "zh", {"18528"}),
    ("إسرائيل تعلن مقتل يحيى السنوار", "قالت إن السنوار قتل في رفح.", "ar", {"18528"}),
    # a rendering without its vowels must not read as another name: أنصار الله is نصر الله
    ("نصر الله يلقي خطابا", "تحدث نصر الله عن الحرب.", "ar", set()),
    # the English spelling stays English: Houthis is no rendering
    ("Houthis fire missiles at ships", "The Houthis said they hit a tanker.", "en", set()),
])
def test_name_families(matcher: Matcher, title: str, text: str, lang: str, expected: set[str]) -> None:
    assert found(matcher, title, text, lang) == expected


def _vocabularies_script():  # type: ignore[no-untyped-def]
    import importlib.machinery
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "vocabularies"
    loader = importlib.machinery.SourceFileLoader("vocabularies_script", str(path))
    spec = importlib.util.spec_from_loader("vocabularies_script", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_arabic_verbs_are_written_in_their_conjugated_forms() -> None:
    module = _vocabularies_script()
    forms = set(module.arabic_verb_forms("نقل"))
    assert {"نقل", "نقلت", "نقلوا", "ينقل", "تنقل", "ينقلون", "ونقلت", "فنقلت"} <= forms


def test_a_term_that_reads_as_a_commoner_word_once_folded_is_lengthened_or_left_out() -> None:
    pytest.importorskip("wordfreq")
    module = _vocabularies_script()
    assert module.collides("لسلاح", "سلاح")  # for weapons: لصالح (in favour of) and الصلاة fold alike
    assert not module.collides("سلاح", "سلاح")
    assert module.collides("مسيرا*", "مسيرات")  # Persian مسیر, route
    assert module._unique("مسيرا*", "مسيرات") == "مسيرات"


def test_persian_verbs_are_written_with_their_negation() -> None:
    module = _vocabularies_script()
    forms = module.terms("fa", "فروخته", set(), frozenset({"فروخته"}))
    assert forms[0].endswith("*") and "ن" + forms[0] in forms


@pytest.mark.parametrize(("title", "lang", "someone"), [
    # a listed surname as written is that name, not another's genitive plural (Калашник)
    ("«Калашников» отгрузил первую партию автоматов", "ru", "36811"),
    # a transcription reads as its source does: English uses Kalashnikov as a word (the rifle), so
    # the German spelling alone names no one either
    ("Deutsche Werkzeugmaschinen landen bei Kalaschnikow", "de", "31252"),
])
def test_a_weapon_s_name_is_no_bare_surname(matcher: Matcher, title: str, lang: str, someone: str) -> None:
    assert someone not in found(matcher, title, "", lang)
