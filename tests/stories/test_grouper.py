"""The pure story grouping stage: same event in other words joins, other events and bad input stay apart."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from monitor.grouping.features import article_features, cosine, default_tuning, specific_title
from monitor.grouping.grouper import StoryArticle, StoryGrouper, group_archive
from monitor.grouping.linking import default_linker

T0 = datetime(2023, 9, 13, 6, 0, tzinfo=UTC)


def art(ident: str, title: str, text: str = "", hours: float = 0.0, **kw: object) -> StoryArticle:
    return StoryArticle(id=ident, title=title, text=text, published=T0 + timedelta(hours=hours), **kw)  # type: ignore[arg-type]


SUMMIT = [
    art("a1", "Kim Jong Un and Vladimir Putin meet at Russia's Vostochny Cosmodrome",
        "Vladimir Putin welcomed North Korea's Kim Jong Un at Russia's main spaceport."),
    art("a2", "Kim and Putin meet in Russia at cosmodrome summit",
        "The Russian president and North Korea's leader meet in the country's far east.", 2),
    art("a3", "North Korea's Kim vows to support Russia's 'just fight' during summit with Putin",
        "North Korean leader Kim Jong Un vowed to support Russia at the Vostochny Cosmodrome summit.", 5),
]
OTHER = art("b1", "Council approves new cycle lanes for the city centre", "The council voted on Tuesday.", 1)


def test_same_event_in_other_words_is_one_story() -> None:
    placed = group_archive([*SUMMIT, OTHER])
    stories = {p.article_id: p.story for p in placed}
    assert stories["a1"] == stories["a2"] == stories["a3"]
    assert stories["b1"] != stories["a1"]
    assert [p.article_id for p in placed] == ["a1", "a2", "a3", "b1"]


def test_features_weigh_rare_words_and_names() -> None:
    feats = article_features("Putin orders 36-hour ceasefire", "Kyiv said the truce was a ploy.")
    assert feats.terms["ceasefire"] > feats.terms.get("order", 0.0)
    assert "#36" in feats.terms
    # 'cease-fire' and 'ceasefire' meet; 'Kim-Putin' keeps both names
    assert "ceasefire" in article_features("A cease-fire in Ukraine", "").terms
    assert {"kim", "putin"} <= article_features("The Kim-Putin meeting nears", "").terms.keys()
    a = article_features("Putin orders 36-hour ceasefire", "")
    b = article_features("Putin declares 36-hour cease-fire over Christmas", "")
    c = article_features("Bank of England raises interest rates", "")
    assert cosine(a, b) > 0.5 > cosine(a, c)


def test_generic_headlines_never_join_but_specific_live_blogs_do() -> None:
    tuning = default_tuning()
    assert specific_title("Live updates", tuning.generic_min_words)[1]
    assert specific_title("Morning briefing", tuning.generic_min_words)[1]
    assert specific_title("Russia-Ukraine war at a glance: day 317", tuning.generic_min_words)[1]
    assert not specific_title("Live updates: Wagner boss halts march on Moscow after deal", tuning.generic_min_words)[1]
    items = [art(f"g{n}", "Live updates", "Latest news from around the world.", n) for n in range(5)]
    placed = group_archive(items)
    assert len({p.story for p in placed}) == 5
    assert {p.reason for p in placed} == {"generic"}


def test_empty_articles_and_duplicates_are_kept() -> None:
    items = [art("e1", "", ""), art("e2", "", ""), art("e3", "   ", "<p></p>")]
    placed = group_archive(items)
    assert [p.article_id for p in placed] == ["e1", "e2", "e3"]
    assert len({p.story for p in placed}) == 3
    # the same id twice (a feed that repeats an item) gives two distinct story keys, never a crash
    twice = group_archive([SUMMIT[0], SUMMIT[0]])
    assert len(twice) == 2


def test_republished_archive_and_clock_skew() -> None:
    grouper = StoryGrouper()
    now = T0 + timedelta(days=30)
    first = grouper.add(dataclasses.replace(SUMMIT[0], published=now, received=now))
    # an old copy of the same report, republished a month later: its own story
    old = grouper.add(dataclasses.replace(SUMMIT[1], published=T0, received=now))
    assert old.reason == "stale" and old.story != first.story
    # a date far in the future is replaced by the arrival time, so it still groups with today's news
    skewed = grouper.add(dataclasses.replace(SUMMIT[2], published=now + timedelta(days=400), received=now))
    assert skewed.story == first.story


def test_far_apart_in_time_is_not_one_story() -> None:
    later = dataclasses.replace(SUMMIT[1], published=T0 + timedelta(hours=default_tuning().max_gap_hours + 1))
    placed = group_archive([SUMMIT[0], later])
    assert placed[0].story != placed[1].story


def test_a_story_stops_growing_at_its_cap() -> None:
    tuning = dataclasses.replace(default_tuning(), max_story_size=3)
    items = [art(f"c{n}", "Kim Jong Un and Putin meet at Vostochny cosmodrome summit",
                 "Kim Jong Un met Vladimir Putin at the Vostochny cosmodrome.", n * 0.1) for n in range(6)]
    placed = group_archive(items, tuning)
    sizes: dict[str, int] = {}
    for p in placed:
        sizes[p.story] = sizes.get(p.story, 0) + 1
    assert max(sizes.values()) == 3
    assert len(placed) == 6


def test_window_slides() -> None:
    grouper = StoryGrouper()
    grouper.add(SUMMIT[0])
    assert len(grouper) == 1
    far = art("z", "Council approves new cycle lanes", "", 24 * (default_tuning().window_days + 1))
    grouper.add(far)
    assert len(grouper) == 1  # the summit article left the window
    assert grouper.stories == 1


def test_follow_up_links_to_the_first_story() -> None:
    tuning = dataclasses.replace(default_tuning(), follow=0.01, follow_after_hours=1)
    first = art("f1", "Putin orders 36-hour ceasefire in Ukraine over Orthodox Christmas",
                "Vladimir Putin ordered a unilateral truce.")
    later = art("f2", "Ukraine says Russian shelling broke Putin's Orthodox Christmas truce within hours",
                "Kherson was shelled on Saturday.", 20)
    # a resemblance below the linking threshold (these two short texts score near the packaged one)
    strict = dataclasses.replace(default_linker(), threshold=0.5)
    placed = group_archive([first, later], tuning, strict)
    assert placed[1].story != placed[0].story
    assert placed[1].follows == placed[0].story


def test_explainers_and_multi_event_live_blogs_stay_apart() -> None:
    explainer = art("x1", "What is Kim Jong Un's armoured train, which took him to meet Putin?",
                    "The North Korean leader travels to Russia in an olive-green armoured train.", 1)
    roundup = art("x2", "Russia-Ukraine war live: Kim Jong Un meets Putin at cosmodrome; Ukraine retakes oil rigs",
                  "Kim Jong Un and Vladimir Putin meet at the Vostochny cosmodrome.", 2)
    placed = group_archive([SUMMIT[0], explainer, roundup])
    assert placed[1].story != placed[0].story
    assert placed[2].story != placed[0].story and placed[2].reason == "generic"


def test_a_story_takes_articles_for_one_news_cycle_only() -> None:
    span = default_tuning().story_span_hours
    items = [dataclasses.replace(SUMMIT[n % 3], id=f"d{n}", published=T0 + timedelta(hours=n * 10))
             for n in range(int(span // 10) + 3)]
    placed = group_archive(items)
    assert len({p.story for p in placed}) > 1
