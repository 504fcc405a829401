"""Temporal expressions: detect DATE/TIME mentions and normalise them to TIMEX3 values against an anchor date.

Pure functions: no file I/O and no model loading here; the caller passes a parsed spaCy Doc.

- ``normalize_expression(text, anchor, tense)`` turns one expression ("Thursday Dec. 30", "last year",
  "the past three years", "now") into a TIMEX3 ``(value, type)`` pair; it works without spaCy.
- ``date_mentions(doc, anchor)`` merges spaCy's DATE/TIME entities with rule-based detection, fixes their
  boundaries to TimeBank conventions, infers the tense of each mention's sentence, and normalises them.

Conventions follow TimeBank/TempEval-3 (TBAQ): "today" is the anchor date, "now"/"currently" are PRESENT_REF,
"recently"/"the past" PAST_REF, "the future" FUTURE_REF; "the past three years" is a duration (P3Y) while
"the past year" is the previous calendar year; "two years ago" is a year; weeks are ISO weeks (2022-W02);
decades are 199 (TimeML: the 1990s); the financial "quarter"/"period"/"a year earlier" refer to the last reported quarter;
"the year ended March 31" is a duration (P1Y); "daily" is a SET even before a noun ("a daily rally") but not in
"average daily volume"; "for years"/"within weeks" are vague durations (PXY, PXW); generic "today's world" is no date.
Without an anchor, relative expressions get unresolved forms (XXXX-12-07, XXXX-WXX-4, PAST_REF) and no year
is ever taken from the clock.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Iterable

from transforms.memo import memo

if TYPE_CHECKING:  # pragma: no cover
    from spacy.tokens import Doc

__all__ = ["DateMention", "date_mentions", "normalize_expression"]


@dataclass(frozen=True)
class DateMention:
    start: int  # char offset into doc.text
    end: int  # exclusive; doc.text[start:end] is the mention text
    label: str  # "DATE" or "TIME"
    value: str | None  # TIMEX3 value, None only when not normalisable
    timex_type: str  # DATE, TIME, DURATION or SET


# --------------------------------------------------------------------------------------------------------------
# Lexicon
# --------------------------------------------------------------------------------------------------------------

_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}
_WEEKDAYS = {
    "monday": 1, "mon": 1, "tuesday": 2, "tue": 2, "tues": 2, "wednesday": 3, "wed": 3, "thursday": 4, "thu": 4,
    "thur": 4, "thurs": 4, "friday": 5, "fri": 5, "saturday": 6, "sat": 6, "sunday": 7, "sun": 7,
}
_SEASONS = {"spring": "SP", "summer": "SU", "fall": "FA", "autumn": "FA", "winter": "WI"}
_SEASON_MONTH = {"SP": 4, "SU": 7, "FA": 10, "WI": 1}  # a representative month of each season
_DAYPARTS = {"morning": "MO", "afternoon": "AF", "evening": "EV", "night": "NI", "tonight": "NI", "overnight": "NI"}
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
    "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20,
    "twenty-first": 21, "twenty-second": 22, "twenty-third": 23, "twenty-fourth": 24, "twenty-fifth": 25,
    "twenty-sixth": 26, "twenty-seventh": 27, "twenty-eighth": 28, "twenty-ninth": 29, "thirtieth": 30,
    "thirty-first": 31, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4,
}
_SMALL = {
    "zero": 0, "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "couple": 2, "a couple": 2,
    "a couple of": 2, "couple of": 2, "dozen": 12, "a dozen": 12, "half a dozen": 6,
}
_VAGUE = {"few", "a few", "several", "some", "many", "a number of", "numerous", "multiple", "the", "recent",
          "coming", "next few", "past few", "those", "these"}
# unit -> (TIMEX3 letter, is time-of-day unit)
_UNITS = {
    "second": ("S", True), "minute": ("M", True), "hour": ("H", True), "day": ("D", False), "night": ("D", False),
    "week": ("W", False), "weekend": ("WE", False), "fortnight": ("W2", False), "month": ("M", False),
    "quarter": ("Q", False), "year": ("Y", False), "decade": ("DE", False), "century": ("CE", False),
    "millennium": ("ML", False),
}

_MONTH_RE = (r"(?:jan(?:uary|\.)?|feb(?:ruary|\.)?|mar(?:ch|\.)?|apr(?:il|\.)?|may|june?\.?|july?\.?|"
             r"aug(?:ust|\.)?|sep(?:t(?:ember|\.)?|\.)?|oct(?:ober|\.)?|nov(?:ember|\.)?|dec(?:ember|\.)?)")
_WEEKDAY_RE = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|satur|sun)(?:day)?"
_UNIT_RE = r"(?:second|minute|hour|day|night|week|weekend|fortnight|month|quarter|year|decade|centur(?:y|ie)|millenni(?:um|a))s?"
_NUMWORD_RE = (r"(?:\d+(?:\.\d+)?(?:\s+\d/\d)?|\d+/\d|a\s+couple\s+of|couple\s+of|a\s+few|a\s+dozen|half\s+a\s+dozen|few|several|"
               r"some|many|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
               r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
               r"hundred|thousand|dozen)(?:[\s-]+(?:one|two|three|four|five|six|seven|eight|nine|hundred|thousand|"
               r"and\s+a\s+half|and\s+one-half|\d/\d))*")


def _num(text: str) -> float | None:
    """'three' -> 3, '2 1/2' -> 2.5, 'twenty four' -> 24, 'a' -> 1, 'few' -> None (vague)."""
    t = text.strip().lower().replace("-", " ")
    t = re.sub(r"\s+", " ", t)
    t = re.sub(r"^(?:a|an|the) (?=\d|one\b|two|three|four|five|six|seven|eight|nine|ten\b|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|ninety)", "", t)
    if not t:
        return None
    if t in _VAGUE or t.endswith(" few") or t in ("few", "several", "some", "many"):
        return None
    if t in _SMALL:
        return float(_SMALL[t])
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(?:\s+(\d)/(\d))?", t)
    if m:
        v = float(m.group(1))
        if m.group(2):
            v += int(m.group(2)) / int(m.group(3))
        return v
    m = re.fullmatch(r"(\d)/(\d)", t)
    if m:
        return int(m.group(1)) / int(m.group(2))
    half = 0.0
    if t.endswith(" and a half") or t.endswith(" and one half"):
        half = 0.5
        t = re.sub(r" and (a|one) half$", "", t)
    total, cur = 0.0, 0.0
    for w in t.split():
        if w in ("and",):
            continue
        if w == "hundred":
            cur = (cur or 1) * 100
        elif w == "thousand":
            total += (cur or 1) * 1000
            cur = 0
        elif w in _SMALL:
            cur += _SMALL[w]
        elif w.isdigit():
            cur += int(w)
        else:
            return None
    v = total + cur + half
    return v if v else None


# --------------------------------------------------------------------------------------------------------------
# Calendar helpers
# --------------------------------------------------------------------------------------------------------------

def _as_date(anchor: datetime | date | None) -> date | None:
    if anchor is None:
        return None
    if isinstance(anchor, datetime):
        return anchor.date()
    return anchor


def _add_months(y: int, m: int, n: int) -> tuple[int, int]:
    k = y * 12 + (m - 1) + n
    return k // 12, k % 12 + 1


def _iso_week(d: date) -> str:
    y, w, _ = d.isocalendar()
    return f"{y:04d}-W{w:02d}"


def _fmt_date(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


def _quarter(d: date) -> int:
    return (d.month - 1) // 3 + 1


def _reported_quarter(a: date) -> str:
    """The last completed quarter before the anchor: what 'the quarter' means in earnings news."""
    y, q = a.year, _quarter(a) - 1
    if q == 0:
        y, q = y - 1, 4
    return f"{y:04d}-Q{q}"


def _shift_value(value: str, years: int) -> str | None:
    m = re.fullmatch(r"(\d{4})(.*)", value)
    if not m:
        return None
    return f"{int(m.group(1)) + years:04d}{m.group(2)}"


_TENSE_PENALTY_MONTHS = 6
_TENSE_PENALTY_DAYS = 120


def _month_year(month: int, a: date, tense: str | None) -> int:
    """Year for a month mentioned without one: the closest occurrence to the anchor, where an occurrence on the
    wrong side for the tense (future in a past-tense clause, past in a future one) counts as 3 months further."""
    def cost(y: int) -> int:
        d = (y * 12 + month) - (a.year * 12 + a.month)
        pen = _TENSE_PENALTY_MONTHS if (tense == "past" and d > 0) or (tense == "future" and d < 0) else 0
        return abs(d) + pen
    return min((a.year, a.year - 1, a.year + 1), key=cost)


def _month_day_year(month: int, day: int, a: date, tense: str | None) -> int:
    cands = []
    for y in (a.year - 1, a.year, a.year + 1):
        try:
            cands.append(date(y, month, day))
        except ValueError:
            continue
    if not cands:
        return a.year

    def cost(c: date) -> int:
        d = (c - a).days
        pen = _TENSE_PENALTY_DAYS if (tense == "past" and d > 0) or (tense == "future" and d < 0) else 0
        return abs(d) + pen
    return min(cands, key=cost).year


def _weekday_date(wd: int, a: date, tense: str | None, rel: str | None = None) -> date:
    """wd is ISO (1=Monday). rel: 'last'/'next'/'this' modifiers; tense: past/present/future."""
    delta = wd - a.isoweekday()
    if rel == "last":
        back = (a.isoweekday() - wd) % 7 or 7
        return a - timedelta(days=back)
    if rel == "next":
        fwd = (wd - a.isoweekday()) % 7 or 7
        return a + timedelta(days=fwd)
    if rel == "this":
        return a + timedelta(days=delta)  # the one in the anchor's week
    if tense == "future":
        return a + timedelta(days=(wd - a.isoweekday()) % 7)
    if tense == "past":
        return a - timedelta(days=(a.isoweekday() - wd) % 7)
    # present: the nearest one (ties go to the past, as in news reporting)
    back = (a.isoweekday() - wd) % 7
    fwd = (wd - a.isoweekday()) % 7
    return a + timedelta(days=fwd) if fwd < back else a - timedelta(days=back)


def _season_year(season: str, a: date, rel: str | None, tense: str | None) -> int:
    m = _SEASON_MONTH[season]
    if rel == "last":
        # the most recent season of that name that is over (or under way for winter)
        y = a.year if m < a.month - 1 else a.year - 1
        return y
    if rel == "next":
        return a.year if m > a.month + 1 else a.year + 1
    if rel == "this":
        return a.year
    return _month_year(m, a, tense)


# --------------------------------------------------------------------------------------------------------------
# normalize_expression
# --------------------------------------------------------------------------------------------------------------

_PRESENT = {
    "now", "right now", "currently", "current", "these days", "nowadays", "at present", "presently", "the present",
    "today's", "present", "at the moment", "this time", "this moment", "this crucial moment", "the moment",
    "just now", "by now", "until now", "so far", "to date", "already", "the current", "right now",
}
_PAST = {
    "recently", "recent", "the past", "previously", "formerly", "earlier", "lately", "in the past", "once",
    "more recently", "most recently", "then current", "the time", "the old days", "the recent past", "past",
    "long ago", "years ago", "some time ago", "a while ago", "not long ago", "not that long ago", "ago",
}
_FUTURE = {
    "the future", "future", "the near future", "soon", "the near term", "the short term", "the long term",
    "the long run", "the coming", "a later date", "later", "the foreseeable future", "eventually",
    "as soon as possible", "the days ahead", "the months ahead", "the years ahead", "near term", "short term",
    "long term", "the medium term", "the near-term",
}

_LEAD_MODS = re.compile(
    r"^(?:(?:about|around|roughly|approximately|nearly|almost|some|only|just|over|under|more\s+than|less\s+than|"
    r"fewer\s+than|at\s+least|at\s+most|up\s+to|as\s+long\s+as|as\s+many\s+as|as\s+much\s+as|as\s+early\s+as|"
    r"as\s+late\s+as|no\s+more\s+than|no\s+later\s+than|within|since|until|till|by|through|throughout|"
    r"during|in|on|at|for|of|from|after|before|the\s+end\s+of|the\s+beginning\s+of|the\s+start\s+of|"
    r"the\s+middle\s+of|the\s+rest\s+of|the\s+remainder\s+of|the\s+course\s+of|much\s+of|all\s+of|most\s+of|"
    r"part\s+of|a\s+good\s+part\s+of|sometime|some\s+time|each\s+of|another|an\s+additional|additional|a\s+further|further|"
    r"another\s+)\s+)+"
)
_EDGE_MODS = re.compile(r"^(?:early|earlier|mid|middle|late|later|the\s+early|the\s+late|the\s+mid)[\s-]+")
_TRAIL = re.compile(r"(?:'s|’s|s'|[\s,.;:!?)\"'’]+)$")


def _clean(text: str) -> str:
    t = text.strip().lower().replace("’", "'").replace("–", "-").replace("—", "-")
    t = re.sub(r"\s+", " ", t)
    prev = None
    while prev != t:
        prev = t
        t = _TRAIL.sub("", t).strip()
        t = re.sub(r"^[\s,.;:(\"']+", "", t)
    return t


@dataclass
class _Ctx:  # `_normalize` remembers its results by all of these fields: a new one joins its key
    a: date | None
    tense: str | None
    last_quarter: str | None = None  # the last explicit quarter mentioned earlier in the document
    quarter_talk: bool = False  # the sentence (or the one before) speaks of quarters: earnings-report context
    last_date: str | None = None  # the last full calendar date mentioned (for bare clock times)


def normalize_expression(text: str, anchor: date | datetime | None, tense: str | None = None) -> tuple[str | None, str]:
    """Normalise one temporal expression to a TIMEX3 (value, type); tense is 'past', 'present', 'future' or None."""
    return _normalize(text, _Ctx(_as_date(anchor), tense))


def _normalize(text: str, ctx: _Ctx) -> tuple[str | None, str]:
    """(value, type) of an expression in its context. A pure function of the text and the context's fields, so
    remembered: the same expressions come back within an article and across the articles of a day."""
    return _normalized(text, ctx.a, ctx.tense, ctx.last_quarter, ctx.quarter_talk, ctx.last_date)


@memo
def _normalized(text: str, a: date | None, tense: str | None, last_quarter: str | None, quarter_talk: bool,
                last_date: str | None) -> tuple[str | None, str]:
    ctx = _Ctx(a, tense, last_quarter, quarter_talk, last_date)
    t = _clean(text)
    if not t:
        return None, "DATE"
    for fn in (_norm_ref, _norm_set, _norm_absolute, _norm_time, _norm_ago, _norm_relative, _norm_duration):
        r = fn(t, ctx)
        if r is not None:
            return r
    # retry without leading prepositions / hedges / edge modifiers
    t2 = _LEAD_MODS.sub("", t)
    t2 = re.sub(r"\s+(?:or\s+so|or\s+more|or\s+later|or\s+earlier|and\s+beyond|or\s+longer|to\s+date)$", "", t2)
    if t2 != t and t2:
        return _normalize(t2, ctx)
    t3 = _EDGE_MODS.sub("", t)
    if t3 != t and t3:
        return _normalize(t3, ctx)
    return None, _guess_type(t)


def _guess_type(t: str) -> str:
    if re.search(r"\b(a\.m|p\.m|noon|midnight|o'clock|morning|evening|night|afternoon)\b", t):
        return "TIME"
    if re.search(_UNIT_RE, t) and not re.search(r"\b(this|last|next|ago|earlier)\b", t):
        return "DURATION"
    return "DATE"


# ---- references ------------------------------------------------------------------------------------------

def _norm_ref(t: str, ctx: _Ctx):
    if t in _PRESENT:
        return "PRESENT_REF", "DATE"
    if t in _PAST:
        return "PAST_REF", "DATE"
    if t in _FUTURE:
        return "FUTURE_REF", "DATE"
    m = re.fullmatch(r"(?:in |during |over )?(?:the )?(?:more |most )?(?:recent|past|last|coming|upcoming|next|following) (?:few |several |many |couple of )?(years|months|weeks|decades|days|quarters|hours|minutes)", t) \
        or re.fullmatch(r"(?:the )?(years|months|weeks|days|decades|quarters) (?:ahead|to come|since|past)", t)
    if m:
        unit = m.group(1)
        if unit == "quarters" and "past" in t or unit == "times":
            return "PAST_REF", "DATE"
        return _dur(None, unit), "DURATION"
    if re.fullmatch(r"(?:in )?(?:the )?(?:coming|upcoming|future) ?(?:years|months|weeks|days|quarters|decades)?", t):
        return "FUTURE_REF", "DATE"
    return None


# ---- sets --------------------------------------------------------------------------------------------------

_SET_WORDS = {
    "daily": "P1D", "every day": "P1D", "each day": "P1D", "a day": "P1D", "per day": "P1D", "nightly": "P1D",
    "weekly": "P1W", "every week": "P1W", "each week": "P1W", "a week": "P1W", "per week": "P1W",
    "monthly": "P1M", "every month": "P1M", "each month": "P1M", "a month": "P1M", "per month": "P1M",
    "annually": "P1Y", "yearly": "P1Y", "every year": "P1Y", "each year": "P1Y", "a year": "P1Y", "per year": "P1Y",
    "per annum": "P1Y", "hourly": "PT1H", "every hour": "PT1H", "an hour": "PT1H", "per hour": "PT1H",
    "quarterly": "P3M", "every quarter": "P3M", "each quarter": "P3M", "biweekly": "P2W", "semiannually": "P6M",
}


def _norm_set(t: str, ctx: _Ctx):
    if t in ("daily", "weekly", "monthly", "annually", "yearly", "hourly", "every day", "each day", "every week",
             "each week", "every month", "each month", "every year", "each year", "every hour", "each quarter",
             "every quarter", "nightly", "per annum", "biweekly", "semiannually"):
        return _SET_WORDS[t], "SET"
    m = re.fullmatch(r"(?:every|each) (\w+?)(s)?", t)
    if m:
        w = m.group(1)
        if w in _WEEKDAYS:
            return f"XXXX-WXX-{_WEEKDAYS[w]}", "SET"
        if w in _MONTHS and len(w) > 3:
            return f"XXXX-{_MONTHS[w]:02d}", "SET"
        if w in _SEASONS:
            return f"XXXX-{_SEASONS[w]}", "SET"
    m = re.fullmatch(r"(?:every|each) (\w+) (second|minute|hour|day|week|month|year)s", t)
    if m and _num(m.group(1)):
        return _dur(_num(m.group(1)), m.group(2)), "SET"
    m = re.fullmatch(r"(" + _WEEKDAY_RE + r")s(?: (morning|afternoon|evening|night)s?)?", t)
    if m and _wd(m.group(1)):
        v = f"XXXX-WXX-{_wd(m.group(1))}"
        if m.group(2):
            v += "T" + _DAYPARTS[m.group(2)]
        return v, "SET"
    m = re.fullmatch(r"(morning|afternoon|evening|night)s", t)
    if m:
        return f"XXXX-XX-XXT{_DAYPARTS[m.group(1)]}", "SET"
    return None


def _wd(w: str) -> int | None:
    w = w.lower().rstrip(".")
    if w in _WEEKDAYS:
        return _WEEKDAYS[w]
    for k, v in _WEEKDAYS.items():
        if len(k) > 4 and w.startswith(k[:3]) and w.endswith("day"):
            return v
    return None


def _mon(w: str) -> int | None:
    return _MONTHS.get(w.lower().rstrip("."))


# ---- absolute / calendar dates ---------------------------------------------------------------------------

_YEAR_RE = r"(?:1[0-9]{3}|20[0-9]{2})"
def _spelled_year(t: str) -> int | None:
    t = re.sub(r"^(?:the )?year ", "", t)
    m = re.fullmatch(r"(nineteen|eighteen|seventeen) (?:hundred(?: and)? )?([a-z]+(?:[ -][a-z]+)?)", t)
    if m:
        cent = _SMALL[m.group(1)]
        rest = _num(m.group(2))
        if rest is not None and 0 < rest < 100:
            return cent * 100 + int(rest)
    m = re.fullmatch(r"two thousand(?: and)?(?: ([a-z]+(?:[ -][a-z]+)?))?", t)
    if m:
        rest = _num(m.group(1)) if m.group(1) else 0
        if rest is not None and rest < 100:
            return 2000 + int(rest)
    return None


def _year_token(t: str) -> int | None:
    t = t.strip()
    if re.fullmatch(_YEAR_RE, t):
        return int(t)
    m = re.fullmatch(r"'(\d\d)", t)
    if m:
        return 1900 + int(m.group(1)) if int(m.group(1)) > 30 else 2000 + int(m.group(1))
    return _spelled_year(t)


def _day_num(t: str) -> int | None:
    t = t.strip().rstrip(".")
    m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?", t)
    if m and 1 <= int(m.group(1)) <= 31:
        return int(m.group(1))
    if t in _ORDINALS:
        return _ORDINALS[t]
    t2 = t.replace(" ", "-")
    return _ORDINALS.get(t2)


def _norm_absolute(t: str, ctx: _Ctx):
    a = ctx.a
    t = re.sub(r"^(?:the|on|in|of|by|since|until|before|after)\s+", "", t)
    # ISO / numeric dates
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", t)
    if m:
        return f"{m.group(1)}-{m.group(2)}-{m.group(3)}", "DATE"
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})", t)
    if m:
        y = int(m.group(3))
        y = y + (1900 if y > 30 else 2000) if y < 100 else y
        mo, d = int(m.group(1)), int(m.group(2))
        if 1 <= mo <= 12 and 1 <= d <= 31:
            return f"{y:04d}-{mo:02d}-{d:02d}", "DATE"
    # [weekday,] month day[,] [year]  /  [weekday,] day month [year]
    m = re.fullmatch(r"(?:(" + _WEEKDAY_RE + r")\.?,? )?(?:the )?(" + _MONTH_RE + r") (\d{1,2}(?:st|nd|rd|th)?|[a-z]+(?:[ -][a-z]+)?)(?:,? (" + _YEAR_RE + r"|'\d\d|[a-z]+ [a-z]+(?:[ -][a-z]+)?))?", t)
    if not m:
        m2 = re.fullmatch(r"(?:(" + _WEEKDAY_RE + r")\.?,? )?(?:the )?(\d{1,2}(?:st|nd|rd|th)?|[a-z]+(?:-[a-z]+)?) (?:of )?(" + _MONTH_RE + r")(?:,? (" + _YEAR_RE + r"))?", t)
        if m2 and _mon(m2.group(3)) and _day_num(m2.group(2)):
            m = None
            groups = (m2.group(1), m2.group(3), m2.group(2), m2.group(4))
        else:
            groups = None
    else:
        groups = m.groups()
    if groups:
        wd, mon_s, day_s, year_s = groups
        mon, day = _mon(mon_s), _day_num(day_s)
        year = _year_token(year_s) if year_s else None
        if mon and day and (year_s is None or year):
            if year is None:
                if a is None:
                    return f"XXXX-{mon:02d}-{day:02d}", "DATE"
                year = _month_day_year(mon, day, a, ctx.tense)
            try:
                date(year, mon, day)
            except ValueError:
                return None
            return f"{year:04d}-{mon:02d}-{day:02d}", "DATE"
    # month [of] year ; month alone
    m = re.fullmatch(r"(" + _MONTH_RE + r"),?(?: of)? (" + _YEAR_RE + r"|'\d\d|[a-z]+ [a-z]+(?:[ -][a-z]+)?)", t)
    if m and _mon(m.group(1)) and _year_token(m.group(2)):
        return f"{_year_token(m.group(2)):04d}-{_mon(m.group(1)):02d}", "DATE"
    m = re.fullmatch(r"(" + _MONTH_RE + r")", t)
    if m and _mon(t):
        mon = _mon(t)
        if a is None:
            return f"XXXX-{mon:02d}", "DATE"
        return f"{_month_year(mon, a, ctx.tense):04d}-{mon:02d}", "DATE"
    # month this/last/next year
    m = re.fullmatch(r"(" + _MONTH_RE + r") (this|last|next) year", t)
    if m and _mon(m.group(1)):
        if a is None:
            return f"XXXX-{_mon(m.group(1)):02d}", "DATE"
        y = a.year + {"this": 0, "last": -1, "next": 1}[m.group(2)]
        return f"{y:04d}-{_mon(m.group(1)):02d}", "DATE"
    # years
    m = re.fullmatch(r"(?:(?:fiscal|calendar|model|the year|year|fy|the fiscal year|fiscal year|the calendar year|mid|early|late)[\s-]+)?(" + _YEAR_RE + r"|'\d\d)", t)
    if m:
        return f"{_year_token(m.group(1)):04d}", "DATE"
    y = _spelled_year(t)
    if y:
        return f"{y:04d}", "DATE"
    # decades
    m = re.fullmatch(r"(?:(?:early|mid|late)[\s-]+)?(1[0-9]|20)(\d)0'?s", t)
    if m:
        return f"{m.group(1)}{m.group(2)}", "DATE"
    m = re.fullmatch(r"(?:(?:early|mid|late)[\s-]+)?'(\d)0s", t)
    if m:
        return f"19{m.group(1)}", "DATE"
    m = re.fullmatch(r"(?:(?:early|mid|late)[\s-]+)?(twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties)", t)
    if m:
        d = {"twenties": 2, "thirties": 3, "forties": 4, "fifties": 5, "sixties": 6, "seventies": 7, "eighties": 8,
             "nineties": 9}[m.group(1)]
        return f"19{d}", "DATE"
    # centuries
    m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th) century", t) or re.fullmatch(r"([a-z]+(?:-[a-z]+)?) century", t)
    if m:
        n = int(m.group(1)) if m.group(1).isdigit() else _ORDINALS.get(m.group(1))
        if n:
            return f"{n - 1:02d}", "DATE"
    # seasons with a year
    m = re.fullmatch(r"(spring|summer|fall|autumn|winter),?(?: of)? (" + _YEAR_RE + r"|[a-z]+ [a-z]+(?:[ -][a-z]+)?)", t)
    if m and _year_token(m.group(2)):
        return f"{_year_token(m.group(2)):04d}-{_SEASONS[m.group(1)]}", "DATE"
    # quarters / halves of a given year
    m = re.fullmatch(r"(?:the )?(" + _YEAR_RE + r")(?: fiscal| calendar)? (quarter|period|first half|second half|half)", t)
    if m:
        if m.group(2) in ("quarter", "period"):
            q = (ctx.last_quarter or (_reported_quarter(a) if a else "XXXX-Q3"))[-1]
            return f"{m.group(1)}-Q{q}", "DATE"
        return f"{m.group(1)}-H{2 if 'second' in m.group(2) else 1}", "DATE"
    m = re.fullmatch(r"(?:the )?(?:first|latest|last) (" + _NUMWORD_RE + r") (months|quarters|weeks|years)(?: (?:of|in) .+)?", t)
    if m and _num(m.group(1)):
        return _dur(_num(m.group(1)), m.group(2)), "DURATION"
    m = re.fullmatch(r"(?:(?:its|fiscal|calendar|the fiscal|a)\s+)?(first|second|third|fourth|1st|2nd|3rd|4th|last)[\s-]+(?:fiscal[\s-]+)?(quarter|half|period)(?:,? (?:of )?(?:fiscal )?(" + _YEAR_RE + r"))?", t)
    if m and m.group(3):
        n = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "last": 4}[m.group(1)]
        if m.group(2) == "half":
            n = 2 if n > 1 else 1
            return f"{m.group(3)}-H{n}", "DATE"
        return f"{m.group(3)}-Q{n}", "DATE"
    m = re.fullmatch(r"(" + _YEAR_RE + r") (first|second|third|fourth)[\s-]+(quarter|half)", t)
    if m:
        n = _ORDINALS[m.group(2)]
        return (f"{m.group(1)}-Q{n}" if m.group(3) == "quarter" else f"{m.group(1)}-H{min(n, 2)}"), "DATE"
    # holidays
    hol = _holiday(t, ctx)
    if hol:
        return hol
    return None


def _nth_weekday(y: int, month: int, wd: int, n: int) -> date:
    d = date(y, month, 1)
    d += timedelta(days=(wd - d.isoweekday()) % 7)
    if n > 0:
        return d + timedelta(weeks=n - 1)
    last = date(y + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.isoweekday() - wd) % 7)


def _easter(y: int) -> date:
    a = y % 19; b = y // 100; c = y % 100; d = b // 4; e = b % 4; f = (b + 8) // 25; g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30; i = c // 4; k = c % 4; l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month = (h + l_ - 7 * m + 114) // 31
    day = ((h + l_ - 7 * m + 114) % 31) + 1
    return date(y, month, day)


_HOLIDAYS = {
    "christmas": lambda y: date(y, 12, 25), "christmas day": lambda y: date(y, 12, 25),
    "christmas eve": lambda y: date(y, 12, 24), "new year's day": lambda y: date(y, 1, 1),
    "new year's eve": lambda y: date(y, 12, 31), "independence day": lambda y: date(y, 7, 4),
    "the fourth of july": lambda y: date(y, 7, 4), "fourth of july": lambda y: date(y, 7, 4),
    "thanksgiving": lambda y: _nth_weekday(y, 11, 4, 4), "thanksgiving day": lambda y: _nth_weekday(y, 11, 4, 4),
    "labor day": lambda y: _nth_weekday(y, 9, 1, 1), "memorial day": lambda y: _nth_weekday(y, 5, 1, -1),
    "election day": lambda y: _nth_weekday(y, 11, 1, 1) + timedelta(days=1), "easter": _easter,
    "easter sunday": _easter, "halloween": lambda y: date(y, 10, 31), "valentine's day": lambda y: date(y, 2, 14),
    "veterans day": lambda y: date(y, 11, 11), "veterans' day": lambda y: date(y, 11, 11),
}


def _holiday(t: str, ctx: _Ctx):
    m = re.fullmatch(r"(?:(last|next|this) )?(.+?)(?:,? (" + _YEAR_RE + r"))?", t)
    if not m or m.group(2) not in _HOLIDAYS:
        return None
    fn = _HOLIDAYS[m.group(2)]
    if m.group(3):
        return _fmt_date(fn(int(m.group(3)))), "DATE"
    a = ctx.a
    if a is None:
        d = fn(2000)
        return (f"XXXX-{d.month:02d}-{d.day:02d}" if m.group(2) not in ("easter", "easter sunday") else None), "DATE"
    cands = [fn(y) for y in (a.year - 1, a.year, a.year + 1)]
    rel = m.group(1)
    tense = {"last": "past", "next": "future"}.get(rel or "", ctx.tense)
    if rel == "last":
        d = max(c for c in cands if c < a)
    elif rel == "next" or tense == "future":
        d = min(c for c in cands if c >= a)
    elif tense == "past":
        d = max(c for c in cands if c <= a)
    else:
        d = min(cands, key=lambda c: abs((c - a).days))
    return _fmt_date(d), "DATE"


# ---- times -----------------------------------------------------------------------------------------------

_TZ = r"(?:\s*(?:[ecmp][sd]t|gmt|utc|local time|et|pt|ct|mt|[a-z]{2,4} time))?"
_CLOCK = re.compile(r"(?:at |around |about |approximately |shortly (?:before|after) |just (?:before|after) )?"
                    r"(\d{1,2})(?:[:.](\d{2}))?\s*(a\.?m\.?|p\.?m\.?|o'clock|in the (?:morning|afternoon|evening)|at night)?" + _TZ)


def _norm_time(t: str, ctx: _Ctx):
    a = ctx.a
    # split off a day part: "<clock> [on] <day>" or "<day>[,] <clock>"
    clock_pat = r"(?:\d{1,2}(?:[:.]\d{2})?\s*(?:a\.?m\.?|p\.?m\.?|o'clock)" + _TZ + r"|\d{1,2}[:.]\d{2}" + _TZ + r"|noon|midnight|midday|\d{1,2} in the (?:morning|afternoon|evening))"
    m = re.fullmatch(r"(?:(?:at|around|about|approximately|shortly (?:before|after)|just (?:before|after)) )?(" + clock_pat + r")(?:,? (?:on |of )?(.+))?", t)
    m2 = None if m else re.fullmatch(r"(.+?),? (?:at |around |about )?(" + clock_pat + r")", t)
    if not m and not m2:
        return _norm_daypart(t, ctx)
    clock, day = (m.group(1), m.group(2)) if m else (m2.group(2), m2.group(1))
    hm = _clock(clock)
    if hm is None:
        return None
    if day:
        dv, _ = _normalize(day, ctx)
        if dv is None:
            return None
        dv, _, part = dv.partition("T")  # "6 o'clock this afternoon": the day, the clock, the part of the day
        if not re.fullmatch(r"(?:\d{4}|XXXX)-(?:\d{2}|XX)-(?:\d{2}|XX)|XXXX-WXX-\d", dv):
            return None
        if part in ("AF", "EV", "NI") and int(hm[:2]) < 12:
            hm = f"{int(hm[:2]) + 12:02d}{hm[2:]}"
    else:
        dv = ctx.last_date or (_fmt_date(a) if a else "XXXX-XX-XX")
    return f"{dv}T{hm}", "TIME"


def _clock(c: str) -> str | None:
    c = c.strip()
    if c in ("noon", "midday"):
        return "12:00"
    if c == "midnight":
        return "24:00"
    m = re.match(r"(\d{1,2})(?:[:.](\d{2}))?\s*(a\.?m\.?|p\.?m\.?|o'clock|in the (morning|afternoon|evening))?", c)
    if not m:
        return None
    h, mi, ap = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "")
    if ap.startswith("p") or "afternoon" in ap or "evening" in ap:
        if h < 12:
            h += 12
    elif ap.startswith("a") and h == 12:
        h = 0
    if h > 24 or mi > 59:
        return None
    return f"{h:02d}:{mi:02d}"


def _norm_daypart(t: str, ctx: _Ctx):
    a = ctx.a
    edged = bool(re.match(r"(?:early|late|mid)[\s-]+", t))
    t = re.sub(r"^(?:early|late|mid)[\s-]+", "", t)
    m = re.fullmatch(r"(?:(this|that|the|yesterday|today|tomorrow|last|tonight)\s+)?(morning|afternoon|evening|night|tonight|overnight)(?:\s+of\s+(.+))?", t)
    if m and not m.group(3):
        rel, part = m.group(1), m.group(2)
        if rel is None and edged:
            rel = "today"
        if part == "tonight" or rel == "tonight":
            rel, part = "today", "night"
        if rel in (None, "the", "that") and part != "overnight":
            return None  # bare "morning": not resolvable on its own (TimeBank rarely marks it)
        off = {"this": 0, "today": 0, None: 0, "the": 0, "that": 0, "yesterday": -1, "last": -1, "tomorrow": 1}[rel]
        if a is None:
            return f"XXXX-XX-XXT{_DAYPARTS[part]}", "TIME"
        return f"{_fmt_date(a + timedelta(days=off))}T{_DAYPARTS[part]}", "TIME"
    # "<day expression> <part>" e.g. "Thursday morning", "yesterday afternoon", "early Friday"
    m = re.fullmatch(r"(.+?) (morning|afternoon|evening|night)", t) or re.fullmatch(r"(morning|afternoon|evening|night) (?:of )?(.+)", t)
    if m:
        day, part = (m.group(1), m.group(2)) if m.re.pattern.startswith("(.+?)") else (m.group(2), m.group(1))
        dv, _ = _normalize(day, ctx)
        if dv and re.fullmatch(r"\d{4}-\d{2}-\d{2}|XXXX-WXX-\d", dv):
            if re.search(_WEEKDAY_RE, day) and not re.search(r"yesterday|today|tomorrow", day):
                return dv, "DATE"  # TimeBank mostly gives "Friday night" the day's value
            return f"{dv}T{_DAYPARTS[part]}", "TIME"
    return None


# ---- "N units ago" -----------------------------------------------------------------------------------------

def _unit_key(u: str) -> str:
    u = u.lower()
    if u.startswith("centur"):
        return "century"
    if u.startswith("millenni"):
        return "millennium"
    return u[:-1] if u.endswith("s") and u[:-1] in _UNITS else u


def _shift(a: date, n: float, unit: str) -> str:
    """Anchor moved by n units (negative = back), at the granularity of the unit."""
    unit = _unit_key(unit)
    if unit in ("day", "night"):
        return _fmt_date(a + timedelta(days=round(n)))
    if unit == "week":
        return _fmt_date(a + timedelta(weeks=n))
    if unit in ("fortnight",):
        return _fmt_date(a + timedelta(weeks=2 * n))
    if unit == "month":
        y, mo = _add_months(a.year, a.month, round(n))
        return f"{y:04d}-{mo:02d}"
    if unit == "quarter":
        y, mo = _add_months(a.year, a.month, round(3 * n))
        return f"{y:04d}-Q{(mo - 1) // 3 + 1}"
    if unit == "year":
        return f"{a.year + round(n):04d}"
    if unit == "decade":
        return f"{a.year + round(10 * n):04d}"
    if unit == "century":
        return f"{(a.year + round(100 * n)) // 100:02d}"
    if unit in ("hour", "minute", "second"):
        secs = {"hour": 3600, "minute": 60, "second": 1}[unit] * n
        dt = datetime(a.year, a.month, a.day) + timedelta(seconds=secs)
        return dt.strftime("%Y-%m-%dT%H:%M") if unit != "hour" else _fmt_date(dt.date())
    return _fmt_date(a)


def _norm_ago(t: str, ctx: _Ctx):
    m = re.fullmatch(r"(?:(?:about|around|roughly|approximately|nearly|almost|some|only|just|more than|less than|over|"
                     r"at least|barely|fully|exactly|precisely)\s+)*(" + _NUMWORD_RE + r")[\s-]+(?:more\s+)?(" + _UNIT_RE
                     + r")(?:\s+or\s+so)?\s+(ago|earlier|before|later|after|hence|from now|back|previously|since|prior)", t)
    if not m:
        m = re.fullmatch(r"(?:the )?(year|month|week|day|quarter)[\s-]+(?:ago|earlier|before)(?: (.+))?", t)
        if m:
            return _year_ago(m.group(1), m.group(2), ctx)
        return None
    n = _num(m.group(1))
    unit = _unit_key(m.group(2))
    back = m.group(3) in ("ago", "earlier", "before", "back", "previously", "prior", "since")
    if n is None:
        if m.group(3) in ("later", "after"):
            return _dur(None, unit), "DURATION"
        return ("PAST_REF" if back else "FUTURE_REF"), "DATE"
    if ctx.a is None:
        return ("PAST_REF" if back else "FUTURE_REF"), "DATE"
    if unit == "year" and n == 1 and m.group(3) in ("earlier", "ago", "before") and (ctx.quarter_talk or ctx.last_quarter):
        return _shift_value(ctx.last_quarter or _reported_quarter(ctx.a), -1), "DATE"
    if m.group(3) in ("later", "after", "earlier") and unit in ("day", "night", "hour", "minute", "second", "week"):
        return _dur(n, unit), "DURATION"  # counted from an event, not from the anchor
    if m.group(3) in ("later", "after"):
        return _dur(n, unit), "DURATION"
    if unit == "week" and back:
        return _iso_week(ctx.a - timedelta(weeks=n)), "DATE"
    return _shift(ctx.a, -n if back else n, unit), "DATE"


def _year_ago(unit: str, rest: str | None, ctx: _Ctx):
    """'the year-ago quarter', 'year-earlier period', 'the year-ago nine months'."""
    if rest and re.search(r"\bmonths?\b", rest):
        v = _norm_duration(rest, ctx)
        return v
    if ctx.a is None:
        return "PAST_REF", "DATE"
    if unit == "year":
        base = ctx.last_quarter or _reported_quarter(ctx.a)
        if rest and re.search(r"\b(year|fiscal year)\b", rest):
            return f"{ctx.a.year - 1:04d}", "DATE"
        m = re.search(r"\b(first|second|third|fourth)\b", rest or "")
        if m:
            return f"{ctx.a.year - 1:04d}-Q{_ORDINALS[m.group(1)]}", "DATE"
        return _shift_value(base, -1), "DATE"
    return _shift(ctx.a, -1, unit), "DATE"


# ---- relative calendar expressions ----------------------------------------------------------------------

_YEAR_END = re.compile(r"(?:the )?(?:year[\s-]end|year's end|end of the year)")


def _norm_relative(t: str, ctx: _Ctx):
    a = ctx.a
    # today / yesterday / tomorrow (+ optional edge modifier)
    m = re.fullmatch(r"(?:(?:early|late|earlier|later)\s+)?(today|yesterday|tomorrow|tonight|the day before yesterday|the day after tomorrow)", t)
    if m:
        off = {"today": 0, "tonight": 0, "yesterday": -1, "tomorrow": 1, "the day before yesterday": -2,
               "the day after tomorrow": 2}[m.group(1)]
        if a is None:
            return ("PRESENT_REF" if off == 0 else ("PAST_REF" if off < 0 else "FUTURE_REF")), "DATE"
        return _fmt_date(a + timedelta(days=off)), "DATE"
    # year-end: the end of the current year (TimeML: the year, with an END modifier)
    if _YEAR_END.fullmatch(t):
        return (f"{a.year:04d}" if a else "XXXX"), "DATE"
    # weekdays: [last|next|this|this coming|this past|early|late|earlier|later] Weekday
    m = re.fullmatch(r"(?:(last|next|this coming|this past|this|coming|past|previous|the previous|the following|following|early|late|earlier|later|on)\s+)?(" + _WEEKDAY_RE + r")\.?", t)
    if m and _wd(m.group(2)):
        wd = _wd(m.group(2))
        rel = {"last": "last", "past": "last", "previous": "last", "the previous": "last", "this past": "last",
               "next": "next", "coming": "next", "this coming": "next", "following": "next",
               "the following": "next"}.get(m.group(1) or "")
        if a is None:
            return f"XXXX-WXX-{wd}", "DATE"
        return _fmt_date(_weekday_date(wd, a, ctx.tense, rel)), "DATE"
    # the week of <date>
    m = re.fullmatch(r"(?:the )?week (?:of|beginning|starting|ending|ended) (.+)", t)
    if m:
        v, _ = _normalize(m.group(1), ctx)
        if v and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
            return _iso_week(date.fromisoformat(v)), "DATE"
        return None
    # this/last/next/the past/the coming + unit|season|month-name
    m = re.fullmatch(
        r"(?:(early|earlier|late|later|mid|the end of|the beginning of|the start of|the middle of|the rest of|the remainder of|the first half of|the second half of)\s+)?"
        r"(this|the current|the present|current|last|the last|past|the past|previous|the previous|prior|the prior|"
        r"next|the next|coming|the coming|upcoming|the upcoming|following|the following|the same|that|the latest|"
        r"the most recent|latest|the|this past|this coming|its|the new|a|year's|the full)\s+"
        r"(fiscal\s+|calendar\s+|financial\s+|full\s+|business\s+|trading\s+|school\s+|academic\s+)?"
        r"(year|month|week|weekend|quarter|day|decade|century|period|half|spring|summer|fall|autumn|winter|"
        + _MONTH_RE[3:-1] + r")", t)
    if m:
        return _rel_unit(m.group(1), m.group(2), m.group(3), m.group(4), ctx)
    # earlier/later + this/last/next ... e.g. "earlier this year", "later that year"
    m = re.fullmatch(r"(?:earlier|later|early|late)\s+(?:in\s+)?(.+)", t)
    if m:
        v = _normalize(m.group(1), ctx)
        if v[0] is not None:
            return v
    # ordinal quarters / halves without a year
    m = re.fullmatch(r"(?:(last year's|next year's|this year's|the year's|its|the|a|an?\s+\w+|the fiscal|fiscal|the company's|the latest)\s+)?"
                     r"(?:fiscal[\s-]+)?(first|second|third|fourth|1st|2nd|3rd|4th)[\s-]+(?:fiscal[\s-]+)?(quarter|half|three months|six months|nine months)", t)
    if m:
        n = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}[m.group(2)]
        det = m.group(1) or ""
        if m.group(3) in ("three months", "six months", "nine months"):
            return None
        if a is None:
            return (f"XXXX-Q{n}" if m.group(3) == "quarter" else f"XXXX-H{min(n, 2)}"), "DATE"
        y = a.year + (-1 if det.startswith("last year") else 1 if det.startswith("next year") else 0)
        if not det.startswith(("last year", "next year")) and m.group(3) == "quarter" and ctx.tense == "future" and n < _quarter(a) - 1:
            y += 1
        return (f"{y:04d}-Q{n}" if m.group(3) == "quarter" else f"{y:04d}-H{min(n, 2)}"), "DATE"
    m = re.fullmatch(r"(?:the )?(first|second|last|latter) half of (?:the )?(.+)", t)
    if m:
        v, _ = _normalize(m.group(2), ctx)
        if v and re.fullmatch(r"\d{4}", v):
            return f"{v}-H{1 if m.group(1) == 'first' else 2}", "DATE"
        if v and re.fullmatch(r"\d{3}X?", v):
            return v, "DATE"
    m = re.fullmatch(r"(?:the )?(?:(first|second|third|fourth|last) )?(quarter|year) (?:ended|ending|ends|that ended|through)(?: .+)?", t)
    if m:
        return _rel_unit(None, "the", None, m.group(2), ctx)
    return None


def _rel_unit(edge, det, qual, unit, ctx: _Ctx):
    a = ctx.a
    det = det.replace("the ", "") if det not in ("the", "the same") else det
    off = {"this": 0, "current": 0, "present": 0, "last": -1, "past": -1, "previous": -1, "prior": -1, "next": 1,
           "coming": 1, "upcoming": 1, "following": 1, "this past": -1, "this coming": 1, "latest": None,
           "most recent": None, "the": None, "the same": None, "that": None, "its": None, "new": 1, "a": None,
           "year's": 0, "full": 0}.get(det, None)
    if a is None:
        if unit in _SEASONS:
            return (f"XXXX-{_SEASONS[unit]}" if off is not None else f"XXXX-{_SEASONS[unit]}"), "DATE"
        if off == 0:
            return "PRESENT_REF", "DATE"
        if off is not None:
            return ("PAST_REF" if off < 0 else "FUTURE_REF"), "DATE"
        return None
    if unit in _SEASONS:
        rel = "last" if off == -1 else "next" if off == 1 else "this" if off == 0 else None
        return f"{_season_year(_SEASONS[unit], a, rel, ctx.tense):04d}-{_SEASONS[unit]}", "DATE"
    mon = _mon(unit) if unit not in ("may",) or det not in ("the", "a") else None
    if mon and len(unit) >= 3 and unit not in _UNITS:
        if off == -1:
            y = a.year if mon < a.month else a.year - 1
        elif off == 1:
            y = a.year if mon > a.month else a.year + 1
        elif off == 0:
            y = a.year
        else:
            y = _month_year(mon, a, ctx.tense)
        return f"{y:04d}-{mon:02d}", "DATE"
    fiscal = bool(qual and qual.strip() in ("fiscal", "financial"))
    if unit == "year":
        if off is None:
            if det in ("latest", "most recent"):
                return f"{a.year - (1 if fiscal else 0):04d}", "DATE"
            if det in ("the", "its", "a", "the same", "that"):
                return (f"{a.year:04d}", "DATE") if det != "a" else None
        if edge and off is not None and edge in ("the end of", "late", "later"):
            pass
        return f"{a.year + off:04d}", "DATE"
    if unit == "month":
        if off is None:
            if det in ("the", "the same", "that", "its"):
                return f"{a.year:04d}-{a.month:02d}", "DATE"
            return None
        y, mo = _add_months(a.year, a.month, off)
        return f"{y:04d}-{mo:02d}", "DATE"
    if unit == "week":
        if off is None:
            if det in ("the", "the same", "that", "latest", "most recent"):
                return _iso_week(a), "DATE"
            return None
        return _iso_week(a + timedelta(weeks=off)), "DATE"
    if unit == "weekend":
        base = a + timedelta(weeks=off or 0)
        if off is None and ctx.tense == "past" or off == -1:
            # the most recent weekend before the anchor
            back = (a.isoweekday() - 6) % 7
            sat = a - timedelta(days=back if back else 7) if a.isoweekday() < 6 else a - timedelta(days=a.isoweekday() - 6)
            return _iso_week(sat) + "-WE", "DATE"
        return _iso_week(base) + "-WE", "DATE"
    if unit == "day":
        if det in ("that", "the same", "the"):
            return None
        if off is None:
            return None
        return _fmt_date(a + timedelta(days=off)), "DATE"
    if unit in ("quarter", "period"):
        if off is None:
            if unit == "period" and det in ("a",):
                return None
            return (ctx.last_quarter or _reported_quarter(a)), "DATE"
        if off == 0 and unit == "quarter":
            return f"{a.year:04d}-Q{_quarter(a)}", "DATE"
        if unit == "period":
            return None
        y, mo = _add_months(a.year, a.month, 3 * off)
        return f"{y:04d}-Q{(mo - 1) // 3 + 1}", "DATE"
    if unit == "half":
        h = 1 if a.month <= 6 else 2
        k = (a.year * 2 + h - 1) + (off or 0)
        return f"{k // 2:04d}-H{k % 2 + 1}", "DATE"
    if unit == "decade":
        if off is None:
            return None
        y = a.year + 10 * off
        return f"{str(y)[:3]}", "DATE"
    if unit == "century":
        if off is None:
            return None
        return f"{(a.year // 100) + off:02d}", "DATE"
    return None


# ---- durations ---------------------------------------------------------------------------------------------

def _dur(n: float | None, unit: str) -> str:
    unit = _unit_key(unit)
    letter, is_time = _UNITS.get(unit, ("X", False))
    if n is None:
        if letter == "DE":
            return "PXDE" if False else "PXY"
        if letter == "CE":
            return "PXC" if False else "PXY"
        if letter in ("WE", "W2"):
            return "PXW"
        return ("PTX" if is_time else "PX") + letter
    if letter == "DE":
        n, letter = n * 10, "Y"
    elif letter == "CE":
        n, letter = n * 100, "Y"
    elif letter == "ML":
        n, letter = n * 1000, "Y"
    elif letter == "WE":
        n, letter = n * 2, "D"
    elif letter == "W2":
        n, letter = n * 2, "W"
    if n != int(n):
        whole, frac = int(n), n - int(n)
        sub = {"Y": (12, "M"), "M": (30, "D"), "W": (7, "D"), "D": (24, "H"), "H": (60, "M"), "Q": (3, "M")}.get(letter)
        if sub and not is_time and letter in ("Y", "M", "W", "Q"):
            sm = round(frac * sub[0])
            if letter == "M":
                return f"P{whole}M{sm}D" if whole else f"P{sm}D"
            if letter == "W":
                return f"P{whole * 7 + sm}D"
            return f"P{whole}{letter}{sm}{sub[1]}" if whole else f"P{sm}{sub[1]}"
        if letter == "D":
            return f"P{whole}DT{round(frac * 24)}H" if whole else f"PT{round(frac * 24)}H"
        if is_time and letter in ("H", "M"):  # hours -> minutes, minutes -> seconds
            sub_letter = "M" if letter == "H" else "S"
            return f"PT{whole}{letter}{round(frac * 60)}{sub_letter}" if whole else f"PT{round(frac * 60)}{sub_letter}"
    return ("PT" if is_time else "P") + f"{int(n)}{letter}"


def _norm_duration(t: str, ctx: _Ctx):
    t0 = t
    t = re.sub(r"^(?:the|a|an|its|their|his|her|each of the|all|for|over|during|in|within)\s+(?=(?:past|last|next|coming|first|latest|previous|following|final|full|entire|whole|same)\b)", "", t)
    t = re.sub(r"^(?:(?:about|around|roughly|approximately|nearly|almost|some|only|just|more than|less than|fewer than|"
               r"over|under|at least|at most|up to|as long as|as many as|as much as|no more than|barely|fully|"
               r"another|an additional|additional|a further|further|the|a period of|a span of|a total of|"
               r"the past|past|the last|last|the next|next|the coming|coming|the first|first|the latest|latest|"
               r"the previous|previous|the following|following|the final|final|the remaining|remaining|the entire|"
               r"entire|the whole|whole|the full|full|the same|same|the year-earlier|year-earlier|the year-ago|"
               r"year-ago|the prior|prior|the initial|initial|the|its|their|his|her|each of the|all)\s+)+", "", t)
    t = re.sub(r"\s+(?:or\s+so|or\s+more|or\s+longer|or\s+less|straight|running|in a row|old|long|time)$", "", t)
    m = re.fullmatch(r"(" + _NUMWORD_RE + r")(?:[\s-]+(?:more|straight|consecutive|full|long|additional|trading|business|calendar|working|fiscal))*[\s-]+(" + _UNIT_RE + r")(?:[\s-]+(?:long|old|period|span|stretch|term))?", t)
    if m:
        n = _num(m.group(1))
        if m.group(1).strip() in ("some",):
            n = None
        return _dur(n, m.group(2)), "DURATION"
    m = re.fullmatch(r"(?:(\d+)|([a-z]+(?:-[a-z]+)?))\s+to\s+(?:(\d+)|([a-z]+(?:-[a-z]+)?))\s+(" + _UNIT_RE + r")", t)
    if m:
        return _dur(None, m.group(5)), "DURATION"
    m = re.fullmatch(r"(" + _UNIT_RE + r")(?:[\s-]+(?:long|old))?", t)
    if m:
        u = m.group(1)
        if u.endswith("s") and not u.endswith("ss"):
            return _dur(None, u), "DURATION"
        if re.match(r"(?:the |a |an |one |full |entire |whole )", t0) or t0 in ("day-long", "week-long", "year-long"):
            return _dur(1, u), "DURATION"
        return _dur(1, u), "DURATION"
    m = re.fullmatch(r"(?:a|an|one) (" + _UNIT_RE + r") and a half", t)
    if m:
        return _dur(1.5, m.group(1)), "DURATION"
    m = re.fullmatch(r"(" + _NUMWORD_RE + r") (" + _UNIT_RE + r") and (" + _NUMWORD_RE + r") (" + _UNIT_RE + r")", t)
    if m and _num(m.group(1)) and _num(m.group(3)):
        d1 = _dur(_num(m.group(1)), m.group(2))
        d2 = _dur(_num(m.group(3)), m.group(4))
        return d1 + d2[1:].replace("T", "") if "T" not in d1 else d1 + d2[2:], "DURATION"
    m = re.fullmatch(r"(?:a|an|one) (?:long|short|brief|lengthy|fairly lengthy|extended) (?:period|while|time)|(?:a )?while|some time|a long time|long", t)
    if m:
        return "PXX", "DURATION"
    return None


# --------------------------------------------------------------------------------------------------------------
# Detection on a spaCy Doc
# --------------------------------------------------------------------------------------------------------------

_W = r"(?<![\w'])"
_WEEKDAY_FULL = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_E = r"(?![\w])"
_RULES = [re.compile(_W + "(?:" + p + ")" + _E, re.I) for p in (  # each rule whole words only, every alternative
    r"(?:right\s+)?now|currently|nowadays|these\s+days|at\s+present",
    r"(?:more\s+|most\s+|until\s+|only\s+)?recently|recent\s+(?:years|months|weeks|days|decades)",
    r"the\s+(?:near\s+|foreseeable\s+|distant\s+)?future",
    r"the\s+(?:recent\s+)?past(?!\s+(?:" + _NUMWORD_RE + r"|few|several))",
    r"(?:early\s+|late\s+|earlier\s+|later\s+)?(?:today|yesterday|tomorrow|tonight)",
    r"daily|every\s+day|each\s+day|weekly|hourly|every\s+(?:week|month|year)|each\s+(?:week|month|year)",
    r"(?:(?:last|next|this|this\s+coming|this\s+past|early|late|earlier|later)\s+)?" + _WEEKDAY_FULL + r"(?:,?\s+(?:" + _MONTH_RE + r")\s+\d{1,2}(?:,\s+\d{4})?)?(?:\s+(?:morning|afternoon|evening|night))?",
    r"(?:(?:early|late|mid)[\s-]+)?(?:jan(?:uary|\.)|feb(?:ruary|\.)|march|mar\.|apr(?:il|\.)|june?\.?|july?\.?|aug(?:ust|\.)|sep(?:t(?:ember|\.)|\.)|oct(?:ober|\.)|nov(?:ember|\.)|dec(?:ember|\.))(?:\s+\d{1,2}(?:st|nd|rd|th)?)?(?:,?\s+\d{4})?",
    r"May\s+\d{1,2}(?:,\s+\d{4})?|May,?\s+\d{4}",
    r"(?:fiscal\s+)?(?:19|20)\d\d(?:'?s)?",
    r"(?:(?:last|next|this)\s+)?(?:thanksgiving(?:\s+day)?|christmas(?:\s+(?:day|eve))?|new\s+year's\s+(?:day|eve)|election\s+day|labor\s+day|memorial\s+day|easter)",
    r"(?:(?:early|late|earlier|later|mid)\s+)?(?:this|last|next|the\s+past|the\s+coming|this\s+past|this\s+coming)\s+(?:fiscal\s+)?(?:year|month|week|weekend|quarter|spring|summer|fall|autumn|winter|decade|century)",
    r"(?:each|every)\s+(?:" + _WEEKDAY_FULL + r"|" + _MONTH_RE + r"|spring|summer|fall|autumn|winter)|" + _WEEKDAY_FULL + r"s(?:\s+(?:morning|afternoon|evening|night)s)?",
)]
_CAP_ONLY = {8}  # rule index that must match case-sensitively (May)
# For each rule, words one of which every match of it holds. Most texts match most rules nowhere, and a rule's scan
# costs far more than looking for its words: `_can_match` skips the scan when none of them is in the text.
_RULE_WORDS = (
    ("now", "currently", "days", "present"),
    ("recent",),
    ("future",),
    ("past",),
    ("today", "yesterday", "tomorrow", "tonight"),
    ("daily", "weekly", "hourly", "every", "each"),
    ("day",),
    ("jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    ("may",),
    ("19", "20"),
    ("thanksgiving", "christmas", "year's", "election", "labor", "memorial", "easter"),
    ("this", "last", "next", "past", "coming"),
    ("each", "every", "days"),
)
# "for years", "within weeks": a bare plural unit after a duration preposition is a vague duration (PXY, PXW)
_BARE_DURATION = re.compile(_W + r"(?:for|within|in)\s+(years|months|weeks|days|decades|hours)" + _E
                            + r"(?!\s+(?:ago|later|earlier|before|after|of|to\s+come)\b)", re.I)
# "the latest period", "the year-ago period": the financial reporting period
_PERIOD = re.compile(_W + r"the\s+(?:latest|year-earlier|year-ago)\s+period" + _E, re.I)
_NOUN_OF = re.compile(r"(\w+)\s+of\s+$")
# generic "today's world", "the people of tomorrow": not a reference to a date
_GENERIC_NOW_NOUNS = {"world", "youth", "society", "generation", "generations", "child", "children", "kid", "kids",
                      "economy", "computer", "computers", "technology", "standards", "life", "culture", "people",
                      "consumer", "consumers", "student", "students", "woman", "women", "man", "men", "family",
                      "families", "market", "markets", "young", "leaders", "business", "businesses", "standard"}
_CURRENT = re.compile(_W + r"current" + _E)
_BARE_DURATION_WORDS = ("years", "months", "weeks", "days", "decades", "hours")


def _can_match(lowered: str | None, words: tuple[str, ...]) -> bool:
    """False only when a rule cannot match: `lowered` is the lower-cased text when that text is ASCII (where
    `re.I` is plain ASCII case folding) and holds none of the words every match of the rule holds."""
    return lowered is None or any(w in lowered for w in words)


_AGE = re.compile(r"^(?:\d+|[a-z]+(?:-[a-z]+)?)[\s-]+(?:years?|months?|weeks?|days?)[\s-]+old$|^(?:\d+|[a-z]+(?:-[a-z]+)?)-(?:year|month|week|day)-olds?$", re.I)
_DROP_EXACT = {"quarterly", "annual", "night", "morning", "evening", "afternoon", "the day", "that day", "the night",
               "the night of", "overnight", "biannual", "the same day", "nightly", "a day", "the days",
               "day", "days", "weekend", "semiannual", "the time", "time", "once", "annually",
               "years", "months", "weeks", "decades", "minutes", "seconds", "hours", "future"}
_LEAD_STRIP = re.compile(r"^(?:about|only|just|some(?=\s+(?:\d|" + _MONTH_RE + r"))|roughly|approximately|between|from|since|until|by|as of|in|on|at(?!\s+(?:least|most))|"
                         r"during|through|throughout|for|of|both|sometime|(?:the|a|an)\s+(?=(?:the\s|" + _MONTH_RE + r"\b|\d{1,2}(?:st|nd|rd|th)\s+century|\d{4}\b)))\s+", re.I)
_ISO_DATE = re.compile(r"(?<!\d)\d{4}-\d{1,2}(?:-\d{1,2})?(?!\d)")
_SPLIT = re.compile(r"\s+(?:and|to|through|until|ended|ending|or|-|–)\s+|(?<=\d)\s*[-–]\s*(?=\d)", re.I)
_FUTURE_CUES = re.compile(r"\b(will|shall|'ll|wo|going|scheduled|expected|expects|expect|plans?|planned|planning|"
                          r"next|upcoming|set|due|intends?|hopes?|aims?|would)\b", re.I)


def date_mentions(doc: "Doc", anchor: datetime | date | None, text: str | None = None) -> list[DateMention]:
    """DATE/TIME mentions of a parsed document, normalised against the anchor (the publication date).
    `text` is `doc.text` when the caller has it already (spaCy rebuilds it on every access)."""
    text = doc.text if text is None else text
    a = _as_date(anchor)
    spans: list[tuple[int, int, int]] = []  # (start, end, priority)
    for ent in doc.ents:
        if ent.label_ in ("DATE", "TIME"):
            first = ent.start
            # The model sometimes pulls a dateline's place into the date ("England 1996-08-31").
            while first < ent.end - 1 and _foreign_name(doc[first]):
                first += 1
            for s, e in _fix_span(text, doc[first].idx, ent.end_char):
                spans.append((s, e, 1))
    lowered = text.lower() if text.isascii() else None
    for i, rx in enumerate(_RULES):
        if not _can_match(lowered, _RULE_WORDS[i]):
            continue
        for m in rx.finditer(text):
            if i in _CAP_ONLY and not m.group(0)[0].isupper():
                continue
            if i == 6 and m.group(0).lower() in ("sun", "sat", "wed", "mon", "fri", "thu", "tue", "sun.", "sat."):
                continue
            if i == 7 and re.fullmatch(r"(?i)(?:mar\.?|march|june?|july?|sept?\.?|oct\.?|dec\.?|jan\.?|aug\.?|apr\.?|nov\.?|feb\.?)", m.group(0)) and not m.group(0)[0].isupper():
                continue
            if i == 7 and m.group(0) in ("March", "June", "July", "Jan.", "Feb.", "Mar.", "Apr.", "Jun.", "Jul.", "Aug.", "Sept.", "Sep.", "Oct.", "Nov.", "Dec.") and not _month_context(text, m.start(), m.end()):
                continue
            if i == 9 and not _year_context(text, m.start(), m.end()):
                continue
            spans.append((m.start(), m.end(), 2))
    bare: set[int] = set()
    for m in _BARE_DURATION.finditer(text) if _can_match(lowered, _BARE_DURATION_WORDS) else ():
        spans.append((m.start(1), m.end(1), 2))
        bare.add(m.start(1))
    for m in _PERIOD.finditer(text) if _can_match(lowered, ("period",)) else ():
        spans.append((m.start(), m.end(), 2))
    for m in _CURRENT.finditer(text) if "current" in text else ():  # case-sensitive
        tok = _token_at(doc, m.start())
        if tok is not None and tok.pos_ == "ADJ" and tok.dep_ == "amod":
            spans.append((m.start(), m.end(), 2))
    chosen = _merge_adjacent(text, _resolve(spans), a)
    out: list[DateMention] = []
    ctx = _Ctx(a, None)
    quarter_talk = _QuarterTalk(doc, text)
    for s, e in chosen:
        mtext = text[s:e]
        if (_drop(mtext) and s not in bare) or _adjectival_frequency(doc, s, e) or _generic_now(doc, text, s, e):
            continue
        ctx.tense = _tense(doc, s, e)
        if ctx.tense != "future" and _DEADLINE_PREP.search(text, max(0, s - 12), s) and not _PERFECT_PAST.search(
                text, max(0, s - 120), s):
            ctx.tense = "future"  # "postponed until Tuesday", "pay down the loan by February": a deadline ahead
        ctx.quarter_talk = quarter_talk(s)
        value, ttype = _normalize(mtext, ctx)
        if value is None and mtext.lower().strip() != "current":
            s, e, value, ttype = _shrink(text, s, e, ctx, value, ttype)
            mtext = text[s:e]
        if _YEAR_WORD.fullmatch(mtext) and _ENDED.match(text, e):
            value, ttype = "P1Y", "DURATION"  # "the year ended March 31": a twelve-month period, not a calendar year
        if mtext.lower().strip() == "current" and value is None:
            value, ttype = "PRESENT_REF", "DATE"
        if value is None:
            ttype = _guess_type(_clean(mtext))
        if value and re.fullmatch(r"\d{4}-Q\d", value) and _ORD_QUARTER.search(mtext) \
                and not re.search(r"(?i)year[\s-]+(?:ago|earlier)|last year", mtext):
            ctx.last_quarter = value
        if value and re.fullmatch(r"\d{4}-\d\d-\d\d", value):
            ctx.last_date = value
        # "5% a year", "twice a week": a SET
        if value and re.fullmatch(r"P1[DWMY]", value) and re.fullmatch(r"(?i)a (?:day|week|month|year)", mtext) \
                and re.search(r"(?:\d|%|percent|times|twice|once|cents?|dollars?|million|billion)\W*$", text[max(0, s - 20):s], re.I):
            ttype = "SET"
        label = "TIME" if ttype == "TIME" or (value and re.search(r"T\d\d|T[A-Z]{2}$", value)) else "DATE"
        out.append(DateMention(s, e, label, value, ttype))
    return out


_HOLIDAY_WORDS = frozenset(
    "christmas easter thanksgiving hanukkah ramadan passover halloween independence labor labour memorial veterans "
    "valentine valentine's new year year's eid diwali kwanzaa boxing columbus presidents memorial mother's father's".split()
)


def _foreign_name(token) -> bool:
    """A proper noun that is not a month, weekday or holiday: no part of a date."""
    w = token.lower_
    return token.pos_ == "PROPN" and token.text[:1].isupper() and _mon(w) is None and _wd(w) is None and w not in _HOLIDAY_WORDS


_DEADLINE_PREP = re.compile(r"(?i)\b(?:until|till|by|through)\s+$")
_PERFECT_PAST = re.compile(r"(?i)\bhad\b|\bwas\b|\bwere\b")
_YEAR_WORD = re.compile(r"(?i)(?:the\s+|its\s+|a\s+)?(?:fiscal\s+|financial\s+|calendar\s+)?year")
_ENDED = re.compile(r"(?i)\s+(?:that\s+|which\s+)?(?:ended|ending|ends)\s+(?=\S)")
_ORD_QUARTER = re.compile(r"(?i)\b(?:first|second|third|fourth|1st|2nd|3rd|4th)[\s-]+(?:fiscal[\s-]+)?quarter")


class _QuarterTalk:
    """Whether the sentence holding character `s`, or the sentence before it, speaks of quarters or periods. One
    search per sentence of the Doc, not per date mention; the Doc's sentences found once and their text sliced
    from `text` (the Doc's: `Span.text` joins its tokens on every access)."""

    _TALK = re.compile(r"(?i)\b(quarter|quarterly|period)\b")

    def __init__(self, doc, text: str):
        self.doc, self.text = doc, text
        self.sents: list | None = None
        self.starts: list[int] = []
        self.talks: dict[int, bool] = {}

    def __call__(self, s: int) -> bool:
        span = self.doc.char_span(s, s + 1, alignment_mode="expand")
        if span is None:
            return False
        if self.sents is None:
            self.sents = list(self.doc.sents)
            self.starts = [x.start for x in self.sents]
        k = bisect.bisect_right(self.starts, span.start) - 1  # the sentence `span.sent` is
        return self._talks(k) or (k > 0 and self._talks(k - 1))

    def _talks(self, k: int) -> bool:
        if k not in self.talks:
            sent = self.sents[k]
            self.talks[k] = self._TALK.search(self.text[sent.start_char : sent.end_char]) is not None
        return self.talks[k]


def _adjectival_frequency(doc, s: int, e: int) -> bool:
    """'daily volume', 'the party daily': the adjective/noun 'daily', 'weekly', ... is not a TIMEX (TimeBank)."""
    span = doc.char_span(s, e, alignment_mode="expand")
    if span is None or len(span) != 1 or span[0].lower_ not in ("daily", "weekly", "monthly", "nightly", "hourly"):
        return False
    if span[0].lower_ == "daily":
        # TimeBank marks "daily" as a SET even before a noun ("a daily rally"), but not the newspaper ("the party
        # daily") or a statistical average ("average daily volume")
        prev = doc[span.start - 1].lower_ if span.start > 0 else ""
        return span[0].pos_ in ("NOUN", "PROPN") or prev in ("average", "avg.")
    return span[0].dep_ in ("amod", "compound") or span[0].pos_ in ("NOUN", "PROPN")


_WORD = re.compile(r"\S+")
_BARE_UNIT = re.compile(r"(?i)(?:the\s+|a\s+|an\s+)?(?:" + _UNIT_RE + r"|second)")
_UNITISH = re.compile(r"(?i)\b(?:year|month|week|day|decade|century)")


def _shrink(text: str, s: int, e: int, ctx: _Ctx, value, ttype):
    """An entity that does not normalise as a whole ("the day Friday", "d'etat last year", "April month"): the
    largest part of it, dropping up to four leading or two trailing words, that does."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(text, s, e)]
    n = len(words)
    for k in range(1, min(n, 6)):  # k words removed in total, leading first
        for lead in range(min(k, 4), max(-1, k - 3), -1):
            trail = k - lead
            if lead + trail >= n:
                continue
            ns, ne = words[lead][0], words[n - 1 - trail][1]
            sub = text[ns:ne].rstrip(",;:")
            ne = ns + len(sub)
            if (not _looks_temporal(sub) and not _UNITISH.search(sub)) or _BARE_UNIT.fullmatch(sub):
                continue
            v, t = _normalize(sub, ctx)
            if v is not None:
                return ns, ne, v, t
    return s, e, value, ttype


def _generic_now(doc, text: str, s: int, e: int) -> bool:
    """"today's youth", "in today's world", "the cities of tomorrow": generic, not the anchor day."""
    t = text[s:e].lower()
    if t not in ("today", "tomorrow"):
        return False
    after = text[e:e + 2]
    if after in ("'s", "’s"):
        span = doc.char_span(s, e + 2, alignment_mode="expand")
        if span is None or span.end >= len(doc):
            return False
        nxt = doc[span.end:min(len(doc), span.end + 3)]
        for tok in nxt:
            if tok.pos_ in ("NOUN", "PROPN"):
                return tok.lower_ in _GENERIC_NOW_NOUNS
            if tok.pos_ not in ("ADJ", "ADV", "NUM"):
                return False
        return False
    before = text[max(0, s - 30):s]
    m = _NOUN_OF.search(before)
    return bool(m and m.group(1).lower() in _GENERIC_NOW_NOUNS | {"cities", "city", "world", "jobs", "leaders"})


def _token_at(doc, char: int):
    """The token whose text holds character `char`, None in white space: the last token starting at or before it
    (tokens are in text order and do not overlap), found by bisection over the token offsets."""
    from spacy.attrs import IDX

    i = bisect.bisect_right(doc.to_array(IDX), char) - 1
    if i < 0:
        return None
    tok = doc[i]
    return tok if char < tok.idx + len(tok.text) else None


def _month_context(text: str, s: int, e: int) -> bool:
    """A bare capitalised month word ("March", "Dec.") counts when a preposition or modifier introduces it."""
    before = text[max(0, s - 12):s].lower()
    return bool(re.search(r"\b(in|since|until|by|last|next|this|early|late|mid|from|through|of|to|before|after|during|and|or|each|every|until)\s+$", before))


def _year_context(text: str, s: int, e: int) -> bool:
    """A bare four-digit number is a year unless it is a quantity (money, counts) or part of a bigger number."""
    before = text[max(0, s - 3):s]
    after = text[e:e + 8]
    if re.search(r"[$£€#]\s*$|\d[.,]$", before) or re.match(r"[.,]\d|\s*(?:%|percent|\b(?:shares|people|miles|points|tons|units|cars|jobs|employees|troops|votes|acres|barrels|yards|feet|meters|members|workers)\b)", after, re.I):
        return False
    return True


def _fix_span(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """Adjust a spaCy entity to TimeBank conventions: trim hedges/prepositions/possessives, split ranges."""
    seg = text[s:e]
    while True:
        m = _LEAD_STRIP.match(seg)
        if not m:
            break
        s += m.end()
        seg = text[s:e]
    m = re.search(r"(?:'s|’s|')$", seg)
    if m and not re.search(r"\d0'$", seg):
        e -= len(m.group(0))
        seg = text[s:e]
    m = re.search(r"(?:[\s,;:]+(?:and|or|to|until|through|between|from)\b)+[\s,;:]*$|[\s,;:]+$", seg, re.I)
    if m:
        e -= len(m.group(0))
        seg = text[s:e]
    if not seg:
        return []
    parts = []
    pos = 0
    iso = [(x.start(), x.end()) for x in _ISO_DATE.finditer(seg)]
    for m in _SPLIT.finditer(seg):
        if any(a <= m.start() and m.end() <= b for a, b in iso):
            continue  # the hyphens of 1996-08-31 join, they do not make a range
        left = seg[pos:m.start()]
        right_start = m.end()
        if _looks_temporal(left) and _looks_temporal(seg[right_start:]) or m.group(0).strip().lower() in ("ended", "ending"):
            parts.append((s + pos, s + m.start()))
            pos = right_start
    parts.append((s + pos, e))
    out = []
    for ps, pe in parts:
        sub = text[ps:pe]
        ls = len(sub) - len(sub.lstrip())
        sub2 = sub.strip()
        if sub2:
            out.append((ps + ls, ps + ls + len(sub2)))
    return out


def _looks_temporal(seg: str) -> bool:
    t = seg.strip().lower()
    if not t:
        return False
    return bool(re.search(r"\b(" + _MONTH_RE[3:-1] + r"|" + _WEEKDAY_RE + r"|" + _UNIT_RE + r"|(?:19|20)\d\d|today|yesterday|now|\d{1,2}(?::\d\d)?\s*[ap]\.?m\.?)\b", t)) \
        or bool(re.fullmatch(r"\d{1,2}", t))


def _resolve(spans: Iterable[tuple[int, int, int]]) -> list[tuple[int, int]]:
    """Non-overlapping spans: longest first; on equal length, rule spans (priority 2) win."""
    chosen: list[tuple[int, int]] = []
    for s, e, _p in sorted(set(spans), key=lambda x: (-(x[1] - x[0]), -x[2], x[0])):
        if any(s < ce and cs < e for cs, ce in chosen):
            continue
        chosen.append((s, e))
    return sorted(chosen)


_GAP = re.compile(r"(?:,?\s+(?:on\s+|at\s+|of\s+)?|,)")


def _merge_adjacent(text: str, spans: list[tuple[int, int]], a: date | None) -> list[tuple[int, int]]:
    """Join neighbours that form one expression: "Thursday Dec. 30", "5 p.m. EST Nov. 9", "noon Saturday"."""
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if out:
            ps, pe = out[-1]
            gap = text[pe:s]
            if len(gap) <= 5 and _GAP.fullmatch(gap) and "\n" not in gap:
                v, _ = _normalize(text[ps:e], _Ctx(a or date(2000, 1, 1), None))
                if v and re.fullmatch(r"(?:\d{4}|XXXX)-\d\d-\d\d(?:T\S+)?|XXXX-WXX-\d(?:T\S+)?", v):
                    out[-1] = (ps, e)
                    continue
        out.append((s, e))
    return out


def _drop(mtext: str) -> bool:
    t = mtext.strip().lower()
    if t in _DROP_EXACT or _AGE.match(t):
        return True
    if re.fullmatch(r"\d+", t) and not re.fullmatch(r"1[0-9]{3}|20[0-9]{2}", t):
        return True
    if re.fullmatch(r"\d+s|'\d+s|(?:his|her|their|the) (?:late |early |mid-?)?(?:\d0s|twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties)", t) and not re.fullmatch(r"1\d{3}s|20\d0s", t):
        return True
    return False


# "expects to", "agreed to", "set to", "a program to": an infinitive after these points ahead of the clause's time
_FUTURE_HEADS = frozenset({"go", "expect", "plan", "schedule", "intend", "aim", "hope", "want", "seek", "agree",
                           "promise", "pledge", "vow", "propose", "set", "slate", "due", "prepare", "program"})


def _tense(doc, s: int, e: int) -> str:
    """past / present / future for the clause governing the mention, from spaCy tags."""
    span = doc.char_span(s, e, alignment_mode="expand")
    if span is None or len(span) == 0:
        return "present"
    sent = span.sent
    # governing verb: climb from the mention's root to the first verb
    tok = span.root
    hops = 0
    while tok.pos_ not in ("VERB", "AUX") and tok.head is not tok and hops < 6:
        tok = tok.head
        hops += 1
    verb = tok if tok.pos_ in ("VERB", "AUX") else None
    if verb is not None:
        auxes = [c for c in verb.children if c.dep_ in ("aux", "auxpass")]
        words = {c.lower_ for c in auxes}
        if words & {"will", "shall", "'ll", "wo"} or (verb.tag_ == "VB" and any(c.lower_ == "to" for c in auxes) and verb.head.lemma_ in _FUTURE_HEADS):
            return "future"
        if verb.lemma_ in ("schedule", "expect", "plan", "set", "slate") and verb.tag_ in ("VBN", "VBD") and any(c.lower_ in ("is", "are", "was", "were", "be", "been", "'s", "has", "have") for c in auxes):
            return "future"
        if words & {"would", "could", "might", "may", "should", "must", "can"} and verb.tag_ == "VB":
            return "future" if words & {"may", "might", "should", "must", "can"} else "present"
        if verb.tag_ == "VBD" or (verb.tag_ == "VBN" and (words & {"has", "have", "had", "was", "were", "'s", "'ve"} or not auxes)) \
                or (verb.tag_ == "VBG" and words & {"has", "have", "had", "'ve", "was", "were"}):
            return "past"
        if verb.tag_ in ("VBZ", "VBP", "VBG"):
            # "is expected to", "plans to"
            # (the sentence's tokens between the verb and the mention, without making the others)
            if any(_FUTURE_CUES.fullmatch(doc[i].lower_) for i in range(max(sent.start, verb.i + 1), min(sent.end, span.start))):
                return "future"
            return "present"
    toks = list(sent)
    if any(t.lower_ in ("will", "shall", "'ll") for t in toks):
        return "future"
    if any(t.tag_ in ("VBD",) for t in toks):
        return "past"
    return "present"
