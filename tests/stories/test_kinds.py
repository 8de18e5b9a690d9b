"""Article kinds: commentary told apart by its declared cues, kept out of the event's story and linked to it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from monitor.grouping.features import article_features, default_tuning
from monitor.grouping.grouper import StoryArticle, group_archive
from monitor.grouping.kinds import is_commentary_piece, split_background, text_is_commentary, url_is_commentary
from monitor.grouping.linking import default_linker

T0 = datetime(2023, 3, 20, 15, 0, tzinfo=UTC)


def art(ident: str, title: str, text: str, hours: float, url: str = "") -> StoryArticle:
    return StoryArticle(id=ident, title=title, text=text, published=T0 + timedelta(hours=hours), url=url)


VISIT = [
    art("r1", "Putin welcomes Chinese leader Xi Jinping to the Kremlin for talks",
        "Xi Jinping arrived in Moscow on a state visit and was welcomed by Vladimir Putin at the Kremlin.", 0,
        "https://example.org/world/2023/03/20/putin-welcomes-xi-kremlin"),
    art("r2", "Xi Jinping arrives in Moscow for Kremlin talks with Putin",
        "Chinese leader Xi Jinping arrived in Moscow for a state visit and talks with Vladimir Putin at the Kremlin.",
        1, "https://example.com/news/xi-arrives-moscow-kremlin-talks-putin"),
]


def test_link_sections_and_slugs_mark_commentary() -> None:
    assert url_is_commentary("https://thehill.com/opinion/international/4000000-the-real-meaning-of-xis-visit/")
    assert url_is_commentary("https://www.theguardian.com/commentisfree/2023/mar/20/xi-putin-visit")
    assert url_is_commentary("https://www.aljazeera.com/features/2023/3/20/xi-in-moscow")
    assert url_is_commentary("https://www.wsj.com/articles/xi-putin-analysis-3f2a")
    # the section must be a whole segment before the slug; a slug word that is not a kind says nothing
    assert not url_is_commentary("https://www.bbc.co.uk/news/world-europe-64000000")
    assert not url_is_commentary("https://example.org/news/opinionated-cat-wins-prize")
    assert not url_is_commentary("")


def test_signed_or_first_person_descriptions_mark_commentary_but_quotes_do_not() -> None:
    assert text_is_commentary("The four-hour TV show was inescapable, writes BBC Russia Editor Steve Rosenberg.")
    assert text_is_commentary("A little less than two weeks ago, we were taken to the camp where he appeared.")
    # someone else's words in quotation marks, or the outlet's promotional line, are not the writer's
    assert not text_is_commentary("Putin said: \u201cWe will respond to this, and I think they know it.\u201d")
    assert not text_is_commentary("Missiles hit Kyiv overnight. Get our morning and afternoon news emails")
    assert not text_is_commentary("")


def test_column_headings_and_profiles_mark_commentary() -> None:
    assert is_commentary_piece("DOMINIC LAWSON: Putin is shocked by the dam's collapse", "", "")
    assert is_commentary_piece("Analysis: Russia's tiny, Pyrrhic advances in Ukraine's east", "", "")
    assert is_commentary_piece("Wagner boss Yevgeny Prigozhin: The vicious street thug who built an army", "", "")
    assert not is_commentary_piece("EXCLUSIVE: Protesters block road outside hotel", "Residents set up bollards.", "")
    assert not is_commentary_piece("Putin welcomes Xi to the Kremlin", "The Chinese leader arrived on Monday.", "")


def test_commentary_never_joins_the_event_but_follows_it() -> None:
    opinion = art("o1", "The real meaning of Xi Jinping's visit to Putin in Moscow",
                  "Talk of a peace plan will obscure the tightening of ties between Xi Jinping and Putin's Kremlin.",
                  2, "https://www.ft.com/opinion/xi-putin-visit-meaning")
    assert article_features(opinion.title, opinion.text, url=opinion.url).commentary
    placed = group_archive([*VISIT, opinion])
    assert placed[0].story == placed[1].story
    assert placed[2].story != placed[0].story
    # an opinion piece follows the event at once: no need to wait for the news cycle to move on
    assert placed[2].follows == placed[0].story


def test_a_headline_is_placed_by_its_main_clause() -> None:
    assert split_background("North Korea fires ballistic missile as Kim prepares to meet Putin") == (
        "North Korea fires ballistic missile", "Kim prepares to meet Putin")
    assert split_background("As Putin meets Xi, markets wobble")[1] == ""
    feats = article_features("North Korea fires ballistic missile as Kim prepares to meet Putin", "")
    # the background clause weighs as text, the main clause as headline
    assert feats.terms["missile"] > feats.terms["putin"]


def test_round_ups_are_generic_whatever_else_their_title_says() -> None:
    from monitor.grouping.features import specific_title

    words = default_tuning().generic_min_words
    assert specific_title("Russia-Ukraine war at a glance: what we know on day 390 of the invasion", words)[1]
    assert specific_title("Russia-Ukraine war: list of key events, day 317", words)[1]
    assert not specific_title("Wagner mutiny live: Prigozhin halts march on Moscow", words)[1]


def test_obituary_headings_are_commentary() -> None:
    assert is_commentary_piece("Yevgeny Prigozhin, Wagner warlord, 1961 \u2014 2023", "", "")
    assert not is_commentary_piece("Budget for 2023-2024 passes the Senate floor", "", "")


CRASH = [
    art("c1", "Plane carrying Wagner chief Prigozhin crashes north of Moscow",
        "A private jet with Yevgeny Prigozhin on the passenger list crashed in the Tver region.", 0),
    art("c2", "Prigozhin on passenger list of plane that crashed near Moscow",
        "Russian aviation officials say Wagner chief Yevgeny Prigozhin was aboard the crashed jet in Tver.", 1),
]


def test_a_later_headline_with_a_new_development_starts_a_story_that_follows() -> None:
    lede = ("Yevgeny Prigozhin was on the passenger list of the private jet that crashed in the Tver region"
            " north of Moscow.")
    report = art("c3", "Wagner chief Prigozhin was on the plane that crashed near Moscow, officials say", lede, 6.5)
    # the same lede under a headline whose main words the story never used: a new development
    later = art("c4", "Prigozhin plane crash was an assassination, Pentagon intelligence says", lede, 7)
    placed = group_archive([*CRASH, report, later])
    assert placed[0].story == placed[1].story == placed[2].story
    assert placed[3].story != placed[0].story and placed[3].follows == placed[0].story
    # without the novelty rule the development would have joined the crash's story
    lenient = dataclasses.replace(default_linker(), novelty_max=1.0)
    assert group_archive([*CRASH, report, later], linker=lenient)[3].story == placed[0].story
