"""Would a classifier over sentence embeddings help red-flag triage? (issue 14.5, point 5)

Measures, by k-fold cross-validation on the DEV split of tests/data/red_flag_eval.toml only,
a small classifier over the FAQ's sentence embeddings (bot/faq_embeddings.py; measured with
wordllama) trained on labelled dev messages ("flag" vs "none"), alone and combined with the
phrase rules of ``bot.domain.triage``:

* rules alone (fixed: they are not refitted per fold, and were tuned on all of dev, so
  their dev figures are in-sample and flatter them);
* the classifier alone, at several probability thresholds;
* "rules OR classifier": a flag when the rules fire or the probability is at least t;
* "veto": a rule flag is dropped when the probability is below t and the flag is not an
  emergency sign (an emergency flag is never vetoed).

Classifiers: L2-regularised logistic regression (Newton's method, numpy; features are the
256-d unit vectors) and k nearest neighbours by cosine. Folds are stratified and fixed by a
SHA-256 of each text, so every run gives the same figures.

``--time-split`` adds a fairer out-of-sample view, because the rules' dev figures are
in-sample: the rules as they were before the third dev pass (commit ``855e0b8``, read with
``git archive`` into a temporary folder and run in a subprocess) and a classifier trained
on the dev messages that existed then are both measured on the 90 dev messages added in the
third pass, which neither had seen.

Blind messages are never embedded, scored, listed or read: the cases are filtered to dev as
soon as they are loaded. The last line is one JSON object with every figure.

    python bench/red_flag_classifier_cv.py [--folds 10] [--time-split]

Outcome (bench/README.md, "Red-flag triage: a classifier over sentence embeddings"): no
combination beats the rules alone in CV, so nothing of it ships.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.red_flag_eval import EVALSET, NONE, Case, load_cases  # noqa: E402
from bot.domain.triage import triage  # noqa: E402

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]
# A fold's fit-and-predict: (train mask, test mask) -> probabilities for the test rows.
Model = Callable[[Bools, Bools], Floats]

LR_LAMBDAS = (0.1, 1.0)
KNN_KS = (5, 9)
ALONE_AT = (0.5, 0.3, 0.2)
OR_AT = (0.9, 0.8, 0.7)
VETO_BELOW = (0.01, 0.05, 0.1, 0.2)
BEFORE_THIRD_PASS = "855e0b8"  # the rules and evaluation set before the third dev pass


@dataclass(frozen=True)
class Data:
    texts: list[str]
    x: Floats  # unit embeddings, one row per message
    y: Bools  # labelled with a flag
    real: Bools  # a real post (not "written:")
    rule: Bools  # the rules fire
    emergency: Bools  # the rules' top flag is an emergency sign


def dev_cases(path: Path = EVALSET) -> list[Case]:
    return [c for c in load_cases(path) if c.split == "dev"]


def load_data(cases: Sequence[Case]) -> Data:
    from bot.faq_embeddings import load_embedder

    texts = [c.text for c in cases]
    results = [triage(t) for t in texts]
    return Data(
        texts=texts,
        x=np.asarray(load_embedder()(texts), dtype=np.float64),
        y=np.array([c.flag != NONE for c in cases]),
        real=np.array([not c.source.startswith("written:") for c in cases]),
        rule=np.array([r.is_red_flag for r in results]),
        emergency=np.array([r.level == "emergency" for r in results]),
    )


# ------------------------------------------------------------------ models
def fit_logistic(x: Floats, y: Bools, lam: float) -> Floats:
    """Weights (last one the bias, not penalised) minimising log loss + lam/2 |w|^2."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    target = y.astype(np.float64)
    w = np.zeros(xb.shape[1])
    penalty = lam * np.eye(xb.shape[1])
    penalty[-1, -1] = 0.0
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(xb @ w)))
        grad = xb.T @ (p - target) + penalty @ w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + penalty
        step = np.linalg.solve(hess, grad)
        w -= step
        if float(np.abs(step).max()) < 1e-10:
            break
    return w


def logistic(x: Floats, y: Bools, lam: float) -> Model:
    def run(train: Bools, test: Bools) -> Floats:
        w = fit_logistic(x[train], y[train], lam)
        return np.asarray(1.0 / (1.0 + np.exp(-(x[test] @ w[:-1] + w[-1]))), dtype=np.float64)

    return run


def nearest(x: Floats, y: Bools, k: int) -> Model:
    def run(train: Bools, test: Bools) -> Floats:
        sims = x[test] @ x[train].T
        top = np.argsort(-sims, axis=1, kind="stable")[:, :k]
        return np.asarray(y[train][top].mean(axis=1), dtype=np.float64)

    return run


def folds(texts: Sequence[str], y: Bools, k: int) -> NDArray[np.int64]:
    """Stratified fold numbers, fixed by a SHA-256 of each text."""
    key = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
    out = np.zeros(len(texts), dtype=np.int64)
    for label in (False, True):
        rows = sorted(np.flatnonzero(y == label), key=lambda i: key[i])
        for j, i in enumerate(rows):
            out[i] = j % k
    return out


def cross_validated(model: Model, fold: NDArray[np.int64]) -> Floats:
    p = np.zeros(len(fold))
    for f in range(int(fold.max()) + 1):
        test = fold == f
        p[test] = model(~test, test)
    return p


# ------------------------------------------------------------------ figures
def auc(p: Floats, y: Bools, mask: Bools) -> float:
    pos, neg = p[y & mask], p[~y & mask]
    if not len(pos) or not len(neg):
        return float("nan")
    wins = (pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
    return round(float(wins), 3)


def figures(flagged: Bools, y: Bools, mask: Bools) -> dict[str, float | int]:
    pos, neg = y & mask, ~y & mask
    return {
        "recall": round(float(flagged[pos].mean()), 4),
        "missed": int((~flagged & pos).sum()),
        "positives": int(pos.sum()),
        "false_alarm_rate": round(float(flagged[neg].mean()), 4),
        "false_alarms": int((flagged & neg).sum()),
        "negatives": int(neg.sum()),
    }


def designs(p: Floats, rule: Bools, emergency: Bools) -> dict[str, Bools]:
    """Every decision rule measured: the classifier alone, rules OR it, rules with its veto."""
    out: dict[str, Bools] = {}
    for t in ALONE_AT:
        out[f"classifier >= {t}"] = p >= t
    for t in OR_AT:
        out[f"rules OR classifier >= {t}"] = rule | (p >= t)
    for t in VETO_BELOW:
        out[f"rules, veto below {t} (never emergency)"] = rule & ~((p < t) & ~emergency)
    return out


def line(name: str, f: dict[str, float | int]) -> str:
    return (
        f"  {name:44} recall {f['recall']:6.1%} ({f['missed']} of {f['positives']} missed)"
        f"  false alarms {f['false_alarm_rate']:6.1%} ({f['false_alarms']} of {f['negatives']})"
    )


def models(data: Data) -> dict[str, Model]:
    out: dict[str, Model] = {}
    for lam in LR_LAMBDAS:
        out[f"logistic regression, lambda {lam}"] = logistic(data.x, data.y, lam)
    for k in KNN_KS:
        out[f"{k} nearest neighbours"] = nearest(data.x, data.y, k)
    return out


def cv_report(data: Data, k: int) -> dict[str, object]:
    everything = np.ones(len(data.y), dtype=bool)
    fold = folds(data.texts, data.y, k)
    rules = figures(data.rule, data.y, everything)
    report: dict[str, object] = {
        "rules": rules,
        "rules_real_posts": figures(data.rule, data.y, data.real),
    }
    flags, nones = int(data.y.sum()), int((~data.y).sum())
    print(f"dev, {k}-fold cross-validation ({flags} flags, {nones} none)")
    print(line("rules alone (in-sample: tuned on dev)", rules))
    for name, model in models(data).items():
        p = cross_validated(model, fold)
        entry: dict[str, object] = {
            "auc": auc(p, data.y, everything),
            "auc_real_posts": auc(p, data.y, data.real),
        }
        print(f"{name}: AUC {entry['auc']} (real posts {entry['auc_real_posts']})")
        for design, flagged in designs(p, data.rule, data.emergency).items():
            entry[design] = f = figures(flagged, data.y, everything)
            print(line(design, f))
        report[name] = entry
    return report


# ------------------------------------------------------------------ time split
_OLD_TRIAGE = """
import json, sys
sys.path.insert(0, sys.argv[1])
from bot.domain.triage import triage
out = []
for text in json.load(sys.stdin):
    r = triage(text)
    out.append([r.is_red_flag, r.level == "emergency"])
json.dump(out, sys.stdout)
"""


def rules_before_third_pass(texts: Sequence[str]) -> tuple[set[str], Bools, Bools]:
    """The dev texts that existed before the third pass, and the old rules' verdicts."""
    shown = subprocess.run(
        ["git", "show", f"{BEFORE_THIRD_PASS}:tests/data/red_flag_eval.toml"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    old_texts = {m["text"] for m in tomllib.loads(shown.decode())["message"]}
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "archive", BEFORE_THIRD_PASS, "bot"], cwd=ROOT, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        verdicts = json.loads(
            subprocess.run(
                [sys.executable, "-c", _OLD_TRIAGE, tmp],
                input=json.dumps(list(texts)).encode(),
                check=True,
                capture_output=True,
                cwd=tmp,
            ).stdout
        )
    rule = np.array([v[0] for v in verdicts])
    emergency = np.array([v[1] for v in verdicts])
    return old_texts, rule, emergency


def time_split_report(data: Data) -> dict[str, object]:
    old_texts, rule, emergency = rules_before_third_pass(data.texts)
    seen = np.array([t in old_texts for t in data.texts])
    new = ~seen
    before = figures(rule, data.y, new)
    report: dict[str, object] = {"rules_before": before}
    print(
        f"time split: trained on the {int(seen.sum())} dev messages before the third pass,"
        f" measured on the {int(new.sum())} it added"
    )
    print(line(f"rules at {BEFORE_THIRD_PASS} (never saw them)", before))
    for name, model in models(data).items():
        p = np.zeros(len(data.y))
        p[new] = model(seen, new)
        entry: dict[str, object] = {
            "auc": auc(p, data.y, new),
            "auc_among_rule_flags": auc(p, data.y, new & rule),
        }
        print(f"{name}: AUC {entry['auc']} (among old-rule flags {entry['auc_among_rule_flags']})")
        for design, flagged in designs(p, rule, emergency).items():
            entry[design] = f = figures(flagged, data.y, new)
            print(line(design, f))
        report[name] = entry
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evalset", type=Path, default=EVALSET)
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument(
        "--time-split",
        action="store_true",
        help=f"also train on dev as of {BEFORE_THIRD_PASS}, test on the dev messages added since",
    )
    args = parser.parse_args(argv)
    data = load_data(dev_cases(args.evalset))
    report: dict[str, object] = {"cv": cv_report(data, args.folds)}
    if args.time_split:
        report["time_split"] = time_split_report(data)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
