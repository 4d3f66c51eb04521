"""bench/calibrate.py's held-out trade-off: what one answer threshold gives at each bound."""

from __future__ import annotations

from bench.calibrate import Prob, operating_points


def test_the_trade_off_is_the_best_top1_under_each_out_of_scope_bound() -> None:
    """Four in-scope questions (three ranked right) and two out-of-scope ones: answering all
    gives top-1 0.75 with 3 of 6 wrong; above 0.5 one wrong and one out-of-scope answered;
    above 0.85 nothing wrong and every out-of-scope one caught."""
    probs = [
        Prob("A", 0.95, "A", True, 0.9),
        Prob("B", 0.9, "B", True, 0.8),
        Prob(None, 0.8, "C", False, 0.7),  # a confident out-of-scope question
        Prob("D", 0.6, "D", True, 0.6),
        Prob("E", 0.55, "F", True, 0.5),  # ranked wrong
        Prob(None, 0.2, "G", False, 0.3),
    ]
    bounded = dict(operating_points(probs, levels=(1.0, 0.5, 0.0), max_wrong=0.34))
    assert bounded == {1.0: 0.5, 0.5: 0.75, 0.0: 0.75}
    # with no wrong answer allowed only the first two may be answered
    assert dict(operating_points(probs, levels=(0.0,), max_wrong=0.0)) == {0.0: 0.5}


def test_a_tie_at_the_top_is_never_answered_whatever_the_threshold() -> None:
    probs = [Prob("A", 0.99, None, True, 0.9), Prob("B", 0.9, "B", True, 0.8)]
    assert dict(operating_points(probs, levels=(0.0,))) == {0.0: 0.5}
