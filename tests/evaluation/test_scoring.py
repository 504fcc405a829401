"""The eval scorer is honest: a perfect prediction scores 1.0, an empty one 0.0, and partial cases give known values.

Convention under test: a ratio with a zero denominator is 0.0 (no prediction => precision 0.0, not undefined).
"""

from __future__ import annotations

import pytest

from newsflow.evaluation import scoring as S

GOLD = [("d1", 0, 5, "PER"), ("d1", 10, 20, "ORG"), ("d2", 3, 8, "LOC")]


def test_perfect_prediction_scores_one():
    scores = S.exact_scores(list(GOLD), GOLD)
    overall = scores[S.OVERALL]
    assert (overall.precision, overall.recall, overall.f1) == (1.0, 1.0, 1.0)
    for label in ("PER", "ORG", "LOC"):
        assert scores[label].f1 == 1.0


def test_empty_prediction_scores_zero():
    overall = S.exact_scores([], GOLD)[S.OVERALL]
    assert (overall.precision, overall.recall, overall.f1) == (0.0, 0.0, 0.0)
    # 0/0 is defined as 0.0, never as 1.0 (nothing predicted, nothing gold: still no credit)
    nothing = S.exact_scores([], [])[S.OVERALL]
    assert (nothing.precision, nothing.recall, nothing.f1) == (0.0, 0.0, 0.0)
    score, _ = S.match_by_doc({}, {"d1": [(0, 5)]})
    assert (score.precision, score.recall, score.f1) == (0.0, 0.0, 0.0)


def test_partial_prediction_known_values():
    # 2 predictions, 1 right; 3 gold: P = 1/2, R = 1/3, F1 = 2PR/(P+R) = 0.4
    pred = [("d1", 0, 5, "PER"), ("d1", 10, 20, "PER")]
    overall = S.exact_scores(pred, GOLD)[S.OVERALL]
    assert overall.precision == pytest.approx(0.5)
    assert overall.recall == pytest.approx(1 / 3)
    assert overall.f1 == pytest.approx(0.4)


def test_exact_scores_per_label_and_label_filter():
    pred = [("d1", 0, 5, "PER"), ("d2", 3, 8, "LOC"), ("d2", 9, 12, "MISC")]
    gold = GOLD + [("d2", 20, 25, "MISC")]
    scores = S.exact_scores(pred, gold)
    assert scores["PER"].f1 == 1.0 and scores["ORG"].recall == 0.0 and scores["MISC"].tp == 0
    core = S.exact_scores(pred, gold, ("PER", "ORG", "LOC"))[S.OVERALL]
    assert (core.tp, core.predicted, core.gold) == (2, 2, 3)


def test_duplicate_prediction_is_a_false_positive():
    overall = S.exact_scores([("d1", 0, 5, "PER")] * 2, [("d1", 0, 5, "PER")])[S.OVERALL]
    assert (overall.tp, overall.predicted, overall.precision) == (1, 2, 0.5)


def test_overlap_matching_is_one_to_one_and_greedy_by_largest_overlap():
    gold = [(0, 10), (12, 20)]
    # prediction 0 overlaps gold 0 by 2, prediction 1 overlaps gold 0 by 8: the larger overlap wins gold 0
    pred = [(8, 11), (2, 10)]
    assert S.match_spans(pred, gold) == [(1, 0)]
    # one wide prediction covering two gold spans matches only one of them
    assert len(S.match_spans([(0, 20)], gold)) == 1
    # touching spans (end == start) do not overlap
    assert S.match_spans([(10, 12)], gold) == []
    # a prediction without a position matches nothing but still counts as predicted
    score, _ = S.match_by_doc({"d": [None, (0, 10)]}, {"d": gold})
    assert (score.tp, score.predicted, score.gold) == (1, 2, 2)


def test_half_shorter_rule():
    assert S.half_shorter((0, 10), (5, 30))  # shares 5 of the shorter's 10
    assert not S.half_shorter((0, 10), (6, 30))  # 4 of 10
    assert S.half_shorter((10, 12), (0, 100))  # the short span lies inside the long one
    assert not S.half_shorter((0, 0), (0, 10))
    pairs = S.match_spans([(0, 10), (40, 50)], [(6, 30), (45, 60)], S.half_shorter)
    assert pairs == [(1, 1)]


def test_value_score():
    # 3 matched pairs, 2 with equal values; 4 predicted, 5 gold
    vs = S.value_score([("2021-12-30", "2021-12-30"), ("2022", "2022"), (None, "P1D")], predicted=4, gold=5)
    assert vs.accuracy == pytest.approx(2 / 3)
    assert vs.score.precision == pytest.approx(0.5) and vs.score.recall == pytest.approx(0.4)
    assert S.value_score([], 0, 3).accuracy == 0.0


def test_tokens_agree_and_dates():
    assert S.tokens_agree("the Hungarian government", ["Hungarian"])
    assert not S.tokens_agree("the government", ["the officials"])  # only stop words shared
    assert not S.tokens_agree(None, ["Hungarian"])
    assert S.same_calendar_date("2008-03-06", "2008-03") is True
    assert S.same_calendar_date("2008-04-01", "2008-03") is False
    assert S.same_calendar_date(None, "2008") is False
    assert S.same_calendar_date("2008-03-06", "2008-W10") is None  # not a calendar date: not scored


def test_prf_rejects_impossible_counts():
    with pytest.raises(ValueError):
        S.prf(3, 2, 5)
