"""Pure scoring functions: precision / recall / F1, span matching, value and actor agreement.

Conventions (the same everywhere):
- precision = true positives / predicted, recall = true positives / gold, F1 = their harmonic mean;
  a ratio with a zero denominator is 0.0 (no prediction has precision 0.0, not undefined), so an empty prediction
  scores 0.0 / 0.0 / 0.0 and never looks good;
- spans are (start, end) character offsets, end-exclusive; matching is always one-to-one;
- overlap matching pairs every predicted span with the gold span it overlaps most (greedy: largest overlap first,
  ties by position), each span used at most once.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Callable, Hashable, Iterable, Sequence

OVERALL = "overall"


def ratio(num: float, den: float) -> float:
    """num / den, and 0.0 when den is 0."""
    return num / den if den else 0.0


@dataclass(frozen=True)
class Score:
    tp: int
    predicted: int
    gold: int

    @property
    def precision(self) -> float:
        return ratio(self.tp, self.predicted)

    @property
    def recall(self) -> float:
        return ratio(self.tp, self.gold)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return ratio(2 * p * r, p + r)

    def as_dict(self) -> dict:
        return {**asdict(self), "precision": self.precision, "recall": self.recall, "f1": self.f1}


def prf(tp: int, predicted: int, gold: int) -> Score:
    if not 0 <= tp <= min(predicted, gold):
        raise ValueError(f"tp={tp} must lie in [0, min(predicted={predicted}, gold={gold})]")
    return Score(tp, predicted, gold)


# --- exact spans ---------------------------------------------------------------------------------------------------

LabelledSpan = tuple  # (doc_key, start, end, label): doc_key may itself be a tuple such as (doc_id, field)


def exact_scores(predicted: Iterable[LabelledSpan], gold: Iterable[LabelledSpan], labels: Sequence[str] | None = None) -> dict[str, Score]:
    """Exact-span, exact-label P/R/F1: overall and per label (multiset semantics: a duplicate prediction is a FP).

    With `labels`, spans with other labels are dropped on both sides first (e.g. PER/ORG/LOC only).
    """
    pred_c = Counter(tuple(p) for p in predicted if labels is None or p[-1] in labels)
    gold_c = Counter(tuple(g) for g in gold if labels is None or g[-1] in labels)
    tp_c = pred_c & gold_c
    out: dict[str, Score] = {OVERALL: prf(sum(tp_c.values()), sum(pred_c.values()), sum(gold_c.values()))}
    names = sorted({k[-1] for k in pred_c} | {k[-1] for k in gold_c} | set(labels or ()))
    for name in names:
        out[name] = prf(
            sum(n for k, n in tp_c.items() if k[-1] == name),
            sum(n for k, n in pred_c.items() if k[-1] == name),
            sum(n for k, n in gold_c.items() if k[-1] == name),
        )
    return out


# --- overlap matching ----------------------------------------------------------------------------------------------


def overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    """Characters shared by two [start, end) spans."""
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def any_overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return overlap(a, b) > 0


def half_shorter(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """The quotes rule: the spans share at least half of the shorter one's characters."""
    shorter = min(a[1] - a[0], b[1] - b[0])
    return shorter > 0 and 2 * overlap(a, b) >= shorter


def match_spans(
    predicted: Sequence[tuple[int, int] | None],
    gold: Sequence[tuple[int, int]],
    accept: Callable[[tuple[int, int], tuple[int, int]], bool] = any_overlap,
) -> list[tuple[int, int]]:
    """One-to-one (pred index, gold index) pairs, greedy by largest overlap; `accept` decides which pairs may match.

    A predicted span may be None (no position): it can match nothing.
    """
    candidates = []
    for i, p in enumerate(predicted):
        if p is None:
            continue
        for j, g in enumerate(gold):
            if accept(p, g):
                candidates.append((-overlap(p, g), i, j))
    candidates.sort()
    used_p: set[int] = set()
    used_g: set[int] = set()
    pairs = []
    for _, i, j in candidates:
        if i in used_p or j in used_g:
            continue
        used_p.add(i)
        used_g.add(j)
        pairs.append((i, j))
    return sorted(pairs)


def match_by_doc(
    predicted: dict[Hashable, Sequence[tuple[int, int] | None]],
    gold: dict[Hashable, Sequence[tuple[int, int]]],
    accept: Callable[[tuple[int, int], tuple[int, int]], bool] = any_overlap,
) -> tuple[Score, dict[Hashable, list[tuple[int, int]]]]:
    """`match_spans` per document key; the score counts every predicted and every gold span of every document."""
    pairs: dict[Hashable, list[tuple[int, int]]] = {}
    for key in set(predicted) | set(gold):
        pairs[key] = match_spans(predicted.get(key, ()), gold.get(key, ()), accept)
    n_pred = sum(len(v) for v in predicted.values())
    n_gold = sum(len(v) for v in gold.values())
    return prf(sum(len(v) for v in pairs.values()), n_pred, n_gold), pairs


@dataclass(frozen=True)
class ValueScore:
    """Value agreement over matched pairs: accuracy among the pairs, and F1 counting equal-value pairs as hits."""

    equal: int
    matched: int
    predicted: int
    gold: int

    @property
    def accuracy(self) -> float:
        return ratio(self.equal, self.matched)

    @property
    def score(self) -> Score:
        return prf(self.equal, self.predicted, self.gold)


def value_score(pairs: Iterable[tuple[str | None, str | None]], predicted: int, gold: int,
                same: Callable[[str | None, str | None], bool] | None = None) -> ValueScore:
    """`pairs` = (predicted value, gold value) of each matched pair; a None predicted value is never equal."""
    same = same or (lambda p, g: p is not None and g is not None and p == g)
    pairs = list(pairs)
    return ValueScore(sum(1 for p, g in pairs if same(p, g)), len(pairs), predicted, gold)


# --- actors and cues: token overlap --------------------------------------------------------------------------------

STOPWORDS = frozenset(
    "a an the of and or in on at to for by with from as its it his her their our your my this that these those "
    "is are was were be been mr mrs ms dr s 's".split()
)
_TOKEN = re.compile(r"\w+", re.UNICODE)


def content_tokens(text: str | None, stop: frozenset[str] = STOPWORDS) -> set[str]:
    """Lower-cased word tokens without stop words."""
    if not text:
        return set()
    return {t for t in (m.group(0).lower() for m in _TOKEN.finditer(text)) if t not in stop}


def tokens_agree(predicted: str | None, gold: Iterable[str], stop: frozenset[str] = STOPWORDS) -> bool:
    """True when the prediction shares at least one non-stop-word token with any of the gold texts.

    Cues ("is", "according to") are compared with `stop=frozenset()`: there every word counts.
    """
    mine = content_tokens(predicted, stop)
    return bool(mine) and any(mine & content_tokens(g, stop) for g in gold)


def accuracy(hits: int, total: int) -> float:
    return ratio(hits, total)


# --- dates ---------------------------------------------------------------------------------------------------------

_CAL = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:T.*)?")


def same_calendar_date(predicted: str | None, gold: str | None) -> bool | None:
    """Compare a predicted date (ISO) with a gold TIMEX3 value at the gold value's precision (year, month or day).

    None when the gold value is not a calendar date (e.g. `2008-W10`, `PRESENT_REF`): such pairs are not scored.
    """
    if not gold:
        return None
    g = _CAL.fullmatch(gold)
    if not g:
        return None
    if not predicted:
        return False
    parts = [x for x in g.groups() if x]
    want = "-".join(parts)
    return str(predicted)[: len(want)] == want
