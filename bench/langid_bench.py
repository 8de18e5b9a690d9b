"""Language detection per article: `detect_language` beside py3langid as shipped, on the same texts.

    .venv/bin/python -m bench.langid_bench [--rounds 5]

Texts: the 2,225 BBC articles and every item of the real non-English feeds of ../shared/data/feeds.
Side by side, in one process, best of `--rounds`, CPU time: py3langid's packaged model restricted to
the two-letter languages by its own `set_languages` (the reference: what detection cost before the
prepared model) classifying the first 400 characters, and the service's `detect_language` (the
script decision, then the prepared model of `monitor.matching.langmodel` on the same 400
characters). Also printed: the CPU time to get a ready model in a new process either way, and how
many articles the two label differently where the model decides (must be 0: the prepared model
scores bit for bit as the shipped one).
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.multilingual_speed import REAL_FEEDS
from bench.quality import BBC, DATA

_LOAD = """
import resource, sys
from pathlib import Path
start = resource.getrusage(resource.RUSAGE_SELF)
if sys.argv[1] == "shipped":
    from py3langid.langid import MODEL_FILE, LanguageIdentifier
    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages([lang for lang in ident.labels if len(lang) == 2])
else:
    from monitor.matching import langmodel
    ident = langmodel.identifier(Path(sys.argv[2]))
ident.classify("warm")
end = resource.getrusage(resource.RUSAGE_SELF)
print(end.ru_utime - start.ru_utime + end.ru_stime - start.ru_stime)
"""


def _texts() -> list[tuple[str, str]]:
    from monitor.feeds.parse import parse_feed

    out = []
    with BBC.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                item = json.loads(line)
                out.append((str(item.get("title") or ""), str(item.get("text") or "")))
    for name in REAL_FEEDS:
        path = DATA / "feeds" / name
        if path.exists():
            for draft in parse_feed(path.read_bytes(), url="", content_type="application/xml").drafts:
                out.append((draft.title or "", draft.text or ""))
    return out


def _best(fn: object, samples: list, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        gc.collect()
        start = time.process_time()
        for sample in samples:
            fn(*sample)  # type: ignore[operator]
        best = min(best, time.process_time() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    if not BBC.exists():
        print(f"real data not available under {DATA}: nothing to measure")
        return 0
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from monitor.matching import language

    with tempfile.TemporaryDirectory(prefix="langid-bench-") as folder:
        loads = {}
        for kind in ("shipped", "prepared", "prepared"):  # the second prepared load maps the written copy
            done = subprocess.run([sys.executable, "-c", _LOAD, kind, folder], capture_output=True, text=True,
                                  check=True)
            loads[kind] = float(done.stdout)
        language.keep_model_in(Path(folder))
        texts = _texts()
        shipped = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        shipped.set_languages([lang for lang in shipped.labels if len(lang) == 2])
        samples = [(f"{title}\n{text}"[:400],) for title, text in texts]
        language.detect_language("warm", "up")
        ours = _best(language.detect_language, texts, args.rounds)
        reference = _best(shipped.classify, samples, args.rounds)
        by_model = [(t, s) for t, s in zip(texts, samples, strict=True)
                    if language._by_script(s[0])[0] is None and language._by_script(s[0])[1] >= 12]
        differ = sum(language._model().classify(s[0]) != shipped.classify(s[0]) for _t, s in by_model)
    n = len(texts)
    print(f"{n} articles (BBC and the real non-English feeds), CPU time, best of {args.rounds}:\n")
    print("| | per article | model ready in a new process |")
    print("| --- | --- | --- |")
    print(f"| py3langid as shipped, classify(first 400 characters) | {reference / n * 1e6:.0f} µs "
          f"| {loads['shipped']:.3f} s |")
    print(f"| detect_language (script, then the prepared model) | {ours / n * 1e6:.0f} µs "
          f"| {loads['prepared']:.3f} s (mapped) |")
    print(f"\nratio shipped / ours: {reference / ours:.2f}; articles the model decides: {len(by_model)}, "
          f"labelled or scored differently: {differ}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
