"""The matcher on small in-memory lists and rules: entity forms, support rules, queries,
evidence, scores, explanations, and bad input."""

from __future__ import annotations

import pytest

from monitor.matching.engine import Matcher, build_matcher
from monitor.matching.types import AliasSpec, ArticleInput, RuleSpec


def person(eid: str, *aliases: str, programs: tuple[str, ...] = ("RUSSIA-EO14024",), dataset: str = "us_ofac_sdn",
           weak: tuple[str, ...] = ()) -> list[AliasSpec]:
    return [AliasSpec(f"{dataset}:{eid}", dataset, eid, aliases[0], a, weak=a in weak, schema="Person",
                      programs=programs) for a in aliases]


def thing(eid: str, *aliases: str, schema: str = "Organization", dataset: str = "us_ofac_sdn") -> list[AliasSpec]:
    return [AliasSpec(f"{dataset}:{eid}", dataset, eid, aliases[0], a, schema=schema, programs=("SDGT",))
            for a in aliases]


ALIASES = [
    *person("35173", "SHOIGU, Sergei Kuzhugetovich", "SHOIGU, Sergey", "SHOYGU, Sergey Kuzhugetovich"),
    *person("35096", "PUTIN, Vladimir Vladimirovich", "PUTIN, Vladimir"),
    *person("20157", "KIM, Jong Un", programs=("DPRK3",)),
    *person("99001", "KIM, Yo Jong", "KIM, Yo", programs=("DPRK3",)),
    *person("99003", "LEE, Min Ho", programs=("SDGT",)),
    *person("99004", "LEE, Sung Ho", programs=("SDGT",)),
    *person("1", "SMITH, John", dataset="named_officials", programs=()),
    *person("2", "SHOIGU, Sergei", dataset="named_officials", programs=()),
    *person("99005", "CONTE, Ousmane", programs=("SDGT",)),
    *person("99006", "PETROVA, Anna", programs=("SDGT",)),  # the lists' given names hold an Anna, as the real ones do
    *thing("22543", "PRIVATE MILITARY COMPANY 'WAGNER'", "PMC WAGNER"),
    *thing("500", "HAMAS", "HARAKAT AL-MUQAWAMA AL-ISLAMIYA"),
    *thing("600", "ROSOBORONEXPORT OAO", "ROSOBORONEXPORT"),
    *thing("700", "OCEAN STAR", schema="Vessel"),
]
RULES = [
    RuleSpec("sanctioned-entity", "Listed entity", "", "sanctions", "medium", "entity:sanctioned"),
    RuleSpec("arms-transfer", "Arms transfer", "", "arms-transfer", "medium",
             '(supply OR sell* OR provid*) pre/4 (weapon* OR "artillery ammunition" OR arms)',
             escalate=()),
    RuleSpec("officials", "Named official", "", "named-officials", "low", "entity:dataset=named_officials"),
]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return build_matcher(RULES, ALIASES)


def found(m: Matcher, text: str, title: str = "", officials: bool = False) -> list[tuple[str, str]]:
    res = m.scan(ArticleInput("t", title, text))
    for e in res.entities:
        source = title if e.field == "title" else text
        assert source[e.start : e.end] == e.matched
    return [(e.entity_id.split(":")[1], e.matched) for e in res.entities
            if officials or e.dataset != "named_officials"]


def test_name_forms(matcher: Matcher) -> None:
    assert found(matcher, "Defence Minister Sergei Shoigu arrived.") == [("35173", "Sergei Shoigu")]
    assert found(matcher, "Sergey Shoygu and Sergei Shoygu.") == [
        ("35173", "Sergey Shoygu"), ("35173", "Sergei Shoygu")]
    assert found(matcher, "Министр Сергей Шойгу прибыл.") == [("35173", "Сергей Шойгу")]
    assert found(matcher, "Leader Kim Jong-un met Vladimir Putin.") == [
        ("20157", "Kim Jong-un"), ("35096", "Vladimir Putin")]
    assert found(matcher, "KIM, Jong Un was there.") == [("20157", "KIM, Jong Un")]
    assert found(matcher, "북한 김정은 위원장") == [("20157", "김정은")]


def test_bare_surnames_need_support(matcher: Matcher) -> None:
    assert found(matcher, "Kim said nothing.") == []
    assert found(matcher, "Lee said nothing.") == []  # two listed Lees, and an everyday name
    assert found(matcher, "President Putin said nothing.") == [("35096", "Putin")]
    # the surname of a person on the curated watch list is a distinctive alias (and names the
    # same person on the sanctions list); other people's surnames are not
    assert found(matcher, "", title="Desperate Shoigu Empties Museums") == [("35173", "Shoigu")]
    # an everyday word opening a sentence is no first name, a listed given name is
    assert found(matcher, "Desperate Shoigu empties museums.") == [("35173", "Shoigu")]
    assert found(matcher, "Anna Shoigu empties museums.") == []
    assert sorted(found(matcher, "Shoigu said nothing.", officials=True)) == [("2", "Shoigu"), ("35173", "Shoigu")]
    assert found(matcher, "Conte said nothing.") == []
    text = "Sergei Shoigu visited. Later Shoigu left."
    assert found(matcher, text) == [("35173", "Sergei Shoigu"), ("35173", "Shoigu")]
    # the most recent of several entities with that surname is meant
    text = "Kim Yo Jong spoke, then Kim Jong Un. Kim left."
    assert found(matcher, text)[-1] == ("20157", "Kim")


def test_other_people_with_a_listed_surname(matcher: Matcher) -> None:
    assert found(matcher, "Kim Jong Un spoke. Kim Kardashian posted.") == [("20157", "Kim Jong Un")]
    assert found(matcher, "His father Kim Yo Il ruled.") == []  # the listed "Kim Yo" name goes on
    assert found(matcher, "Wagner's Ring cycle opened; the composer Wagner would approve.") == []
    assert found(matcher, "Anna Shoigu, a dentist, and Shoigu Smith met.") == []
    assert found(matcher, "Members of PMC Wagner fought.") == [("22543", "PMC Wagner")]
    # the quoted short name of PRIVATE MILITARY COMPANY 'WAGNER' counts next to an organisation word
    assert found(matcher, "Wagner fighters left Bakhmut.") == [("22543", "Wagner")]
    assert found(matcher, "Russia's Wagner mercenary group grew.") == [("22543", "Wagner")]
    assert found(matcher, "David Wagner scored twice.") == []


def test_distinctive_single_words_and_legal_forms(matcher: Matcher) -> None:
    assert found(matcher, "Hamas fighters; Rosoboronexport signed.") == [("500", "Hamas"), ("600", "Rosoboronexport")]
    assert found(matcher, "The Ocean Star was lovely tonight.") == []
    assert found(matcher, "The tanker Ocean Star sailed.") == [("700", "Ocean Star")]


def test_title_counts_as_an_earlier_mention(matcher: Matcher) -> None:
    assert found(matcher, "Shoigu left.", title="Sergei Shoigu visits") == [
        ("35173", "Sergei Shoigu"), ("35173", "Shoigu")]


def test_alert_evidence_score_and_explanation(matcher: Matcher) -> None:
    text = ("Talks went on. Russia's Defense Minister, Sergei Shoigu, had attempted to persuade Pyongyang "
            "to supply artillery ammunition to Russia. Nothing else.")
    res = matcher.scan(ArticleInput("a", "", text))
    alerts = {a.rule: a for a in res.alerts}
    assert set(alerts) == {"sanctioned-entity", "arms-transfer", "officials"}  # Shoigu is on both lists
    arms = alerts["arms-transfer"]
    (ev,) = arms.evidence
    assert ev.text.startswith("Russia's Defense Minister") and ev.text.endswith("to Russia.")
    assert text[ev.start : ev.end] == ev.text
    assert arms.entity_ids == ["us_ofac_sdn:35173", "named_officials:2"]
    assert ("Sergei Shoigu (us_ofac_sdn:35173, RUSSIA-EO14024; named_officials:2, named_officials) "
            "in the same sentence as 'supply artillery ammunition'") in arms.explanation
    assert 0.0 <= arms.score <= 1.0
    plain = matcher.scan(ArticleInput("b", "", "Factories supply artillery ammunition to many buyers."))
    plain_arms = next(a for a in plain.alerts if a.rule == "arms-transfer")
    assert plain_arms.score < arms.score and plain_arms.entity_ids == []


def test_non_sanctions_dataset_is_not_sanctioned(matcher: Matcher) -> None:
    res = matcher.scan(ArticleInput("c", "", "John Smith visited."))
    assert [a.rule for a in res.alerts] == ["officials"]


def test_query_features() -> None:
    rules = [
        RuleSpec("wild", "w", "", "sanctions", "low", "weapon*"),
        RuleSpec("phrase", "p", "", "sanctions", "low", '"shadow fleet"'),
        RuleSpec("pre", "p", "", "sanctions", "low", "sell pre/2 drones"),
        RuleSpec("near", "n", "", "sanctions", "low", "sell NEAR/2 drones"),
        RuleSpec("sent", "s", "", "sanctions", "low", "tanks w/s Russia"),
        RuleSpec("not", "n", "", "sanctions", "low", "missile NOT test"),
        RuleSpec("title", "t", "", "sanctions", "low", "title:ammunition"),
        RuleSpec("country", "c", "", "sanctions", "low", "country:KP"),
        RuleSpec("us", "c", "", "sanctions", "low", "country:US"),
    ]
    m = build_matcher(rules, [])

    def fired(text: str, title: str = "") -> set[str]:
        return {a.rule for a in m.scan(ArticleInput("x", title, text)).alerts}

    assert fired("Weapons and weaponry.") == {"wild"}
    assert fired("a swap of weapon") == {"wild"}
    assert fired("The Shadow-Fleet grows.") == {"phrase"}
    assert fired("shadow and fleet") == set()
    assert fired("They sell attack drones.") == {"pre", "near"}
    assert fired("Drones they sell.") == {"near"}
    assert fired("They sell many many cheap drones.") == set()
    assert fired("Tanks rolled. Russia said.") == set()
    assert fired("Tanks rolled into Russia.") == {"sent"}
    assert fired("A missile flew.") == {"not"}
    assert fired("A missile test.") == set()
    assert fired("ammunition", title="nothing") == set()
    assert fired("x", title="Ammunition ships") == {"title"}
    assert fired("Officials in Pyongyang and the DPRK.") == {"country"}
    assert fired("Tell us more.") == set()
    assert fired("The US said.") == {"us"}


def test_only_rules_with_triggers_are_evaluated(monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor.matching import evaluate

    rules = [
        RuleSpec("phrase", "p", "", "sanctions", "low", '"rare phrase" AND (said OR told)'),
        RuleSpec("entity", "e", "", "sanctions", "low", "entity:any w/s said"),
    ]
    m = build_matcher(rules, person("1", "DOE, Jane"))
    evaluated: list[str] = []
    real = evaluate.Evaluation.run_rule

    def counting(self: evaluate.Evaluation, rule: evaluate.CompiledRule):  # type: ignore[no-untyped-def]
        evaluated.append(rule.spec.id)
        return real(self, rule)

    monkeypatch.setattr(evaluate.Evaluation, "run_rule", counting)
    assert m.scan(ArticleInput("x", "", "He said and told.")).alerts == []
    assert evaluated == []  # "said"/"told" occurred, but neither rule's trigger did
    res = m.scan(ArticleInput("x", "", "A rare phrase was said."))
    assert evaluated == ["phrase"] and [a.rule for a in res.alerts] == ["phrase"]
    evaluated.clear()
    res = m.scan(ArticleInput("x", "", "Jane Doe said so."))
    assert evaluated == ["entity"] and [a.rule for a in res.alerts] == ["entity"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        " \n\t ",
        "\x00\x01\x02 Sergei\x0bShoigu \x7f",
        "Sergei Shoigu " * 80_000,  # ~1 MB
        "".join(chr(c) for c in range(0x20, 0x3000, 7)),
        "🔫🚀 " * 1000,
        "\ud800 lone surrogate Shoigu",
    ],
)
def test_bad_input_gives_a_clean_result(matcher: Matcher, text: str) -> None:
    res = matcher.scan(ArticleInput("bad", text[:500], text))
    for e in res.entities:
        src = text[:500] if e.field == "title" else text
        assert src[e.start : e.end] == e.matched
    for a in res.alerts:
        assert 0.0 <= a.score <= 1.0 and len(a.evidence) <= 5


def test_explanation_names_content_terms_not_function_words() -> None:
    rule = RuleSpec("help", "Help to Russia", "", "sanctions", "medium",
                    '"North Korea" AND providing AND Moscow AND (with OR to)')
    text = ("North Korea, according to several officials speaking on condition of anonymity, is providing "
            "Moscow with shells and with rockets.")
    (alert,) = build_matcher([rule], []).scan(ArticleInput("a", "", text)).alerts
    assert "'North Korea', 'providing', 'Moscow' in the text" in alert.explanation
    assert "'with'" not in alert.explanation and "'to'" not in alert.explanation
    (ev,) = alert.evidence  # the evidence is still the whole sentence
    assert (ev.start, ev.end) == (0, len(text))
    near = "North Korea is providing Moscow with shells."
    (close,) = build_matcher([rule], []).scan(ArticleInput("b", "", near)).alerts
    assert "'North Korea is providing Moscow' in the text" in close.explanation  # the span, without 'with'
