"""The learned linking score: how likely an arriving article reports the same event as a story.

The features of an (article, candidate story) pair are the ones the grouper already has at hand
(cosines of the weighted term vectors, the headline's words the story never used, times, outlets,
article kinds); the score is a logistic regression over them whose coefficients and decision
threshold are data (linking.yaml), fitted on the hand-grouped stories by `bench/stories_fit.py`.
Being linear, it is a dot product at run time. Pure: no I/O beyond the packaged data file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

# name -> what it measures; the order is the order of the vector `pair_features` returns
FEATURES: dict[str, str] = {
    "cosine": "cosine of the article's term vector and the story's most similar article's",
    "decayed": "that cosine halved every half_life_hours between the two articles",
    "headline_cosine": "cosine of the two headlines' main clauses alone",
    "centroid": "cosine with the story as a whole (the sum of its articles' vectors)",
    "novelty": "share of the headline's weight in words the story never used",
    "shared_rare": "rare words and names the two articles share (weight 6 or more), at most 6, over 6",
    "gap_days": "days between the article and the story's most similar article",
    "age_days": "days since the story's first article",
    "same_source": "1 when the two articles come from the same feed",
    "commentary": "1 when either article is commentary (story_cues.yaml)",
    "log_size": "natural log of the story's size plus one",
}
RARE_WEIGHT = 6.0
RARE_CAP = 6


@dataclass(frozen=True)
class Linker:
    """Coefficients of the linking score (one per feature, zero for a feature left out)."""

    weights: tuple[float, ...]
    bias: float
    threshold: float
    commentary_rule: bool
    # how many candidate stories (the most similar by cosine) are scored in full
    stories: int = 3
    # after the first news cycle, a headline with more than this share of words new to the story
    # never joins it (1.0: no such rule, the `novelty` feature alone weighs it)
    novelty_max: float = 1.0

    def probability(self, features: Sequence[float]) -> float:
        """The linking probability of one pair's feature vector."""
        z = self.bias + sum(w * x for w, x in zip(self.weights, features, strict=True))
        if z < -30:
            return 0.0
        return 1.0 / (1.0 + math.exp(-z))

    @classmethod
    def from_mapping(cls, data: Mapping) -> Linker:
        """A linker from linking.yaml's fields (`coefficients` by feature name)."""
        coefficients = data["coefficients"]
        unknown = set(coefficients) - set(FEATURES)
        if unknown:
            raise ValueError(f"linking.yaml: unknown features {sorted(unknown)}")
        return cls(
            weights=tuple(float(coefficients.get(name, 0.0)) for name in FEATURES),
            bias=float(data["intercept"]),
            threshold=float(data["threshold"]),
            commentary_rule=bool(data["commentary_rule"]),
            stories=int(data.get("stories", 3)),
            novelty_max=float(data.get("novelty_max", 1.0)),
        )


@cache
def default_linker() -> Linker:
    """The packaged linking score (monitor/grouping/linking.yaml)."""
    text = resources.files("monitor.grouping").joinpath("linking.yaml").read_text(encoding="utf-8")
    return Linker.from_mapping(yaml.safe_load(text))


def headline_cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Cosine of two headline term vectors (0 when either is empty)."""
    if not a or not b:
        return 0.0
    dot = sum(w * b[t] for t, w in a.items() if t in b)
    if not dot:
        return 0.0
    return dot / math.sqrt(sum(w * w for w in a.values()) * sum(w * w for w in b.values()))


def shared_rare(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """How many heavy terms (rare words, names, figures) two term vectors share, scaled to 0..1."""
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    count = sum(1 for t, w in small.items() if w >= RARE_WEIGHT and large.get(t, 0.0) >= RARE_WEIGHT)
    return min(count, RARE_CAP) / RARE_CAP
