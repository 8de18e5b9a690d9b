"""Incremental story grouping: each arriving article joins the story of the earlier article it
resembles most, or starts a story of its own (perhaps following an earlier one).

The grouper keeps a sliding window (tuning.yaml: window_days) of recent articles with an inverted
index over their terms; an arriving article is compared only with the window articles that share
one of its rarest terms, so the cost per article depends on how many articles share its rare
words, not on the window's size. Guards keep stories sensible on bad input: generic headlines
("Live updates"), items with no words, republished archives and clock skew give an article its
own story; a story that has grown must also resemble the arriving article as a whole, and stops
growing at `max_story_size`. Pure: no database, no Celery; the service and `stories group` both
feed it articles in arrival order.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice

from monitor.grouping.features import Features, Tuning, article_features, cosine, default_tuning
from monitor.grouping.linking import Linker, default_linker, headline_cosine, shared_rare

_HOUR = 3600.0


@dataclass(frozen=True)
class StoryArticle:
    """What grouping reads of an article: text, outlet, times and the listed entities it names."""

    id: str
    title: str
    text: str = ""
    source: str = ""
    published: datetime | None = None
    received: datetime | None = None
    entity_ids: tuple[str, ...] = ()
    url: str = ""


@dataclass(frozen=True)
class Assignment:
    """Where an article went: its story, the story it follows (if new), and why."""

    article_id: str
    story: str
    follows: str | None
    score: float
    reason: str  # joined | new | follow-up | generic | empty | stale | full


@dataclass
class _Story:
    key: str
    first: float
    size: int = 0
    centroid: dict[str, float] = field(default_factory=dict)
    norm: float = 0.0

    def add(self, feats: Features) -> None:
        square = self.norm * self.norm
        for term, weight in feats.terms.items():
            old = self.centroid.get(term, 0.0)
            self.centroid[term] = old + weight
            square += 2 * old * weight + weight * weight
        self.norm = math.sqrt(square)
        self.size += 1

    def similarity(self, feats: Features) -> float:
        if not self.norm or not feats.norm:
            return 0.0
        dot = sum(w * self.centroid.get(t, 0.0) for t, w in feats.terms.items())
        return dot / (self.norm * feats.norm)


@dataclass
class _Entry:
    serial: int
    story: _Story
    at: float
    feats: Features
    source: str = ""


def _timestamp(value: datetime | None) -> float | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


class StoryGrouper:
    """Groups articles into stories as they arrive (one instance holds one sliding window)."""

    def __init__(self, tuning: Tuning | None = None, linker: Linker | None = None) -> None:
        self.tuning = tuning or default_tuning()
        self.linker = linker or default_linker()
        self._entries: dict[int, _Entry] = {}
        # term -> (serial, time, weight) of the window articles that have it, oldest first
        self._postings: dict[str, list[tuple[int, float, float]]] = {}
        self._expiry: list[tuple[float, int]] = []
        self._stories: dict[str, _Story] = {}
        self._serial = 0
        self._clock: float | None = None

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def stories(self) -> int:
        """How many stories the window holds."""
        return len(self._stories)

    def _when(self, article: StoryArticle) -> float | None:
        published, received = _timestamp(article.published), _timestamp(article.received)
        if published is None:
            return received if received is not None else self._clock
        if received is not None and published > received + self.tuning.max_future_hours * _HOUR:
            return received  # clock skew: a date in the future is not believed
        return published

    def _advance(self, at: float) -> None:
        if self._clock is None or at > self._clock:
            self._clock = at
        horizon = self._clock - self.tuning.window_days * 86400
        while self._expiry and self._expiry[0][0] < horizon:
            _, serial = heapq.heappop(self._expiry)
            self._forget(serial)

    def _forget(self, serial: int) -> None:
        entry = self._entries.pop(serial, None)
        if entry is None:
            return
        # postings are read newest first and skip forgotten entries; a term whose newest entry
        # is gone has nothing left to offer
        for term in entry.feats.terms:
            posting = self._postings.get(term)
            if posting is not None and posting[-1][0] <= serial:
                del self._postings[term]
        story = entry.story
        story.size -= 1
        if story.size <= 0 and self._stories.get(story.key) is story:
            del self._stories[story.key]

    def _candidates(self, feats: Features, at: float) -> list[int]:
        """The window articles most worth comparing: by their dot product over the rarest terms."""
        t = self.tuning
        reach = t.max_gap_hours * _HOUR
        partial: dict[int, float] = {}
        postings = self._postings
        found = [(term, weight, postings[term]) for term, weight in feats.terms.items() if term in postings]
        # the heaviest terms that are not everywhere in the window: a term with a full posting list
        # (in hundreds of recent articles) is read only when nothing rarer is left
        found.sort(key=lambda tw: (len(tw[2]) >= t.max_postings, -tw[1]))
        low, high, get = at - reach, at + reach, partial.get
        for _term, weight, posting in found[: t.lookup_terms]:
            # newest first, at most `max_postings`: the reports of one event are close in time
            for serial, when, other in islice(reversed(posting), t.max_postings):
                if low <= when <= high:
                    partial[serial] = get(serial, 0.0) + weight * other
        best = heapq.nlargest(t.rescore, partial, key=partial.__getitem__)
        return [serial for serial in best if serial in self._entries]

    def _story_matches(self, feats: Features, at: float) -> dict[str, tuple[float, _Entry]]:
        """Per candidate story still taking articles: its most similar article and their cosine."""
        span = self.tuning.story_span_hours * _HOUR
        best: dict[str, tuple[float, _Entry]] = {}
        for serial in self._candidates(feats, at):
            entry = self._entries[serial]
            if at - entry.story.first > span:
                continue
            similarity = cosine(feats, entry.feats)
            key = entry.story.key
            if key not in best or similarity > best[key][0]:
                best[key] = (similarity, entry)
        return best

    def pair_features(
        self, feats: Features, source: str, at: float, similarity: float, entry: _Entry
    ) -> tuple[float, ...]:
        """The linking features of an article and the story of `entry` (its most similar article there)."""
        t, story = self.tuning, entry.story
        gap = abs(at - entry.at) / _HOUR
        novelty = 0.0
        if feats.headline:
            total = sum(feats.headline.values())
            novelty = sum(w for term, w in feats.headline.items() if term not in story.centroid) / total
        return (
            similarity,
            similarity * 0.5 ** (gap / t.half_life_hours),
            headline_cosine(feats.headline, entry.feats.headline),
            story.similarity(feats),
            novelty,
            shared_rare(feats.terms, entry.feats.terms),
            gap / 24,
            max(0.0, at - story.first) / _HOUR / 24,
            1.0 if source and entry.source == source else 0.0,
            1.0 if feats.commentary or entry.feats.commentary else 0.0,
            math.log1p(story.size),
        )

    def _closest(self, matches: dict[str, tuple[float, _Entry]]) -> list[tuple[str, tuple[float, _Entry]]]:
        """The candidate stories scored in full: the most similar few by cosine."""
        return heapq.nlargest(self.linker.stories, matches.items(), key=lambda kv: (kv[1][0], kv[0]))

    def candidate_features(self, article: StoryArticle) -> list[tuple[str, tuple[float, ...]]]:
        """The linking features of the candidate stories an article is scored against (for fitting the
        score: place the article afterwards with `remember`)."""
        feats = article_features(article.title, article.text, article.entity_ids, self.tuning, article.url)
        at = self._when(article)
        if at is None or feats.generic or not feats.norm:
            return []
        self._advance(at)
        closest = self._closest(self._story_matches(feats, at))
        return [(key, self.pair_features(feats, article.source, at, sim, entry)) for key, (sim, entry) in closest]

    def _ruled_out(self, feats: Features, at: float, similarity: float, entry: _Entry, novelty: float) -> bool:
        """The rules that keep an article out of a story whatever its score (linking.yaml switches them)."""
        t, linker = self.tuning, self.linker
        # commentary on either side joins only a near copy of itself (the article-kind rule)
        if linker.commentary_rule and (feats.commentary or entry.feats.commentary) and similarity < t.commentary_join:
            return True
        # after the first news cycle, a headline mostly in words the story never used is a new development
        return novelty > linker.novelty_max and at - entry.story.first >= t.follow_after_hours * _HOUR

    def _best_story(self, feats: Features, source: str, at: float) -> tuple[str | None, float, str | None, float]:
        """The story the article most likely reports (and that probability), and the story it is closest to
        after time decay (and that similarity: what a follow-up follows)."""
        t = self.tuning
        matches = self._story_matches(feats, at)
        near_key, near = None, 0.0
        for key, (similarity, entry) in matches.items():
            hours = abs(at - entry.at) / _HOUR / t.half_life_hours
            age = max(0.0, at - entry.story.first) / _HOUR / t.story_half_life_hours
            decayed = similarity * 0.5 ** (hours + age)
            if decayed > near or (decayed == near and near_key is not None and key > near_key):
                near_key, near = key, decayed
        best_key, best = None, 0.0
        for key, (similarity, entry) in self._closest(matches):
            features = self.pair_features(feats, source, at, similarity, entry)
            if self._ruled_out(feats, at, similarity, entry, features[4]):
                continue
            probability = self.linker.probability(features)
            if probability > best:
                best_key, best = key, probability
        return best_key, best, near_key, near

    def _new_key(self, article_id: str) -> str:
        key, n = article_id, 1
        while key in self._stories:
            n += 1
            key = f"{article_id}#{n}"
        return key

    def _index(self, article_id: str, story_key: str, at: float, feats: Features, source: str = "") -> None:
        self._serial += 1
        serial = self._serial
        story = self._stories.get(story_key)
        if story is None:
            story = self._stories[story_key] = _Story(story_key, at)
        story.add(feats)
        self._entries[serial] = _Entry(serial, story, at, feats, source)
        cap = 2 * self.tuning.max_postings
        for term, weight in feats.terms.items():
            posting = self._postings.setdefault(term, [])
            posting.append((serial, at, weight))
            if len(posting) > cap:  # only the newest `max_postings` are ever read
                del posting[: len(posting) - self.tuning.max_postings]
        heapq.heappush(self._expiry, (at, serial))

    def _alone(self, article: StoryArticle, reason: str) -> Assignment:
        # an article kept apart is not indexed: nothing can join a headline like "Live updates"
        return Assignment(article.id, self._new_key(article.id), None, 0.0, reason)

    def add(self, article: StoryArticle, feats: Features | None = None) -> Assignment:
        """Place one arriving article: join a story, or start one (perhaps following another)."""
        t = self.tuning
        feats = feats or article_features(article.title, article.text, article.entity_ids, t, article.url)
        at = self._when(article)
        if at is None:
            at = 0.0
        received = _timestamp(article.received)
        if received is not None and at < received - t.stale_days * 86400:
            return self._alone(article, "stale")  # a republished archive is not today's news
        self._advance(at)
        if feats.generic:
            return self._alone(article, "generic")
        if not feats.norm:
            return self._alone(article, "empty")
        key, probability, near_key, near = self._best_story(feats, article.source, at)
        story = self._stories.get(key) if key is not None else None
        if story is not None and probability >= self.linker.threshold:
            if story.size >= t.max_story_size:
                return self._alone(article, "full")
            self._index(article.id, story.key, at, feats, article.source)
            return Assignment(article.id, story.key, None, probability, "joined")
        follows = None
        nearest = self._stories.get(near_key) if near_key is not None else None
        # commentary on an event follows it whenever it was published; a report only once the
        # first news cycle has moved on (a weak match soon after is another event)
        settled = feats.commentary or at - nearest.first >= t.follow_after_hours * _HOUR if nearest else False
        if nearest is not None and near >= t.follow and settled:
            follows = nearest.key
        new_key = self._new_key(article.id)
        self._index(article.id, new_key, at, feats, article.source)
        return Assignment(article.id, new_key, follows, near, "follow-up" if follows else "new")

    def remember(self, article: StoryArticle, story: str) -> None:
        """Put an article that is already placed (by an earlier run or an analyst) into the window."""
        feats = article_features(article.title, article.text, article.entity_ids, self.tuning, article.url)
        at = self._when(article)
        if at is None or feats.generic or not feats.norm:
            return
        self._advance(at)
        self._index(article.id, story, at, feats, article.source)

    def rekey(self, old: str, new: str) -> None:
        """Give a story its permanent key (the service's story id once the row exists)."""
        story = self._stories.pop(old, None)
        if story is None or old == new:
            if story is not None:
                self._stories[old] = story
            return
        target = self._stories.get(new)
        if target is None:
            story.key = new
            self._stories[new] = story
        else:
            for term, weight in story.centroid.items():
                target.centroid[term] = target.centroid.get(term, 0.0) + weight
            target.norm = math.sqrt(sum(w * w for w in target.centroid.values()))
            target.size += story.size
            target.first = min(target.first, story.first)
            for entry in self._entries.values():  # rare (an analyst's merge): a full pass is fine
                if entry.story is story:
                    entry.story = target

    def group(self, articles: Iterable[StoryArticle]) -> Iterator[Assignment]:
        """Place articles one by one, in the order given (arrival order)."""
        for article in articles:
            yield self.add(article)


def group_archive(
    articles: list[StoryArticle], tuning: Tuning | None = None, linker: Linker | None = None
) -> list[Assignment]:
    """Group an archive as if its articles had arrived in publication order; results in input order.

    An article without a date keeps the place of the one before it in the input, so it is compared
    with its neighbours; sorting is stable, so equal dates keep their input order."""
    keyed: list[tuple[float, int]] = []
    last = float("-inf")
    for position, article in enumerate(articles):
        stamp = _timestamp(article.published)
        last = stamp if stamp is not None else last
        keyed.append((last, position))
    grouper = StoryGrouper(tuning, linker)
    placed: list[Assignment | None] = [None] * len(articles)
    for _, position in sorted(keyed):
        placed[position] = grouper.add(articles[position])
    return [a for a in placed if a is not None]
