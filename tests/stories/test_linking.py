"""The learned linking score: its data file, and that it reads as a score of the same event should."""

from __future__ import annotations

import pytest

from monitor.grouping.linking import FEATURES, Linker, default_linker, headline_cosine, shared_rare


def test_an_unknown_feature_in_the_data_file_is_refused() -> None:
    data = {"intercept": -1.0, "threshold": 0.5, "commentary_rule": True, "coefficients": {"cosin": 2.0}}
    with pytest.raises(ValueError, match="cosin"):
        Linker.from_mapping(data)


def test_the_packaged_score_rises_with_resemblance_and_falls_with_time_and_novelty() -> None:
    linker = default_linker()
    assert 0.0 < linker.threshold < 1.0
    names = list(FEATURES)
    base = dict.fromkeys(names, 0.0) | {"cosine": 0.4, "decayed": 0.3, "centroid": 0.4, "log_size": 0.7}

    def p(**changes: float) -> float:
        return linker.probability(tuple((base | changes)[n] for n in names))

    assert p(cosine=0.8, decayed=0.7, centroid=0.8) > p() > p(cosine=0.1, decayed=0.05, centroid=0.1)
    assert p(gap_days=1.0, age_days=1.0) < p()
    assert p(novelty=0.6) < p()
    assert p(commentary=1.0) < p()


def test_headline_cosine_and_shared_rare_words() -> None:
    assert headline_cosine({"prigozhin": 6.0, "crash": 4.0}, {"prigozhin": 6.0, "crash": 4.0}) == pytest.approx(1.0)
    assert headline_cosine({"prigozhin": 6.0}, {}) == 0.0
    assert shared_rare({"prigozhin": 9.0, "tver": 7.0, "plane": 2.0}, {"prigozhin": 6.5, "tver": 6.0}) == 2 / 6
    assert shared_rare({"plane": 2.0}, {"plane": 2.0}) == 0.0
