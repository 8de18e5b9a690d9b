"""Article kinds: commentary told apart by its declared cues, kept out of the event's story and linked to it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.grouping.features import article_features
from monitor.grouping.grouper import StoryArticle, group_archive
from monitor.grouping.kinds import is_commentary_piece, split_background, text_is_commentary, url_is_commentary

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
