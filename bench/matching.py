"""Matching benchmark: our matcher beside plain BM25 (bm25s) and plain rapidfuzz WRatio.

    python bench/matching.py              # real knowledge base and a synthetic one 50x larger
    python bench/matching.py --accuracy   # only the figures per question set (docs/matching.md)
    python bench/matching.py --latency    # only our matcher's latency, best of 5 per question

All three see the same texts (names, aliases, example questions, FAQ phrasings; folded the same
way) and answer the same questions (tests/data/labelled_questions.yaml and
heldout_questions.yaml, heldout_fresh.yaml). Accuracy counts the procedure each would answer with; the baselines have
no way to decline, so their out-of-scope column shows how often they give *some* answer instead.
Latency is per question, measured one at a time on a warm index (caches cleared: every question
is new to the normaliser), on this machine's single core.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import bm25s
import yaml
from rapidfuzz import fuzz, process

from bot.core.matcher import Decision, Matcher
from bot.core.text import fold
from bot.data.knowledge import KnowledgeBase, load_knowledge
from bot.data.models import Procedure

ROOT = Path(__file__).resolve().parent.parent
SETS = ("tests/data/labelled_questions.yaml", "tests/data/heldout_questions.yaml", "tests/data/heldout_fresh.yaml")


def questions() -> list[tuple[str, str | None]]:
    out = []
    for name in SETS:
        for item in yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))["questions"]:
            out.append((item["q"], item["expect"]))
    return out


def texts_of(kb: KnowledgeBase) -> list[tuple[str, str]]:
    rows = []
    for proc in kb.procedures.values():
        for text in (proc.names.vi, proc.names.en, *proc.aliases, *proc.examples):
            rows.append((proc.id, fold(text)))
        for faq in proc.faq:
            rows += [(proc.id, fold(t)) for t in (faq.q.vi, faq.q.en, *faq.match)]
    for intent in kb.intents.intents:
        if intent.id == "human_help":
            rows += [("human_help", fold(t)) for t in intent.examples]
    return rows


def ours(kb: KnowledgeBase) -> tuple[Callable[[str], str | None], Callable[[], None]]:
    m = Matcher(kb)

    def clear() -> None:
        m.norm._cache.clear()

    return (lambda q: m.match(q).procedure), clear


def bm25(kb: KnowledgeBase) -> tuple[Callable[[str], str | None], Callable[[], None]]:
    rows = texts_of(kb)
    ids = sorted({pid for pid, _ in rows})
    docs = [" ".join(t for pid, t in rows if pid == i) for i in ids]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(docs, stopwords=None, show_progress=False), show_progress=False)

    def answer(q: str) -> str | None:
        tokens = bm25s.tokenize([fold(q) or "_"], stopwords=None, show_progress=False)
        res, scores = retriever.retrieve(tokens, k=1, show_progress=False)
        return ids[int(res[0][0])] if scores[0][0] > 0 else None

    return answer, lambda: None


def wratio(kb: KnowledgeBase) -> tuple[Callable[[str], str | None], Callable[[], None]]:
    rows = texts_of(kb)
    choices = [t for _, t in rows]

    def answer(q: str) -> str | None:
        best = process.extractOne(fold(q), choices, scorer=fuzz.WRatio)
        return rows[best[2]][0] if best else None

    return answer, lambda: None


def measure(name: str, build: Callable[[KnowledgeBase], tuple[Callable[[str], str | None], Callable[[], None]]],
            kb: KnowledgeBase, qs: list[tuple[str, str | None]], accuracy: bool) -> None:  # fmt: skip
    started = time.perf_counter()
    answer, clear = build(kb)
    build_s = time.perf_counter() - started
    for q, _ in qs[:20]:  # warm-up
        answer(q)
    clear()
    lat = []
    right = inscope = declined = oos = 0
    t0 = time.perf_counter()
    for q, expect in qs:
        s = time.perf_counter()
        got = answer(q)
        lat.append((time.perf_counter() - s) * 1000)
        if expect is None:
            oos += 1
            declined += got is None
        else:
            inscope += 1
            right += got == expect
    total = time.perf_counter() - t0
    lat.sort()
    p50 = statistics.median(lat)
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    acc = f"{right / inscope:6.1%} {declined / oos:9.1%}" if accuracy else f"{'-':>6} {'-':>9}"
    print(f"{name:<22} {acc} {len(qs) / total:9.0f} {p50:8.3f} {p99:8.3f} {build_s:8.3f}")


def synthetic(kb: KnowledgeBase, factor: int) -> KnowledgeBase:
    """The knowledge base copied ``factor`` times, each copy's texts marked with its own word."""
    procs: dict[str, Procedure] = {}
    for k in range(factor):
        for proc in kb.procedures.values():
            tag = f"x{k}"
            pid = f"{proc.id}_{tag}" if k else proc.id
            procs[pid] = proc.model_copy(update={
                "id": pid,
                "aliases": tuple(f"{a} {tag}" for a in proc.aliases),
                "examples": tuple(f"{e} {tag}" for e in proc.examples),
            })  # fmt: skip
    return KnowledgeBase(procs, kb.synonyms, kb.intents)


def accuracy(kb: KnowledgeBase) -> None:
    """Per question set: top-1 on in-scope questions; near-scope (procedures we do not cover) and
    out-of-scope questions declined, and how many near-scope ones are recognised as not covered."""
    m = Matcher(kb)
    print(f"{'set':<26} {'in scope':>9} {'top-1':>7} {'near':>5} {'declined':>9} {'named':>6} {'out':>4} {'declined':>9}")
    for name in SETS:
        items = yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))["questions"]
        ins = [i for i in items if i["expect"] is not None]
        near = [i for i in items if i["expect"] is None and i.get("near")]
        out = [i for i in items if i["expect"] is None and not i.get("near")]
        top1 = sum(m.match(i["q"]).procedure == i["expect"] for i in ins) / max(1, len(ins))
        near_matches = [m.match(i["q"]) for i in near]
        near_declined = sum(x.procedure is None for x in near_matches) / max(1, len(near))
        named = sum(x.decision is Decision.NOT_COVERED for x in near_matches) / max(1, len(near))
        out_declined = sum(m.match(i["q"]).procedure is None for i in out) / max(1, len(out))
        near_cols = f"{near_declined:>9.1%} {named:>6.1%}" if near else f"{'-':>9} {'-':>6}"
        print(f"{Path(name).name:<26} {len(ins):>9} {top1:>7.1%} {len(near):>5} {near_cols} {len(out):>4} {out_declined:>9.1%}")


def latency(kb: KnowledgeBase, repeat: int = 5) -> None:
    """Our matcher's cold latency per question (caches cleared before every call), the best of
    ``repeat`` calls: on a shared, loaded machine a single call measures the scheduler, not us."""
    m = Matcher(kb)
    qs = questions()
    for q, _ in qs[:20]:
        m.match(q)
    lat = []
    for q, _ in qs:
        best = float("inf")
        for _ in range(repeat):
            m.norm._cache.clear()
            m.norm._similar_cache.clear()
            started = time.perf_counter()
            m.match(q)
            best = min(best, time.perf_counter() - started)
        lat.append(best * 1000)
    lat.sort()
    print(f"trolyso matcher, best of {repeat}: {len(lat)} questions, p50 {statistics.median(lat):.3f} ms,"
          f" p99 {lat[min(len(lat) - 1, int(len(lat) * 0.99))]:.3f} ms, max {lat[-1]:.3f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accuracy", action="store_true", help="only the accuracy per question set")
    parser.add_argument("--latency", action="store_true", help="only our matcher's latency, best of 5")
    args = parser.parse_args()
    kb = load_knowledge()
    if args.latency:
        latency(kb)
        return
    accuracy(kb)
    if args.accuracy:
        return
    print()
    qs = questions()
    header = f"{'method':<22} {'top-1':>6} {'declined':>9} {'q/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'build s':>8}"
    print(f"Real knowledge base: {len(kb.procedures)} procedures, {len(qs)} questions")
    print(header)
    for name, build in (("trolyso matcher", ours), ("bm25s (plain BM25)", bm25), ("rapidfuzz WRatio", wratio)):
        measure(name, build, kb, qs, accuracy=True)
    big = synthetic(kb, 50)
    print(f"\nSynthetic knowledge base (50x): {len(big.procedures)} procedures — speed only")
    print(header)
    for name, build in (("trolyso matcher", ours), ("bm25s (plain BM25)", bm25), ("rapidfuzz WRatio", wratio)):
        measure(name, build, big, qs, accuracy=False)
    started = time.perf_counter()
    kb2 = load_knowledge()
    Matcher(kb2)
    print(f"\nStart-up (load + validate + index the real knowledge base): {time.perf_counter() - started:.3f} s")


if __name__ == "__main__":
    main()
