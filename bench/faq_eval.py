"""Evaluate triage + FAQ retrieval on the labelled dev set, as the bot runs them.

Each case goes through ``triage()`` first; only if no red flag fires is it
sent to ``FaqIndex.answer()``.  Prints a table of misses, then one JSON line:
{"cases", "top1_accuracy", "top3_accuracy", "suggest_rate", "offtopic_declined",
 "red_flag_recall", "false_red_flag_rate", ...}.

    python -m bench.faq_eval [--set dev|holdout|real] [--blind] [--method hybrid]
                             [--lexical] [--fit] [--devset PATH]
                             [--faq-dir DIR]

By default the index is the bot's: lexical scores blended with the all-MiniLM-L6-v2 sentence
embeddings (bot/faq_embeddings.py, issue 15.2). ``--lexical`` measures the lexical scorer
alone (its own calibration), as before that change.

``--set holdout`` runs tests/data/faq_holdout.toml instead: a set written
before any tuning and never tuned on, so it shows how far dev-set gains
generalise.  ``--devset PATH`` (any file in the same format) wins over --set.

``--set real`` runs tests/data/faq_realset.toml: questions in runners' own words
from public pages (issue 15.1), each with its source, the acceptable entry ids
(any one counts as right) or "none", a ``red_flag`` marker and a fixed
``split``.  Only the dev split is measured, and its misses listed, unless
``--blind`` is given: that adds one JSON line for the blind split (never its
misses).  Count every ``--blind`` run in bench/README.md; tune on dev only.

``--fit`` also fits the lexical scorer's confidence calibration (logistic regression on
best score, margin, unexplained share and anchored) and prints candidate constants; use it
with ``--lexical``. The semantic hybrid's weights and decision are learned by
``bench/faq_fit.py`` (cross-validated, written to bot/domain/faq_calibration.py).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tomllib
from dataclasses import astuple, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.domain.faq import FaqIndex, load_entries  # noqa: E402
from bot.domain.triage import triage  # noqa: E402

DEVSET = ROOT / "tests" / "data" / "faq_devset.toml"
HOLDOUT = ROOT / "tests" / "data" / "faq_holdout.toml"
REALSET = ROOT / "tests" / "data" / "faq_realset.toml"
SETS = {"dev": DEVSET, "holdout": HOLDOUT, "real": REALSET}
SPLITS = ("dev", "blind")
OFF_TOPIC = "off-topic"
RED_FLAG = "red-flag"
NONE = "none"  # the real-question set's label for "the knowledge base should decline"


@dataclass(frozen=True)
class Case:
    """``expect`` is the primary label: an entry id, OFF_TOPIC or RED_FLAG.

    ``accept`` holds every acceptable entry id (empty: only ``expect``); ``split``
    and ``source`` are set for the real-question set only.
    """

    text: str
    expect: str
    accept: tuple[str, ...] = ()
    split: str | None = None
    source: str | None = None

    @property
    def acceptable(self) -> tuple[str, ...]:
        return self.accept or (self.expect,)


@dataclass(frozen=True)
class Outcome:
    case: Case
    flag: str | None
    decision: str
    best: str | None
    top3: tuple[str, ...]
    confidence: float
    features: tuple[float, ...]

    @property
    def ok(self) -> bool:
        if self.case.expect == RED_FLAG:
            return self.flag is not None
        if self.flag is not None:
            return False
        if self.case.expect == OFF_TOPIC:
            return self.decision != "answer"
        return self.decision == "answer" and self.best in self.case.acceptable

    @property
    def wrong_answer(self) -> bool:
        """Answered confidently with an entry that is not acceptable (in-scope cases)."""
        return self.flag is None and self.decision == "answer" and not self.ok


def _case(path: Path, n: int, raw: dict[str, object]) -> Case:
    text, expect = raw.get("text"), raw.get("expect")
    if not isinstance(text, str):
        raise ValueError(f"{path}: case #{n} needs a string 'text'")
    if isinstance(expect, str):
        return Case(text, expect)
    # real-question set: expect is a list of acceptable ids, or ["none"]
    if not (isinstance(expect, list) and expect and all(isinstance(e, str) for e in expect)):
        raise ValueError(f"{path}: case #{n} needs 'expect' as a string or a list of strings")
    split, source = raw.get("split"), raw.get("source")
    if split not in SPLITS or not isinstance(source, str):
        raise ValueError(f"{path}: case #{n} needs 'source' and 'split' = dev|blind")
    accept = tuple(e for e in expect if e != NONE)
    if raw.get("red_flag") is True:
        primary = RED_FLAG
    elif not accept:
        primary = OFF_TOPIC
    else:
        primary = accept[0]
    return Case(text, primary, accept=accept, split=split, source=source)


def load_cases(path: Path = DEVSET) -> list[Case]:
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return [_case(path, n, raw) for n, raw in enumerate(data.get("case", []), start=1)]


def run(index: FaqIndex, cases: list[Case]) -> list[Outcome]:
    outcomes = []
    for case in cases:
        flagged = triage(case.text)
        ans = index.answer(case.text)
        top3 = tuple(m.entry.id for m in index.search(case.text, k=3))
        outcomes.append(
            Outcome(
                case=case,
                flag=flagged.flag,
                decision=ans.decision,
                best=ans.best.id if ans.best else (top3[0] if top3 else None),
                top3=top3,
                confidence=ans.confidence,
                features=astuple(index.features(case.text)),
            )
        )
    return outcomes


def _share(num: int, den: int) -> float:
    return round(num / den, 4) if den else 1.0


def metrics(outcomes: list[Outcome]) -> dict[str, float | int]:
    in_scope = [o for o in outcomes if o.case.expect not in (OFF_TOPIC, RED_FLAG)]
    off = [o for o in outcomes if o.case.expect == OFF_TOPIC]
    red = [o for o in outcomes if o.case.expect == RED_FLAG]
    not_red = [o for o in outcomes if o.case.expect != RED_FLAG]
    unflagged_in = [o for o in in_scope if o.flag is None]
    return {
        "cases": len(outcomes),
        "in_scope": len(in_scope),
        "off_topic": len(off),
        "red_flag_cases": len(red),
        "top1_accuracy": _share(sum(o.ok for o in in_scope), len(in_scope)),
        "top3_accuracy": _share(
            sum(o.flag is None and bool(set(o.case.acceptable) & set(o.top3)) for o in in_scope),
            len(in_scope),
        ),
        "suggest_rate": _share(sum(o.decision == "suggest" for o in unflagged_in), len(in_scope)),
        "wrong_answer_rate": _share(sum(o.wrong_answer for o in unflagged_in), len(in_scope)),
        "offtopic_declined": _share(sum(o.ok for o in off), len(off)),
        "red_flag_recall": _share(sum(o.ok for o in red), len(red)),
        "false_red_flag_rate": _share(sum(o.flag is not None for o in not_red), len(not_red)),
    }


def print_misses(outcomes: list[Outcome]) -> None:
    misses = [o for o in outcomes if not o.ok]
    print(f"{len(misses)} misses of {len(outcomes)} cases")
    print(f"{'expect':<24} {'flag':<22} {'decision':<8} {'best':<24} {'conf':>5}  text")
    for o in misses:
        print(
            f"{'/'.join(o.case.acceptable):<24.24} {o.flag or '-':<22.22} {o.decision:<8} "
            f"{o.best or '-':<24.24} {o.confidence:5.2f}  {o.case.text[:90]}"
        )


def fit_calibration(
    outcomes: list[Outcome], weights: list[float] | None = None
) -> tuple[float, ...]:
    """Logistic regression by Newton's method: P(top-ranked entry is right | features).

    Off-topic cases are negatives; red-flag cases and questions triage flags are left out
    (triage owns them). ``weights`` (one per outcome) weigh the rows, e.g. to pool two sets.
    """
    each = weights or [1.0] * len(outcomes)
    rows = [
        ((1.0, *o.features[:4]), 1.0 if o.top3[:1] and o.top3[0] in o.case.acceptable else 0.0, c)
        for o, c in zip(outcomes, each, strict=True)
        if o.case.expect != RED_FLAG and o.flag is None
    ]
    dim = len(rows[0][0])
    w = [0.0] * dim
    ridge = 1e-2
    for _ in range(50):
        grad = [ridge * wi for wi in w]
        hess = [[ridge * (i == j) for j in range(dim)] for i in range(dim)]
        for x, y, c in rows:
            p = 1 / (1 + math.exp(-sum(wi * xi for wi, xi in zip(w, x, strict=True))))
            for i in range(dim):
                grad[i] += c * (p - y) * x[i]
                for j in range(dim):
                    hess[i][j] += c * p * (1 - p) * x[i] * x[j]
        step = _solve(hess, grad)
        w = [wi - si for wi, si in zip(w, step, strict=True)]
    names = ["CAL_BIAS", "CAL_BEST", "CAL_MARGIN", "CAL_UNEXPLAINED", "CAL_ANCHORED"]
    print("fitted: " + " ".join(f"{k}={v:.2f}" for k, v in zip(names, w, strict=False)))
    return tuple(w)


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination for the tiny 4x4 Newton system."""
    n = len(b)
    m = [[*row, b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(n):
            if r != col and m[col][col]:
                f = m[r][col] / m[col][col]
                m[r] = [x - f * y for x, y in zip(m[r], m[col], strict=True)]
    return [m[i][n] / m[i][i] if m[i][i] else 0.0 for i in range(n)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", dest="which", choices=sorted(SETS), default="dev")
    parser.add_argument(
        "--blind",
        action="store_true",
        help="real set: also measure the blind split (count each run in bench/README.md)",
    )
    parser.add_argument("--devset", type=Path, default=None, help="case file (overrides --set)")
    parser.add_argument("--faq-dir", type=Path, default=None)
    parser.add_argument(
        "--method", default="hybrid+fuzzy", choices=["bm25", "hybrid", "hybrid+fuzzy"]
    )
    parser.add_argument(
        "--lexical", action="store_true", help="lexical scorer only (no sentence embeddings)"
    )
    parser.add_argument(
        "--fit", action="store_true", help="fit the lexical confidence calibration (--lexical)"
    )
    parser.add_argument("--quiet", action="store_true", help="only print the JSON line")
    args = parser.parse_args(argv)
    embedder = None
    if not args.lexical:
        from bot.faq_embeddings import load_embedder

        embedder = load_embedder()
    index = FaqIndex(load_entries(args.faq_dir), method=args.method, embedder=embedder)
    cases = load_cases(args.devset or SETS[args.which])
    if not any(c.split for c in cases):
        outcomes = run(index, cases)
        if not args.quiet:
            print_misses(outcomes)
        if args.fit:
            fit_calibration(outcomes)
        print(json.dumps(metrics(outcomes)))
        return 0
    splits = SPLITS if args.blind else ("dev",)
    for split in splits:
        outcomes = run(index, [c for c in cases if c.split == split])
        if split == "dev":  # blind misses are never listed
            if not args.quiet:
                print_misses(outcomes)
            if args.fit:
                fit_calibration(outcomes)
        print(json.dumps({"split": split, **metrics(outcomes)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
