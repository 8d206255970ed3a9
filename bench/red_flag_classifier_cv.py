"""Would a classifier over sentence embeddings help red-flag triage? (issue 14.5, point 5)

Measures, by k-fold cross-validation on the DEV split of tests/data/red_flag_eval.toml only,
a small classifier over sentence embeddings trained on labelled dev messages ("flag" vs
"none"), alone and combined with the phrase rules of ``bot.domain.triage``. Embedders
(``--embedder``):

* ``minilm`` (default): the FAQ's shipped all-MiniLM-L6-v2, int8 onnxruntime, loaded as the
  bot loads it (``bot.faq_embeddings.load_embedder``, through ``bot.model_cache``) and called
  with one text at a time, as the bot embeds a question (so no knowledge-base vectors are
  written to the cache); 384-d unit vectors, word order and negation seen by attention;
* ``wordllama``: what the first study used (wordllama 0.4 ``l2_supercat``, 256-d, a bag of
  words), no longer a project dependency: ``pip install 'wordllama>=0.4,<0.5'`` to run it
  (loaded as bench/faq_embedder_compare.py does, downloads disabled).

Every message's embedding time is measured (one call per text after a warm-up; wall clock
and this process's CPU time), so the cost of scoring each incoming message is known.

Decisions measured:

* rules alone (fixed: they are not refitted per fold, and were tuned on all of dev, so
  their dev figures are in-sample and flatter them);
* the classifier alone, at several probability thresholds;
* "rules OR classifier": a flag when the rules fire or the probability is at least t;
* "veto": a rule flag is dropped when the probability is below t and the flag is not an
  emergency sign (an emergency flag is never vetoed);
* "urgent net": a second classifier trained on "an urgent or emergency flag" (the labelled
  flag's level in bot/content/red_flags.toml) vs everything else, OR-ed with the rules, so
  the extra flags it raises are aimed at the signs where a miss costs most.

Every figure also gives the recall on urgent/emergency flags alone.

Classifiers: L2-regularised logistic regression (Newton's method, numpy; features are the
unit vectors) and k nearest neighbours by cosine. Folds are stratified and fixed by a
SHA-256 of each text, so every run gives the same figures.

``--time-split`` adds a fairer out-of-sample view, because the rules' dev figures are
in-sample: the rules as they were at a past commit (``--time-split-at``, default ``855e0b8``,
before the third dev pass; read with ``git archive`` into a temporary folder and run in a
subprocess) and a classifier trained on the dev messages that existed then are both measured
on the dev messages added since, which neither had seen. Only that commit's *dev* texts are
kept, and only to know which current dev messages are old.

Blind messages are never embedded, scored, listed or read: the cases are filtered to dev as
soon as they are loaded. The last line is one JSON object with every figure.

    python bench/red_flag_classifier_cv.py [--embedder minilm|wordllama] [--folds 10]
        [--time-split] [--time-split-at COMMIT]

Outcome (bench/README.md, "Red-flag triage: a classifier over sentence embeddings" and "the
same classifier study with MiniLM embeddings"): with wordllama nothing beats the rules; with
MiniLM, OR-ed with past rules on posts neither had seen, extra flags cost < 1 false alarm each
(an urgent net at p >= 0.7: +3 of 29 urgent flags, no false alarm), but every such variant
takes dev over its <= 2 % false-alarm target and the gains shrink against recent rules, so
nothing of it ships.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
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
from bot.domain.triage import RED_FLAGS_PATH, triage  # noqa: E402

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]
# A fold's fit-and-predict: (train mask, test mask) -> probabilities for the test rows.
Model = Callable[[Bools, Bools], Floats]
# Texts -> unit rows, one call per text.
Embed = Callable[[Sequence[str]], NDArray[np.float32]]

EMBEDDERS = ("minilm", "wordllama")
LR_LAMBDAS = (0.1, 1.0)
KNN_KS = (5, 9)
ALONE_AT = (0.5, 0.3, 0.2)
OR_AT = (0.9, 0.8, 0.7, 0.5)
VETO_BELOW = (0.01, 0.05, 0.1, 0.2)
URGENT_OR_AT = (0.7, 0.5, 0.3, 0.2)
URGENT_LEVELS = ("emergency", "urgent")
BEFORE_THIRD_PASS = "855e0b8"  # the rules and evaluation set before the third dev pass
# The commits that added real posts to the evaluation set since 855e0b8 (each touches only
# tests/data/red_flag_eval.toml; the rules were tuned on each batch's dev posts afterwards).
BATCHES = ("6c6e49d", "315ae1f", "e3f163d", "e8b611e", "b793b2b", "e79f563", "cb65bf0")


@dataclass(frozen=True)
class Data:
    texts: list[str]
    x: Floats  # unit embeddings, one row per message
    y: Bools  # labelled with a flag
    urgent: Bools  # labelled with an urgent or emergency flag
    real: Bools  # a real post (not "written:")
    rule: Bools  # the rules fire
    emergency: Bools  # the rules' top flag is an emergency sign
    cost: dict[str, float]  # embedding cost: load seconds, per-message wall/CPU milliseconds


def dev_cases(path: Path = EVALSET) -> list[Case]:
    return [c for c in load_cases(path) if c.split == "dev"]


def flag_levels(path: Path = RED_FLAGS_PATH) -> dict[str, str]:
    """Flag id -> level ("emergency", "urgent", "contact"), as bot/content/red_flags.toml says."""
    with path.open("rb") as fh:
        return {f["id"]: f["level"] for f in tomllib.load(fh)["flag"]}


# ------------------------------------------------------------------ embedders
def _minilm() -> Embed:
    """The bot's own loader (int8, per channel, disk cache); one text per call is the
    question path, which embeds every time and writes nothing to the cache."""
    from bot.faq_embeddings import load_embedder

    return load_embedder()


def _wordllama() -> Embed:
    """wordllama 0.4's default model from its wheel, downloads disabled (the first study's
    embedder; as bench/faq_embedder_compare.py loads it)."""
    try:
        import wordllama
        from wordllama import WordLlama
    except ImportError as exc:
        need = "pip install 'wordllama>=0.4,<0.5'"
        raise SystemExit(f"wordllama is not installed ({exc}): {need}") from exc
    folder = Path(wordllama.__file__).resolve().parent
    model = WordLlama.load(config="l2_supercat", dim=256, cache_dir=folder, disable_download=True)

    def run(texts: Sequence[str]) -> NDArray[np.float32]:
        return np.asarray(model.embed(list(texts), norm=True), dtype=np.float32)

    return run


def embed(texts: Sequence[str], embedder: str) -> tuple[Floats, dict[str, float]]:
    """Unit rows for ``texts``, one call per text (as a message arrives), and what it cost."""
    started = time.perf_counter()
    model = {"minilm": _minilm, "wordllama": _wordllama}[embedder]()
    load_s = time.perf_counter() - started
    model(["warm-up: my knee hurts after a run"])
    rows, wall, cpu = [], [], []
    for text in texts:
        w0, c0 = time.perf_counter(), time.process_time()
        rows.append(np.asarray(model([text])[0], dtype=np.float64))
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    ms_wall, ms_cpu = np.array(wall) * 1000, np.array(cpu) * 1000
    cost = {
        "load_s": round(load_s, 2),
        "wall_ms_p50": round(float(np.percentile(ms_wall, 50)), 2),
        "wall_ms_p99": round(float(np.percentile(ms_wall, 99)), 2),
        "wall_ms_max": round(float(ms_wall.max()), 2),
        "cpu_ms_p50": round(float(np.percentile(ms_cpu, 50)), 2),
        "cpu_ms_p99": round(float(np.percentile(ms_cpu, 99)), 2),
        "words_p50": float(np.percentile([len(t.split()) for t in texts], 50)),
        "words_p99": float(np.percentile([len(t.split()) for t in texts], 99)),
    }
    return np.stack(rows), cost


def load_data(cases: Sequence[Case], embedder: str = "minilm") -> Data:
    texts = [c.text for c in cases]
    levels = flag_levels()
    results = [triage(t) for t in texts]
    x, cost = embed(texts, embedder)
    return Data(
        texts=texts,
        x=x,
        y=np.array([c.flag != NONE for c in cases]),
        urgent=np.array([levels.get(c.flag) in URGENT_LEVELS for c in cases]),
        real=np.array([not c.source.startswith("written:") for c in cases]),
        rule=np.array([r.is_red_flag for r in results]),
        emergency=np.array([r.level == "emergency" for r in results]),
        cost=cost,
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


def figures(
    flagged: Bools, y: Bools, mask: Bools, urgent: Bools | None = None
) -> dict[str, float | int]:
    """Recall and false alarms on the rows of ``mask``; recall on ``urgent`` rows too."""
    urg = (urgent if urgent is not None else np.zeros_like(y)) & mask
    pos, neg = y & mask, ~y & mask
    return {
        "recall": round(float(flagged[pos].mean()), 4) if pos.any() else float("nan"),
        "caught": int((flagged & pos).sum()),
        "missed": int((~flagged & pos).sum()),
        "positives": int(pos.sum()),
        "urgent_recall": round(float(flagged[urg].mean()), 4) if urg.any() else float("nan"),
        "urgent_missed": int((~flagged & urg).sum()),
        "urgent_positives": int(urg.sum()),
        "false_alarm_rate": round(float(flagged[neg].mean()), 4) if neg.any() else float("nan"),
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


def urgent_designs(p: Floats, rule: Bools) -> dict[str, Bools]:
    """The urgent net: rules OR the urgent/emergency classifier's probability >= t."""
    return {f"rules OR urgent classifier >= {t}": rule | (p >= t) for t in URGENT_OR_AT}


def line(name: str, f: dict[str, float | int], base: dict[str, float | int] | None = None) -> str:
    """One design's figures; with ``base``, also what it adds over it (the rules)."""
    out = (
        f"  {name:44} recall {f['recall']:6.1%} ({f['missed']} of {f['positives']} missed)"
        f"  urgent {f['urgent_recall']:6.1%} ({f['urgent_missed']} of {f['urgent_positives']})"
        f"  false alarms {f['false_alarm_rate']:6.1%} ({f['false_alarms']} of {f['negatives']})"
    )
    if base is not None:
        flags = int(f["caught"]) - int(base["caught"])
        urgent = int(base["urgent_missed"]) - int(f["urgent_missed"])
        alarms = int(f["false_alarms"]) - int(base["false_alarms"])
        out += f"  [{flags:+d} flags, {urgent:+d} urgent, {alarms:+d} false alarms]"
    return out


def models(x: Floats, y: Bools) -> dict[str, Model]:
    out: dict[str, Model] = {}
    for lam in LR_LAMBDAS:
        out[f"logistic regression, lambda {lam}"] = logistic(x, y, lam)
    for k in KNN_KS:
        out[f"{k} nearest neighbours"] = nearest(x, y, k)
    return out


def _measure(
    data: Data,
    mask: Bools,
    rule: Bools,
    emergency: Bools,
    base: dict[str, float | int],
    predict: Callable[[Model, Bools], Floats],
) -> dict[str, object]:
    """Both classifiers' AUC and every design's figures on the rows of ``mask``."""
    report: dict[str, object] = {}
    for name, model in models(data.x, data.y).items():
        p = predict(model, data.y)
        entry: dict[str, object] = {
            "auc": auc(p, data.y, mask),
            "auc_real_posts": auc(p, data.y, mask & data.real),
            "auc_among_rule_flags": auc(p, data.y, mask & rule),
        }
        print(
            f"{name}: AUC {entry['auc']} (real posts {entry['auc_real_posts']},"
            f" among rule flags {entry['auc_among_rule_flags']})"
        )
        for design, flagged in designs(p, rule, emergency).items():
            entry[design] = f = figures(flagged, data.y, mask, data.urgent)
            print(line(design, f, base))
        report[name] = entry
    for name, model in models(data.x, data.urgent).items():
        p = predict(model, data.urgent)
        entry = {
            "auc_urgent_vs_rest": auc(p, data.urgent, mask),
            "auc_urgent_vs_none": auc(p, data.urgent, mask & (data.urgent | ~data.y)),
        }
        print(
            f"urgent net, {name}: AUC urgent vs rest {entry['auc_urgent_vs_rest']}"
            f" (vs none {entry['auc_urgent_vs_none']})"
        )
        for design, flagged in urgent_designs(p, rule).items():
            entry[design] = f = figures(flagged, data.y, mask, data.urgent)
            print(line(design, f, base))
        report[f"urgent net, {name}"] = entry
    return report


def cv_report(data: Data, k: int) -> dict[str, object]:
    everything = np.ones(len(data.y), dtype=bool)
    rules = figures(data.rule, data.y, everything, data.urgent)
    report: dict[str, object] = {
        "rules": rules,
        "rules_real_posts": figures(data.rule, data.y, data.real, data.urgent),
    }
    flags, urgent, nones = int(data.y.sum()), int(data.urgent.sum()), int((~data.y).sum())
    print(f"dev, {k}-fold cross-validation ({flags} flags, {urgent} of them urgent, {nones} none)")
    print(line("rules alone (in-sample: tuned on dev)", rules))

    def predict(model: Model, label: Bools) -> Floats:
        # folds stratified on the label the model learns (the urgent net has fewer positives)
        return cross_validated(model, folds(data.texts, label, k))

    report.update(_measure(data, everything, data.rule, data.emergency, rules, predict))
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


def dev_texts_at(commit: str) -> set[str]:
    """The dev texts of the evaluation set at ``commit`` (its blind messages are dropped)."""
    shown = subprocess.run(
        ["git", "show", f"{commit}:tests/data/red_flag_eval.toml"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    return {m["text"] for m in tomllib.loads(shown.decode())["message"] if m.get("split") == "dev"}


def rules_at(commit: str, texts: Sequence[str]) -> tuple[set[str], Bools, Bools]:
    """The dev texts that existed at ``commit``, and that commit's rules' verdicts on ``texts``
    (which are dev texts only)."""
    old_texts = dev_texts_at(commit)
    if not texts:
        return old_texts, np.zeros(0, dtype=bool), np.zeros(0, dtype=bool)
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "archive", commit, "bot"], cwd=ROOT, check=True, capture_output=True
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


def time_split_report(data: Data, commit: str = BEFORE_THIRD_PASS) -> dict[str, object]:
    old_texts, rule, emergency = rules_at(commit, data.texts)
    seen = np.array([t in old_texts for t in data.texts])
    new = ~seen
    before = figures(rule, data.y, new, data.urgent)
    report: dict[str, object] = {"commit": commit, "trained_on": int(seen.sum())}
    report["rules_before"] = before
    print(
        f"time split at {commit}: trained on the {int(seen.sum())} dev messages of then,"
        f" measured on the {int(new.sum())} added since"
        f" ({int((data.y & new).sum())} flags, {int((data.urgent & new).sum())} urgent,"
        f" {int((~data.y & new).sum())} none)"
    )
    print(line(f"rules at {commit} (never saw them)", before))

    def predict(model: Model, label: Bools) -> Floats:
        p = np.zeros(len(data.y))
        p[new] = model(seen, new)
        return p

    report.update(_measure(data, new, rule, emergency, before, predict))
    return report


def rolling_report(data: Data, batches: Sequence[str] = BATCHES) -> dict[str, object]:
    """Every batch of real posts in turn: the rules just before that batch was added (so before
    any tuning on it) and a classifier trained on the dev messages that existed then, measured
    on that batch's dev posts; the batches' figures are summed."""
    rule = np.zeros(len(data.y), dtype=bool)
    emergency = np.zeros(len(data.y), dtype=bool)
    tested = np.zeros(len(data.y), dtype=bool)
    origins: list[tuple[Bools, Bools]] = []  # (trained on, measured on) per batch
    print("rolling: each batch measured with the rules and dev messages from just before it")
    for batch in batches:
        added = dev_texts_at(batch)
        seen_texts, _, _ = rules_at(f"{batch}~1", [])
        test = np.array([t in added and t not in seen_texts for t in data.texts])
        seen = np.array([t in seen_texts for t in data.texts])
        rows = np.flatnonzero(test)
        _, r, e = rules_at(f"{batch}~1", [data.texts[i] for i in rows])
        rule[rows], emergency[rows] = r, e
        tested |= test
        origins.append((seen, test))
        f = figures(rule, data.y, test, data.urgent)
        print(line(f"  batch {batch}: {int(seen.sum())} seen, {int(test.sum())} new", f))
    base = figures(rule, data.y, tested, data.urgent)
    report: dict[str, object] = {"batches": list(batches), "rules_before": base}
    print(
        f"rolling, all {len(batches)} batches: {int(tested.sum())} dev posts"
        f" ({int((data.y & tested).sum())} flags, {int((data.urgent & tested).sum())} urgent,"
        f" {int((~data.y & tested).sum())} none)"
    )
    print(line("rules before each batch (never saw it)", base))

    def predict(model: Model, label: Bools) -> Floats:
        p = np.zeros(len(data.y))
        for seen, test in origins:
            p[test] = model(seen, test)
        return p

    report.update(_measure(data, tested, rule, emergency, base, predict))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evalset", type=Path, default=EVALSET)
    parser.add_argument("--embedder", choices=EMBEDDERS, default="minilm")
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument(
        "--time-split",
        action="store_true",
        help="also train on dev as of --time-split-at, test on the dev messages added since",
    )
    parser.add_argument(
        "--time-split-at",
        default=BEFORE_THIRD_PASS,
        metavar="COMMIT",
        help=f"the past commit of the time split (default {BEFORE_THIRD_PASS})",
    )
    parser.add_argument(
        "--rolling",
        action="store_true",
        help="also measure each batch of real posts added since 855e0b8 with the rules and a"
        " classifier from just before it",
    )
    args = parser.parse_args(argv)
    data = load_data(dev_cases(args.evalset), args.embedder)
    c = data.cost
    print(
        f"{args.embedder}: loaded in {c['load_s']} s; per message wall p50 {c['wall_ms_p50']} ms,"
        f" p99 {c['wall_ms_p99']} ms, max {c['wall_ms_max']} ms; CPU p50 {c['cpu_ms_p50']} ms,"
        f" p99 {c['cpu_ms_p99']} ms (words p50 {c['words_p50']}, p99 {c['words_p99']})"
    )
    report: dict[str, object] = {"embedder": args.embedder, "cost": c}
    report["cv"] = cv_report(data, args.folds)
    if args.time_split:
        report["time_split"] = time_split_report(data, args.time_split_at)
    if args.rolling:
        report["rolling"] = rolling_report(data)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
