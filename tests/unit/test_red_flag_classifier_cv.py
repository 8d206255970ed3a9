"""The embedding-classifier study (bench/red_flag_classifier_cv.py): dev only, fixed folds,
a veto that never drops an emergency flag, and an urgent net that only adds flags."""

from __future__ import annotations

import numpy as np

from bench.red_flag_classifier_cv import (
    URGENT_LEVELS,
    designs,
    dev_cases,
    figures,
    fit_logistic,
    flag_levels,
    folds,
    line,
    urgent_designs,
)


def test_only_dev_messages_are_loaded() -> None:
    cases = dev_cases()
    assert cases
    assert {c.split for c in cases} == {"dev"}


def test_folds_are_stratified_and_fixed_by_the_text() -> None:
    texts = [f"message {i}" for i in range(40)]
    y = np.array([i % 4 == 0 for i in range(40)])
    fold = folds(texts, y, 5)
    assert (fold == folds(list(texts), y.copy(), 5)).all()
    for f in range(5):
        assert int((y & (fold == f)).sum()) == 2  # 10 flags over 5 folds
        assert int((~y & (fold == f)).sum()) == 6


def test_logistic_regression_separates_a_separable_toy_set() -> None:
    x = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    y = np.array([True, True, False, False])
    w = fit_logistic(x, y, 0.1)
    p = 1 / (1 + np.exp(-(x @ w[:-1] + w[-1])))
    assert (p[:2] > 0.5).all() and (p[2:] < 0.5).all()


def test_a_veto_never_drops_an_emergency_flag() -> None:
    p = np.array([0.0, 0.0, 0.95, 0.0])
    rule = np.array([True, True, False, False])
    emergency = np.array([True, False, False, False])
    out = designs(p, rule, emergency)
    for name, flagged in out.items():
        if name.startswith("rules, veto"):
            assert list(flagged) == [True, False, False, False], name
        if name.startswith("rules OR"):
            assert list(flagged) == [True, True, True, False], name


def test_figures_count_recall_and_false_alarms() -> None:
    flagged = np.array([True, False, True, False])
    y = np.array([True, True, False, False])
    f = figures(flagged, y, np.ones(4, dtype=bool))
    assert (f["recall"], f["missed"], f["false_alarm_rate"], f["false_alarms"]) == (0.5, 1, 0.5, 1)


def test_figures_count_recall_on_urgent_flags_too() -> None:
    flagged = np.array([True, False, True, False, False])
    y = np.array([True, True, True, False, False])
    urgent = np.array([True, True, False, False, False])
    f = figures(flagged, y, np.ones(5, dtype=bool), urgent)
    assert (f["urgent_recall"], f["urgent_missed"], f["urgent_positives"]) == (0.5, 1, 2)


def test_every_labelled_dev_flag_has_a_level() -> None:
    levels = flag_levels()
    labelled = {c.flag for c in dev_cases()} - {"none"}
    assert labelled <= set(levels)
    assert {levels[f] for f in labelled} & set(URGENT_LEVELS)


def test_the_urgent_net_only_adds_flags_to_the_rules() -> None:
    p = np.array([0.0, 0.9, 0.25, 0.0])
    rule = np.array([True, False, False, False])
    out = urgent_designs(p, rule)
    assert list(out["rules OR urgent classifier >= 0.7"]) == [True, True, False, False]
    assert list(out["rules OR urgent classifier >= 0.2"]) == [True, True, True, False]
    for flagged in out.values():
        assert (flagged | ~rule).all()


def test_a_line_says_what_a_design_adds_over_the_rules() -> None:
    y = np.array([True, True, False, False])
    urgent = np.array([True, False, False, False])
    everything = np.ones(4, dtype=bool)
    base = figures(np.array([False, True, False, False]), y, everything, urgent)
    f = figures(np.array([True, True, True, False]), y, everything, urgent)
    assert line("x", f, base).endswith("[+1 flags, +1 urgent, +1 false alarms]")
