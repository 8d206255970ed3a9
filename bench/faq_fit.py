"""Learn the semantic FAQ scorer's weights on the dev data, with cross-validation, and write
them to bot/domain/faq_calibration.py.

    python bench/faq_fit.py            # fit, print the CV table, write the module
    python bench/faq_fit.py --dry-run  # fit and print only

Data: the real-question set's **dev split** and the team's dev set (tests/data); the blind
split and the held-out set are never read. Two models, both deterministic (fixed iterations
from zero, no random state):

1. **Ranking**: a conditional logit (softmax over all entries) on three per-entry signals of
   ``FaqIndex.signals``: the lexical score, the best embedding cosine to one phrasing, the
   cosine to title + answer. A question with several acceptable entries counts the summed
   probability of those. Written as blend weights that sum to 1 (entry scores stay in 0..1, so
   the near-tie and suggestion rules keep their meaning) and the temperature (their sum).
2. **Decision**: a logistic regression P(top entry is acceptable) on the top entry's features
   (``faq.decision_features``: log softmax share, margin, score, unexplained share, anchored,
   its phrasing cosine and lexical score, and the question's best cosine to a declined topic
   of synonyms.toml [offtopic] topics). Off-topic questions are negatives; red-flag cases
   and questions triage flags are left out (triage owns them). Rows of the two sets are
   weighted so that each set counts equally.

The answer threshold is chosen by 5-fold cross-validation (folds by a hash of the text): for
each fold both models are fitted on the other four and scored on it, as the bot would run,
and the threshold maximising right - COST x (wrong + off-topic answered) on the real dev
folds is kept (a wrong answer costs COST right ones; ties go to the higher threshold).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.faq_eval import DEVSET, OFF_TOPIC, REALSET, RED_FLAG, load_cases  # noqa: E402
from bot.domain.faq import (  # noqa: E402
    FaqIndex,
    Signals,
    decision_features,
    load_entries,
    semantic_blend,
)
from bot.domain.triage import triage  # noqa: E402

OUT = ROOT / "bot" / "domain" / "faq_calibration.py"
FOLDS = 5
COST = 3.0
THRESHOLDS = tuple(round(0.40 + 0.05 * i, 2) for i in range(11))  # 0.40 .. 0.90
RANK_L2 = 1e-2
RANK_STEPS = 1500
DECIDE_L2 = 1e-2
DECIDE_NAMES = (
    "bias",
    "log_share",
    "margin",
    "best",
    "unexplained",
    "anchored",
    "semantic",
    "lexical",
    "declined",
)


@dataclass(frozen=True)
class Row:
    set: str  # "real" (dev split) or "team"
    text: str
    expect: str
    good: NDArray[np.float64]  # 1.0 for each acceptable entry
    signals: Signals
    flagged: bool

    @property
    def fold(self) -> int:
        return int(hashlib.sha256(self.text.encode()).hexdigest(), 16) % FOLDS

    @property
    def usable(self) -> bool:  # for the decision: triage does not take it first
        return self.expect != RED_FLAG and not self.flagged


def rows(index: FaqIndex) -> list[Row]:
    pos = {e.id: i for i, e in enumerate(index.entries)}
    real = [c for c in load_cases(REALSET) if c.split == "dev"]
    out = []
    for name, cases in (("real", real), ("team", load_cases(DEVSET))):
        for c in cases:
            good = np.zeros(len(pos))
            for a in c.acceptable:
                if a in pos:
                    good[pos[a]] = 1.0
            flagged = triage(c.text).flag is not None
            out.append(Row(name, c.text, c.expect, good, index.signals(c.text), flagged))
    return out


def _x(sig: Signals) -> NDArray[np.float64]:
    return np.stack([sig.lexical, sig.sem_phrasing, sig.sem_answer], axis=1)


def fit_rank(data: list[Row]) -> NDArray[np.float64]:
    """Softmax ranking weights by full-batch Adam (fixed steps and rates: deterministic)."""
    answerable = [r for r in data if r.good.any()]
    x = np.stack([_x(r.signals) for r in answerable])  # questions x entries x 3
    y = np.stack([r.good for r in answerable])
    w = np.zeros(x.shape[2])
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t in range(1, RANK_STEPS + 1):
        s = x @ w
        s -= s.max(axis=1, keepdims=True)
        p = np.exp(s)
        p /= p.sum(axis=1, keepdims=True)
        pa = p * y
        pa /= pa.sum(axis=1, keepdims=True)
        g = ((p - pa)[:, :, None] * x).sum(axis=(0, 1)) / len(x) + RANK_L2 * w
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        rate = 0.5 if t <= RANK_STEPS // 2 else 0.1
        w -= rate * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return w


def _blend(w: NDArray[np.float64]) -> tuple[tuple[float, float, float], float]:
    temperature = float(w.sum())
    lex, ph, ans = (float(x) / temperature for x in w)
    return (lex, ph, ans), temperature


def _decision_rows(
    data: list[Row], w: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], list[int]]:
    weights, temperature = _blend(w)
    feats, labels, tops = [], [], []
    for r in data:
        scores, f = semantic_blend(r.signals, weights, temperature)
        top = int(np.argmax(scores))
        feats.append(decision_features(f))
        labels.append(float(r.good[top] > 0))
        tops.append(top)
    return np.asarray(feats), np.asarray(labels), tops


def fit_decision(data: list[Row], w: NDArray[np.float64]) -> NDArray[np.float64]:
    """Logistic regression by Newton's method, the two sets weighted to count equally."""
    used = [r for r in data if r.usable]
    a, y, _ = _decision_rows(used, w)
    n_real = sum(r.set == "real" for r in used)
    n_team = len(used) - n_real
    c = np.array([1.0 if r.set == "real" else n_real / max(n_team, 1) for r in used])
    beta = np.zeros(a.shape[1])
    for _ in range(60):
        p = 1 / (1 + np.exp(-a @ beta))
        g = a.T @ (c * (p - y)) + DECIDE_L2 * beta
        h = (a * (c * p * (1 - p))[:, None]).T @ a + DECIDE_L2 * np.eye(len(beta))
        beta -= np.linalg.solve(h, g)
    return beta


@dataclass
class Tally:
    right: int = 0
    wrong: int = 0
    answerable: int = 0
    off_answered: int = 0
    off_flagged: int = 0  # off-topic caught by triage: not declined, as faq_eval counts it
    off: int = 0

    def line(self) -> str:
        top1 = 100 * self.right / self.answerable
        wrong = 100 * self.wrong / self.answerable
        declined = 100 * (1 - (self.off_answered + self.off_flagged) / max(self.off, 1))
        return f"{top1:5.1f} % {wrong:5.1f} % {declined:5.1f} %"

    @property
    def utility(self) -> float:
        return self.right - COST * (self.wrong + self.off_answered)


def score(
    data: list[Row], w: NDArray[np.float64], beta: NDArray[np.float64], threshold: float
) -> Tally:
    """The bot's figures (as bench/faq_eval.py counts them) with these models."""
    tally = Tally()
    cases = [r for r in data if r.expect != RED_FLAG]
    a, _, tops = _decision_rows(cases, w)
    conf = 1 / (1 + np.exp(-a @ beta))
    for r, top, p in zip(cases, tops, conf, strict=True):
        answered = not r.flagged and p >= threshold
        if r.expect == OFF_TOPIC:
            tally.off += 1
            tally.off_answered += answered
            tally.off_flagged += r.flagged
        else:
            tally.answerable += 1
            tally.right += answered and r.good[top] > 0
            tally.wrong += answered and not r.good[top] > 0
    return tally


def rank1(data: list[Row], w: NDArray[np.float64]) -> float:
    hits = [r.good[int(np.argmax(_x(r.signals) @ w))] > 0 for r in data if r.good.any()]
    return sum(hits) / len(hits)


def cross_validate(data: list[Row]) -> tuple[dict[float, dict[str, Tally]], dict[str, float]]:
    per_threshold = {t: {"real": Tally(), "team": Tally()} for t in THRESHOLDS}
    hits: dict[str, list[bool]] = {"real": [], "team": []}
    for k in range(FOLDS):
        train = [r for r in data if r.fold != k]
        test = [r for r in data if r.fold == k]
        w = fit_rank(train)
        beta = fit_decision(train, w)
        for name in ("real", "team"):
            part = [r for r in test if r.set == name]
            hits[name] += [
                bool(r.good[int(np.argmax(_x(r.signals) @ w))] > 0) for r in part if r.good.any()
            ]
            for t in THRESHOLDS:
                got = score(part, w, beta, t)
                acc = per_threshold[t][name]
                for field in ("right", "wrong", "answerable", "off_answered", "off_flagged", "off"):
                    setattr(acc, field, getattr(acc, field) + getattr(got, field))
    return per_threshold, {n: sum(h) / len(h) for n, h in hits.items()}


def render(
    weights: tuple[float, float, float],
    temperature: float,
    beta: NDArray[np.float64],
    threshold: float,
    table: list[str],
) -> str:
    lex, ph, ans = weights
    decide = "".join(f"    {b:.3f},  # {n}\n" for n, b in zip(DECIDE_NAMES, beta, strict=True))
    names = "".join(f'    "{n}",\n' for n in DECIDE_NAMES)
    doc = "\n".join(table)
    return f'''"""Learned weights of the semantic FAQ scorer. GENERATED by `python bench/faq_fit.py`
from the real-question set's dev split and the team's dev set (the blind split and the
held-out set are never read); do not edit by hand, re-run the script after changing the
knowledge base. How they are fitted is in that script's docstring.

Entry score = W_LEXICAL x lexical + W_SEM_PHRASING x best phrasing cosine + W_SEM_ANSWER x
title + answer cosine (a softmax ranking over the entries; TEMPERATURE is its scale). The
answer decision is a logistic regression over ``faq.decision_features`` (DECIDE_FEATURES
order); the bot answers at P(right) >= ANSWER_THRESHOLD.

5-fold cross-validation on the same data (each fold scored by models fitted on the others):

{doc}
"""

W_LEXICAL = {lex:.4f}
W_SEM_PHRASING = {ph:.4f}
W_SEM_ANSWER = {ans:.4f}
TEMPERATURE = {temperature:.3f}
DECIDE_FEATURES = (
{names})
DECIDE_WEIGHTS = (
{decide})
ANSWER_THRESHOLD = {threshold:.2f}
'''


def fitted_file() -> tuple[str, list[str]]:
    """The text of ``bot/domain/faq_calibration.py`` as the data and knowledge base stand
    today, and the summary lines printed with it (a test compares the shipped file to it)."""
    from bot.faq_embeddings import load_embedder

    index = FaqIndex(load_entries(), embedder=load_embedder())
    data = rows(index)
    cv, cv_rank = cross_validate(data)
    threshold = max(THRESHOLDS, key=lambda t: (cv[t]["real"].utility, t))
    w = fit_rank(data)
    beta = fit_decision(data, w)
    weights, temperature = _blend(w)
    table = [
        f"    ranking, rank-1: real dev {cv_rank['real']:.3f}, team dev {cv_rank['team']:.3f}"
        f" (fitted on all: {rank1([r for r in data if r.set == 'real'], w):.3f},"
        f" {rank1([r for r in data if r.set == 'team'], w):.3f})",
        "    threshold  real dev: top-1, wrong, off-topic declined | team dev: the same",
    ]
    for t in THRESHOLDS:
        mark = "  <- kept" if t == threshold else ""
        table.append(f"    {t:.2f}       {cv[t]['real'].line()}   | {cv[t]['team'].line()}{mark}")
    summary = [
        *table,
        f"weights {weights} temperature {temperature:.3f}",
        "decision " + " ".join(f"{n}={b:.3f}" for n, b in zip(DECIDE_NAMES, beta, strict=True)),
    ]
    return render(weights, temperature, beta, threshold, table), summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="print, do not write")
    args = parser.parse_args(argv)
    text, summary = fitted_file()
    print("\n".join(summary))
    if not args.dry_run:
        OUT.write_text(text)
        print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
