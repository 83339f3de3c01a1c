"""Fit the matcher's confidence model on the labelled questions and print the new weights.

    python bench/calibrate.py            # fit on tests/data/labelled_questions.yaml
    python bench/calibrate.py --check    # report accuracy of the current weights on both sets

The model is a plain logistic regression (gradient descent, no extra dependency) predicting
whether the best-ranked procedure is the right answer; out-of-scope questions are negatives.
The held-out set is never fitted on: it measures how well the weights generalise.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import yaml

from bot.core import matcher as M
from bot.data.knowledge import load_knowledge

ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "tests/data/labelled_questions.yaml"
HELDOUT = ROOT / "tests/data/heldout_questions.yaml"
VAGUE = ROOT / "tests/data/vague_questions.yaml"


def rows(m: M.Matcher, path: Path) -> list[tuple[list[float], int, str | None, str | None]]:
    out = []
    for item in yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]:
        ranked, feats = m.features(item["q"] if isinstance(item, dict) else item)
        best = ranked[0][0] if ranked else None
        expect = item.get("expect") if isinstance(item, dict) else None
        out.append((feats, int(expect is not None and best == expect), best, expect))
    return out


def fit(data: list[tuple[list[float], int, str | None, str | None]], steps: int = 6000) -> list[float]:
    n_feat = len(data[0][0])
    w = [0.0] * (n_feat + 1)
    for _ in range(steps):
        grad = [0.0] * (n_feat + 1)
        for feats, y, _b, _e in data:
            z = w[-1] + sum(a * b for a, b in zip(w, feats, strict=False))
            err = 1 / (1 + math.exp(-z)) - y
            for i, f in enumerate(feats):
                grad[i] += err * f
            grad[-1] += err
        w = [wi - 2.0 * (g / len(data) + 0.001 * wi) for wi, g in zip(w, grad, strict=True)]
    return w


def report(m: M.Matcher, path: Path) -> None:
    inscope = correct = top3 = oos = declined = 0
    for item in yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]:
        match = m.match(item["q"])
        if item["expect"] is None:
            oos += 1
            declined += match.procedure is None
        else:
            inscope += 1
            correct += match.procedure == item["expect"]
            top3 += item["expect"] in [c.id for c in match.candidates]
    print(f"{path.name}: top-1 {correct / inscope:.1%}  top-3 {top3 / inscope:.1%}  "
          f"out-of-scope declined {declined / oos:.1%}  ({inscope} in scope, {oos} out)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    m = M.Matcher(load_knowledge())
    if not args.check:
        w = fit(rows(m, LABELLED) + rows(m, VAGUE))
        print("CALIBRATION = (" + ", ".join(f"{x:.3f}" for x in w) + ")")
        M.CALIBRATION = tuple(w)
    report(m, LABELLED)
    report(m, HELDOUT)
    vague = yaml.safe_load(VAGUE.read_text(encoding="utf-8"))["questions"]
    answered = [q for q in vague if m.match(q).procedure is not None]
    print(f"{VAGUE.name}: answered confidently {len(answered)} of {len(vague)} {answered[:8]}")


if __name__ == "__main__":
    main()
