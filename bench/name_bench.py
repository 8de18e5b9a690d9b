"""Name-matching benchmark: F1 / precision / recall / time per pair on OpenSanctions' labelled pairs.

    .venv/bin/python -m bench.name_bench [--threshold 0.7] [--errors] [--sweep]

Our `monitor.watchlists.namematch.compare` runs side by side with rapidfuzz token_sort_ratio
(the baseline); both are scored at ONE fixed threshold over all 826 pairs.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from rapidfuzz import fuzz

from monitor.watchlists import namematch

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT.parent / "shared" / "data" / "names" / "name_bench_cases.csv"


def load_cases(path: Path = CASES) -> list[dict[str, str]]:
    """The labelled pairs."""
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def ours(name1: str, name2: str, schema: str) -> float:
    """Our pairwise score."""
    return namematch.compare(name1, name2, schema).score


def baseline(name1: str, name2: str, schema: str) -> float:
    """rapidfuzz token_sort_ratio on lower-cased names, scaled to [0, 1]."""
    return fuzz.token_sort_ratio(name1.lower(), name2.lower()) / 100.0


def evaluate(
    cases: list[dict[str, str]], scorer: Callable[[str, str, str], float], threshold: float, cold: bool = True
) -> dict:
    """Scores every pair (timed) and computes precision, recall and F1 at the threshold."""
    if cold:  # every name normalised from scratch, as in the first comparison of a new name
        namematch.clear_caches()
    scores: list[float] = []
    # CPU time of this process: the machine is shared, wall time would count the neighbours' work.
    start = time.process_time()
    for case in cases:
        scores.append(scorer(case["name1"], case["name2"], case["schema"]))
    elapsed = time.process_time() - start
    tp = fp = fn = tn = 0
    for case, score in zip(cases, scores, strict=True):
        truth = case["is_match"].strip().lower() == "true"
        guess = score >= threshold
        tp += truth and guess
        fp += guess and not truth
        fn += truth and not guess
        tn += not truth and not guess
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "f1": f1, "precision": precision, "recall": recall, "tp": tp, "fp": fp, "fn": fn, "tn": tn,
        "us_per_pair": elapsed / len(cases) * 1e6, "scores": scores,
    }


def main(argv: list[str] | None = None) -> int:
    """Print the figures for both matchers."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threshold", type=float, default=0.7)
    parser.add_argument("--errors", action="store_true", help="list our misclassified pairs")
    parser.add_argument("--sweep", action="store_true", help="F1 at thresholds 0.5..0.9 (information only)")
    parser.add_argument("--repeat", type=int, default=3, help="timing runs (best is reported)")
    args = parser.parse_args(argv)
    if not CASES.exists():
        print(f"benchmark data not available: {CASES}")
        return 0
    cases = load_cases()
    print(f"{len(cases)} labelled pairs, threshold {args.threshold}")
    results = {}
    for label, scorer in (("namematch", ours), ("rapidfuzz token_sort_ratio", baseline)):
        runs = [evaluate(cases, scorer, args.threshold) for _ in range(args.repeat)]
        best = min(runs, key=lambda r: r["us_per_pair"])
        results[label] = best
        print(
            f"{label:28s} F1 {best['f1']:.3f}  precision {best['precision']:.3f}  recall {best['recall']:.3f}"
            f"  (tp {best['tp']} fp {best['fp']} fn {best['fn']} tn {best['tn']})"
            f"  {best['us_per_pair']:.1f} us/pair"
        )
    o, b = results["namematch"], results["rapidfuzz token_sort_ratio"]
    warm = min(evaluate(cases, ours, args.threshold, cold=False)["us_per_pair"] for _ in range(args.repeat))
    print(f"namematch with both names already prepared (screening's case): {warm:.1f} us/pair")
    ratio = o["us_per_pair"] / b["us_per_pair"]
    print(f"F1 ratio namematch/baseline: {o['f1'] / b['f1']:.2f}; time ratio: {ratio:.1f}x")
    if args.sweep:
        for t in (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9):
            r = evaluate(cases, ours, t)
            print(f"  threshold {t:.2f}: F1 {r['f1']:.3f} P {r['precision']:.3f} R {r['recall']:.3f}")
    if args.errors:
        wrong = Counter()
        for case, score in zip(cases, o["scores"], strict=True):
            truth = case["is_match"].strip().lower() == "true"
            if truth != (score >= args.threshold):
                kind = "FN" if truth else "FP"
                wrong[kind] += 1
                expl = namematch.compare(case["name1"], case["name2"], case["schema"]).explanation
                print(f"{kind} {score:.2f} [{case['schema']}] {case['name1']!r} / {case['name2']!r}  -- {expl}")
        print(dict(wrong))
    return 0


if __name__ == "__main__":
    sys.exit(main())
