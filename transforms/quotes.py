"""The `quotes` table: direct, partial and reported speech with its speaker, from the article's spaCy Docs and
resolved mentions."""

from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyarrow as pa

from newsflow.schema import QUOTES
from transforms.mentions import FIELDS, ROLE_HEADS, mention_entity_id


@dataclass(frozen=True)
class Quote:
    field: str
    paragraph_index: int
    start: int
    end: int
    text: str
    quote_type: str  # direct | partial | indirect
    speaker_text: str | None = None
    speaker_start: int | None = None
    speaker_end: int | None = None
    speaker_entity_id: str | None = None
    speaker_canonical: str | None = None
    speaker_kind: str | None = None  # person | organization | anonymous | pronoun | unknown
    cue: str | None = None
    cue_lemma: str | None = None


def quote_id(article_id: str, q: Quote) -> str:
    return hashlib.sha256(f"{article_id}|{q.field}|{q.start}|{q.end}|{q.quote_type}".encode()).hexdigest()[:20]


def article_quotes(docs: dict, texts: dict, mentions: list) -> list[Quote]:
    """Quotes of one article. `docs` and `texts` by field (the Docs may be of a re-cased copy of the same length;
    offsets and text come from `texts`); `mentions` are the article's resolved `Mention`s."""
    out: list[Quote] = []
    for name in FIELDS:
        text, doc = texts.get(name), docs.get(name)
        if text and doc is not None:
            out += _field_quotes(_Field(name, text, doc, mentions, quote_spans(text)))
    return out


# --- vocabulary (data in transforms/lexicons, loaded once) ------------------------------------------------------------

LEXICONS = Path(__file__).parent / "lexicons"


def _lines(name: str) -> list[list[str]]:
    rows = []
    for line in (LEXICONS / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append(line.split("\t"))
    return rows


@lru_cache(maxsize=1)
def cue_frames() -> dict[str, frozenset[str]]:
    """Cue verb lemma -> the frames it reports through: `clause` (said (that) ...), `to` (vowed to ...), `as-it`
    (only as `as X put it`: a quote's cue, reporting nothing itself), `object` (blasted X for ..., called for ...)."""
    rows = _lines("cue_verbs.tsv")
    return {r[0]: frozenset(r[1].split("+")) for r in rows[1:]}


@lru_cache(maxsize=1)
def evidence_nouns() -> frozenset[str]:
    """Head nouns of recordings, figures and findings (`the videos show ...`)."""
    return frozenset(r[0] for r in _lines("evidence_nouns.txt"))


@lru_cache(maxsize=1)
def source_nouns() -> frozenset[str]:
    """Head nouns of unnamed sources."""
    return frozenset(r[0] for r in _lines("source_nouns.txt"))


# --- quote marks --------------------------------------------------------------------------------------------------

OPENERS, CLOSERS, NEUTRAL = "“„«", "”»", '"'
MARKS = OPENERS + CLOSERS + NEUTRAL
_OPEN_CONTEXT = "([{—–-/\u2018'"
_CLOSE_CONTEXT = ".,;:!?)]}—–-…\u2019'"
_BLANK = re.compile(r"\n\s*\n")
_SENTENCE_END = {".", "!", "?"}
PRONOUNS = {"he": "person", "she": "person", "it": "org", "they": None, "we": None, "i": None, "you": None}
RELATIVES = {"who", "that", "which", "whom"}
PERSON_LABELS, GROUP_LABELS = {"PERSON"}, {"ORG", "GPE", "NORP", "LOC", "FAC"}
SPEAKER_LABELS = PERSON_LABELS | GROUP_LABELS
_SPEAKER_LEFT = {"det", "amod", "compound", "poss", "nmod", "nummod", "quantmod", "advmod", "case", "predet", "npadvmod"}
_SPEAKER_RIGHT = {"prep", "amod", "compound"}  # adjacent only; appositions and relative clauses stay out
_OBJECT_DEPS = {"dobj", "prep", "oprd", "xcomp", "dative", "ccomp"}
_INDEFINITE = {"a", "an", "some", "several", "many", "two", "three", "few", "one", "other", "most", "numerous", "various",
               "no"}


_MARK = re.compile("''|[\"“”„«»]")  # '' : the doubled apostrophe some wires (NYT) write for a double mark


def _orientation(text: str, i: int, n: int, inside: bool) -> str:
    """'open' or 'close' for the mark text[i:i+n]: a mark opening its paragraph opens; otherwise the spacing
    around it decides, and the glyph only when spacing cannot."""
    prev = text[i - 1] if i > 0 else "\n"
    nxt = text[i + n] if i + n < len(text) else "\n"
    if prev == "\n":
        return "open"
    opens = (prev.isspace() or prev in _OPEN_CONTEXT) and not nxt.isspace()
    closes = (nxt.isspace() or nxt in _CLOSE_CONTEXT) and not prev.isspace()
    if opens != closes:
        return "open" if opens else "close"
    ch = text[i]
    if ch in OPENERS:
        return "open"
    if ch in CLOSERS:
        return "close"
    return "close" if inside else "open"


def quote_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every double-quoted passage, marks excluded. Single marks are never top-level quotes (they
    nest, and ’ is mostly an apostrophe). A quote may run over paragraphs that each open with a mark and only the
    last closes. Unbalanced marks: an opening mark inside an open quote ends it when a sentence ends right before
    (a paragraph break lost when the text was flattened), and otherwise replaces the earlier, unclosed one; a
    closing mark with no open quote is ignored; a quote still open at its paragraph's end (and not continued by
    the next paragraph's opening mark) ends there."""
    out: list[tuple[int, int]] = []
    open_at = cur = None  # just after the open quote's mark; start of the paragraph it has reached
    for m in _MARK.finditer(text):
        i, n = m.start(), m.end() - m.start()
        if open_at is not None and "\n" in text[cur:i]:
            brk = text.index("\n", cur)
            nxt = len(text[:brk]) + len(text[brk:]) - len(text[brk:].lstrip())
            if i == nxt:
                cur = i + n  # the next paragraph opens with a mark: the quote goes on
                continue
            out.append((open_at, brk))
            open_at = None
        if _orientation(text, i, n, open_at is not None) == "open":
            if open_at is not None and text[open_at:i].rstrip()[-1:] in (".", "?", "!"):
                out.append((open_at, i))  # `… 26 weeks. “We are …`: a paragraph break lost in flattening
            open_at = cur = i + n
        elif open_at is not None:
            out.append((open_at, i))
            open_at = None
    if open_at is not None:
        end = text.find("\n", cur)
        out.append((open_at, len(text) if end < 0 else end))
    trimmed = []
    for s, e in out:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s and any(c.isalnum() for c in text[s:e]):
            trimmed.append((s, e))
    return trimmed


def _is_direct(text: str, s: int, e: int) -> bool:
    """A quoted sentence (not a few words inside one): it starts with a capital or digit and either stands at a
    sentence or clause start (paragraph start, after . ! ? : , or a dash) or is itself a clause ending in . ? ! ,"""
    words = text[s:e]
    first = next((c for c in words if c.isalnum()), "")
    if not (first.isupper() or first.isdigit()):
        return False
    before = text[: s - 1].rstrip(" ")
    at_start = not before or before[-1] in "\n.!?:;,—–-(" or (before[-1] in MARKS + "’'" and before[-2:-1] in (".", "!", "?"))
    return at_start or (words.rstrip()[-1:] in (".", "?", "!", ",") and len(words.split()) >= 3)


def _is_name(text: str, s: int, e: int) -> bool:
    """Quoted title-case words inside a sentence name a show, book or slogan (`on CNN's “State of the Union.”`),
    they quote nobody."""
    before = text[: s - 1].rstrip(" ")
    if not before or before[-1] in "\n.!?:":
        return False
    words = [w.strip(".,;:!?…'’\"") for w in text[s:e].split()]
    long = [w for w in words if len(w) > 3 and w[:1].isalpha()]
    return 0 < len(words) <= 8 and bool(long) and all(w[:1].isupper() for w in long) and words[0][:1].isupper()


# --- speakers -----------------------------------------------------------------------------------------------------


@dataclass
class _Attribution:
    speaker: tuple[int, int] | None  # char span
    kind: str | None
    entity_id: str | None
    canonical: str | None
    cue: tuple[int, int] | None
    cue_lemma: str | None


class _Field:
    """One field's text, Doc and mentions, with the lookups the rules share."""

    def __init__(self, name: str, text: str, doc, mentions: list, quotes: list[tuple[int, int]]):
        self.name, self.text, self.doc = name, text, doc
        self.mentions = sorted((m for m in mentions if m.field == name), key=lambda m: m.start)
        self.quotes = quotes
        self.quote_starts = [s for s, _ in quotes]

    def in_quote(self, pos: int) -> bool:
        k = bisect.bisect_right(self.quote_starts, pos) - 1
        return k >= 0 and self.quotes[k][0] <= pos < self.quotes[k][1]

    def mention_at(self, start: int, end: int):
        """The entity mention covering [start, end), if any."""
        for m in self.mentions:
            if m.start <= start and end <= m.end and m.label in SPEAKER_LABELS:
                return m
            if m.start >= end:
                break
        return None

    def mention_holding(self, pos: int):
        """The first mention (by start) holding character `pos`, if any: none after one starting past it can."""
        for m in self.mentions:
            if m.start > pos:
                break
            if pos < m.end:
                return m
        return None

    def before(self, pos: int, labels: set, role: str | None = None):
        """The nearest entity mention ending before `pos`, outside quotes, with a label in `labels` (and a role
        title holding `role`)."""
        for m in reversed(self.mentions):
            if m.end <= pos and m.label in labels and not self.in_quote(m.start):
                if role is None or (m.role_title and role in m.role_title.casefold()):
                    return m
        return None


def _speaker_head(cue, marked: bool = False) -> object | None:
    """The token heading the speaker phrase of a cue token (the subject of the cue verb, the object of
    `according to`, the subject of the verb a participle or conjunct hangs from (also through a preposition:
    `before asking`), the noun a relative clause or a participle modifies: `footage of Clinton asking`)."""
    if cue.lower_ == "according":
        to = next((c for c in cue.children if c.lower_ == "to"), None)
        if to is None and cue.i + 1 < len(cue.doc) and cue.doc[cue.i + 1].lower_ == "to":
            to = cue.doc[cue.i + 1]
        return next((c for c in to.children if c.dep_ == "pobj"), None) if to is not None else None
    verb, via_prep = cue, False
    for _ in range(4):
        # the cue's own passive subject is its hearer (`he was told`); that of a verb a preposition ties the cue
        # to is its speaker too (`After saying …, she was taken to hospital`), unless an agent is named (`by …`)
        deps = ("nsubj", "nsubjpass") if via_prep and not any(c.dep_ == "agent" for c in verb.children) else ("nsubj",)
        subj = next((c for c in verb.children if c.dep_ in deps and _wordlike(c)), None)
        if subj is not None:
            return subj
        # a participle modifying a noun only for quotes in marks: `documents demanding that ...` report nothing
        if verb.dep_ == "relcl" or (marked and verb.dep_ == "acl"):
            return verb.head
        if verb.dep_ == "pcomp" and verb.head.dep_ == "prep":
            verb, via_prep = verb.head, True
        if verb.dep_ == "xcomp" and any(c.lower_ == "to" for c in verb.children) and not _is_cue(verb.head):
            # `forced Stumpf to admit`, `leading analysts to forecast`: the object speaks (but `asked them to
            # say …` is the asker's request: that verb is a cue of its own)
            obj = next((c for c in verb.head.children if c.dep_ == "dobj" and c.i < verb.i and _animate(c)), None)
            if obj is not None:
                return obj
        if verb.dep_ not in ("advcl", "conj", "xcomp", "prep") or verb.head is verb:
            return None
        verb = verb.head
    return None


def _evidence(cue) -> bool:
    """The cue's subject is a recording, a figure or a finding (`the footage shows`)."""
    subj = next((c for c in cue.children if c.dep_ == "nsubj"), None)
    return subj is not None and subj.lemma_.lower() in evidence_nouns()


def _reporting_cue(tok):
    """The cue whose report `tok` stands in (`said [the footage shows …]`, `said [X] and [that the footage shows …]`)."""
    for _ in range(3):
        if tok.dep_ not in ("ccomp", "conj") or tok.head is tok:
            return None
        dep, tok = tok.dep_, tok.head
        if _is_cue(tok):  # reached through its complement; a coordinated cue (`research showed …, studies suggest`) is not
            return tok if dep == "ccomp" else None
    return None


def _wordlike(tok) -> bool:
    """Not a dash or mark the parser took for a subject (`public ― Trump boasted`); `70%` is one."""
    return tok.text == "%" or any(ch.isalnum() for ch in tok.text)


def _animate(tok) -> bool:
    """A person or a body that can speak: a name, a personal pronoun, a role or source noun (`the minister`)."""
    if tok.ent_type_ in ("PERSON", "ORG", "NORP", "GPE"):
        return True
    if tok.pos_ == "PRON":
        return tok.lower_ in ("him", "her", "them", "us", "me")
    return tok.lemma_.lower() in ROLE_HEADS or tok.lemma_.lower() in source_nouns()


def _phrase(head, fld: _Field, avoid: list[tuple[int, int]]) -> tuple[int, int]:
    """Character span of the speaker phrase around its head: determiners, modifiers, compounds and titles on the
    left, `of`/`for`/`in` phrases on the right; never appositions, relative clauses, quotes or the content."""
    doc = head.doc
    lo = hi = head.i
    for c in head.lefts:
        if c.dep_ in _SPEAKER_LEFT:
            lo = min(lo, c.left_edge.i)
    for c in head.rights:
        if c.dep_ in _SPEAKER_RIGHT and c.i == hi + 1:
            hi = c.right_edge.i
    while lo < head.i and (doc[lo].is_punct or doc[lo].dep_ == "cc"):
        lo += 1
    while hi > head.i and doc[hi].is_punct:
        hi -= 1
    start, end = doc[lo].idx, doc[hi].idx + len(doc[hi])
    if hi - lo > 12 or any(s < end and start < e for s, e in avoid) or fld.in_quote(start) or fld.in_quote(end - 1):
        start, end = head.idx, head.idx + len(head)
    m = fld.mention_at(head.idx, head.idx + len(head))
    if m is not None:
        start, end = min(start, m.start), max(end, m.end)
    return start, end


def _adjacent_head(cue, fld: _Field, avoid: list[tuple[int, int]]):
    """When the parse gives the cue no usable subject (often one inside the quote), the noun phrase standing
    right before (`,” Rep. Jane Doe (D-Md.) said`) or right after it (`,” said Jane Doe`), outside quotes."""
    doc = cue.doc
    left = []
    opens = cue.i == 0 or doc[cue.i - 1].text in _SENTENCE_END or "\n" in doc[cue.i - 1].text_with_ws
    for t in reversed(doc[max(0, cue.i - 12) : cue.i] if not opens else []):  # `Said Ellis: “…”`: none on the left
        if t.text in MARKS or t.text in _SENTENCE_END and t.i < cue.i - 1 or fld.in_quote(t.idx):
            break
        left.append(t)
    right = []
    for t in doc[cue.i + 1 : cue.i + 4]:
        if t.is_punct:
            break
        if t.dep_ in ("nsubj", "nsubjpass") and t.head is not cue:
            break  # `saying her foot was “…”`: the subject of the reported clause, not the speaker
        right.append(t)
    pick = next((t for t in left if _usable(t, cue, fld, avoid)), None)
    pick = pick or next((t for t in right if t.pos_ != "PRON" and _usable(t, cue, fld, avoid)), None)
    while (pick is not None and pick.dep_ in ("compound", "appos", "flat", "amod", "nmod") and pick.head not in (pick, cue)
           and not fld.in_quote(pick.head.idx) and abs(pick.head.i - cue.i) <= 12):
        pick = pick.head
    return pick


def _usable(head, cue, fld: _Field, avoid: list[tuple[int, int]]) -> bool:
    """A speaker head the parse may offer but that cannot be one: inside a quote or the content, across a
    paragraph break from its cue (a dateline or time stamp glued on), a date, or a heading in capitals."""
    if head.pos_ not in ("NOUN", "PROPN", "PRON") or head.text in ("'s", "’s"):
        return False
    if fld.in_quote(head.idx) or any(s <= head.idx < e for s, e in avoid):
        return False
    lo, hi = sorted((head.idx, cue.idx))
    if "\n" in fld.text[lo:hi]:
        return False
    m = fld.mention_holding(head.idx)
    if m is not None and m.label in ("DATE", "TIME"):
        return False
    return not ((m is None or m.label != "ORG") and len(head.text) >= 4 and head.text.isupper())


def _attribution(cue, fld: _Field, avoid: list[tuple[int, int]], marked: bool = False) -> _Attribution | None:
    """Speaker and cue of a cue token; `marked`: for a quote in marks, whose cue is certain, a speaker standing
    next to the cue is taken when the parse gives none."""
    head = _speaker_head(cue, marked)
    if head is not None:
        head = _named_apposition(head, cue, fld, avoid) or head
    if head is not None and not _usable(head, cue, fld, avoid):
        head = None
    if head is None and marked and cue.lower_ != "according":
        head = _adjacent_head(cue, fld, avoid)
    if head is None:
        return None
    if cue.lower_ == "according":
        nxt = cue.doc[cue.i + 1] if cue.i + 1 < len(cue.doc) else cue
        cue_span, lemma = (cue.idx, nxt.idx + len(nxt)), "according to"
    else:
        cue_span, lemma = (cue.idx, cue.idx + len(cue)), cue.lemma_.lower()
    start, end = _phrase(head, fld, avoid)
    return _resolved((start, end), *_speaker_kind(head, start, fld), cue_span, lemma)


def _named_apposition(head, cue, fld: _Field, avoid: list[tuple[int, int]]):
    """A named person beside a subject that names nobody or a place (`WASHINGTON -- President Obama, …, said`,
    `With 50 days until the election, Jane Doe, an adviser, called`): the apposition is the speaker. Role nouns keep their
    phrase (`The minister, Jane Doe, said`) and resolve to the name through `_speaker_kind`."""
    named = fld.mention_at(head.idx, head.idx + len(head))
    if named is not None and named.label in PERSON_LABELS and _usable(head, cue, fld, avoid):
        return None
    if head.pos_ == "PRON" or head.lemma_.lower() in ROLE_HEADS or head.lemma_.lower() in source_nouns():
        return None
    for c in head.children:
        m = fld.mention_at(c.idx, c.idx + len(c)) if c.dep_ == "appos" else None
        if m is not None and m.label in PERSON_LABELS and _usable(c, cue, fld, avoid):
            return c
    return None


def _resolved(span, kind: str, ent, cue_span, cue_lemma) -> _Attribution:
    """An attribution whose speaker is `ent` (a mention, or None when unresolved)."""
    return _Attribution(span, kind, mention_entity_id(ent) if ent else None, (ent.canonical or ent.text) if ent else None, cue_span, cue_lemma)


def _named_kind(m) -> str:
    return "person" if m.label in PERSON_LABELS else "organization"


def _speaker_kind(head, start: int, fld: _Field):
    """(speaker_kind, resolved mention or None). Named: person / organization. Pronouns and definite descriptions
    (`he`, `the minister`): `pronoun`, resolved to the nearest preceding named person (for a description, the
    nearest whose role fits). Unnamed sources (`a senior official`, `U.S. officials`): `anonymous`."""
    m = fld.mention_at(head.idx, head.idx + len(head))
    if m is not None:
        return _named_kind(m), m
    for c in head.children:  # "The Shadow Secretary of State, Theresa May, said": the apposition names the speaker
        named = fld.mention_at(c.idx, c.idx + len(c)) if c.dep_ == "appos" else None
        if named is not None:
            return _named_kind(named), named
    low = head.lower_
    if low in RELATIVES and head.head.dep_ == "relcl":  # "Smith, who said ...": the noun the clause modifies
        noun = head.head.head
        kind, ent = _speaker_kind(noun, noun.idx, fld) if noun is not head else ("unknown", None)
        return ("pronoun" if kind in ("person", "organization") else kind), ent
    if head.pos_ == "PRON" and low in PRONOUNS:
        want = PRONOUNS[low]
        found = fld.before(start, PERSON_LABELS) if want == "person" else fld.before(start, {"ORG"}) if want == "org" else None
        return "pronoun", found
    lemma = head.lemma_.lower()
    is_role = lemma in ROLE_HEADS or lemma in source_nouns()
    if not is_role:
        return "unknown", None
    dets = {c.lower_ for c in head.lefts if c.dep_ in ("det", "nummod", "predet", "amod")}
    definite = any(c.dep_ == "poss" for c in head.lefts) or bool(dets & {"the", "this", "that"})
    plural = head.tag_ in ("NNS", "NNPS")
    if definite and not plural:
        fit = fld.before(start, PERSON_LABELS, lemma)
        if fit is not None:
            return "pronoun", fit
    if lemma in source_nouns() or dets & _INDEFINITE or plural or not definite:
        return "anonymous", None
    return "unknown", None


_SPEAKER_LABEL = re.compile(r"([A-Z][A-Z.'’-]+(?: [A-Z][A-Z.'’-]+){0,2}):\s+")


def _labelled(fld: _Field, start: int, end: int) -> _Attribution:
    """A transcript's speaker label (`PENCE:`), linked to the person whose name ends with it."""
    label = fld.text[start:end].casefold()
    person = next((m for m in reversed(fld.mentions) if m.label in PERSON_LABELS and (m.canonical or m.text).casefold().split()[-1] == label), None)
    return _resolved((start, end), "person" if person else "unknown", person, None, None)


_DASH = re.compile(r"[\"”»']*\s*([―—–]+)\s*")
_SIGNATURE = re.compile(r"((?:[A-Z][\w.'’-]*)(?: [A-Z][\w.'’-]*){0,3})[.,]?[ \t]*(?:\n|$)")


def _dash_speaker(fld: _Field, e: int) -> _Attribution | None:
    """`“…” ― Jane Doe`: a dash after the closing mark and a name right after it."""
    m = _DASH.match(fld.text, e)
    if not m:
        return None
    name = next((x for x in fld.mentions if x.start == m.end() and x.label in SPEAKER_LABELS), None)
    if name is not None:
        return _resolved((name.start, name.end), _named_kind(name), name, m.span(1), m.group(1))
    # a signature the model did not tag: capitalised words alone up to the end of the line (`” ― Jo Ann Roe`)
    line = _SIGNATURE.match(fld.text, m.end())
    if line is None:
        return None
    start, end = line.span(1)
    end -= fld.text[end - 1] in ".,"
    return _resolved((start, end), "unknown", None, m.span(1), m.group(1))


def _lead_in(doc, fld: _Field, s: int, e: int) -> _Attribution | None:
    """A quote with no cue of its own, right after a sentence of the same paragraph (`Sanders blamed the press.
    “…”`) or after a colon (`Obama has a new message: “…”`, `Sanders made this comment:` / quote paragraph), is
    the named subject's of that sentence (its verb is the cue)."""
    span = doc.char_span(s, e, alignment_mode="expand")
    if span is None or span.start < 2:
        return None
    prev = doc[span.start - 2]
    while prev.i > 0 and prev.is_space:
        prev = doc[prev.i - 1]
    gap = fld.text[prev.idx : s]
    if not (prev.text == ":" or (prev.text in _SENTENCE_END and "\n" not in gap)) or gap.count("\n") > 2:
        return None
    root = prev.sent.root
    subj = next((c for c in root.children if c.dep_ == "nsubj"), None)
    if subj is None or not _usable(subj, root, fld, [(s, e)]) or fld.mention_at(subj.idx, subj.idx + len(subj)) is None:
        return None
    return _attribution(root, fld, [(s, e)])


# --- cues ---------------------------------------------------------------------------------------------------------


def _is_cue(tok) -> bool:
    if tok.lower_ == "according":
        nxt = tok.doc[tok.i + 1] if tok.i + 1 < len(tok.doc) else None
        return nxt is not None and nxt.lower_ == "to"
    frames = cue_frames().get(tok.lemma_.lower())
    if not frames or tok.pos_ not in ("VERB", "AUX") or tok.lemma_.lower() == "be":
        return False
    if frames == {"as-it"}:  # only in `as X put it`
        kids = {c.lower_ for c in tok.children}
        return "it" in kids and "as" in kids
    return True


def _cue_candidates(doc) -> list:
    """The tokens that may be cues, in order (`_is_cue` decides): "according", and verbs whose lemma is a cue
    verb's. Chosen from arrays of the Doc: most tokens are neither, and Token objects are costly to make."""
    import numpy as np
    from spacy.attrs import LEMMA, LOWER, POS
    from spacy.symbols import AUX, VERB

    strings, frames = doc.vocab.strings, cue_frames()
    according = strings["according"]
    lower, pos, lemma = doc.to_array([LOWER, POS, LEMMA]).T
    at = np.flatnonzero((lower == according) | (pos == VERB) | (pos == AUX))
    lowers, lemmas = lower[at].tolist(), lemma[at].tolist()
    cues = {h for h in set(lemmas) if strings[h].lower() in frames}
    return [doc[i] for i, low, lem in zip(at.tolist(), lowers, lemmas) if low == according or lem in cues]


def _window_cue(doc, fld: _Field, s: int, e: int):
    """The cue of a quoted passage [s, e): after the closing mark (`,” she said`), else before the opening mark
    (`She said: “`), within the sentence and paragraph, or in the paragraph before when it ends with a colon
    (`He said:` / quote paragraph)."""
    text = fld.text
    para_start = text.rfind("\n", 0, s) + 1
    para_end = text.find("\n", e)
    para_end = len(text) if para_end < 0 else para_end
    span = doc.char_span(s, e, alignment_mode="expand")
    if span is None:
        return None
    before_text = text[para_start:s].rstrip(" " + MARKS + "'")
    if not before_text and text[:para_start].rstrip().endswith(":"):
        para_start = text.rfind("\n", 0, len(text[:para_start].rstrip())) + 1
        before_text = text[para_start:s].rstrip(" \n" + MARKS + "'")
    leads = before_text[-1:] in (":", ",") if before_text else False
    after = []
    for tok in doc[span.end :]:
        if tok.idx >= para_end or (tok.idx > e + 1 and tok.text in MARKS and _orientation(text, tok.idx, 1, False) == "open"):
            break
        if tok.text in _SENTENCE_END or len(after) > 40:
            break
        after.append(tok)
    before = []
    stop = None
    for tok in reversed(doc[: span.start]):
        if tok.idx < para_start or tok.text in _SENTENCE_END or len(before) > 25:
            stop = tok if tok.idx >= para_start and tok.text in _SENTENCE_END else None
            break
        if tok.text in MARKS and tok.idx < s - 1 and _orientation(text, tok.idx, 1, True) == "close":
            break
        before.append(tok)
    after_cue = next((t for t in after if _is_cue(t)), None)
    before_cue = next((t for t in before if _is_cue(t)), None)
    if before_cue is None and stop is not None and all(t.is_punct for t in before):
        # "... Schiff said. “The other factor ...”": a short attribution closing the sentence before the quote
        before_cue = next((t for t in reversed(doc[max(0, stop.i - 4) : stop.i]) if _is_cue(t) and not any(c.dep_ in ("dobj", "ccomp", "neg") for c in t.children)), None)
    continues = text[:e].rstrip(" '’\"”")[-1:] in (",", "?", "!", "—", "–", "-")
    if after_cue is not None and not continues and any(c.dep_ == "ccomp" and c.i > after_cue.i for c in after_cue.children):
        after_cue = None  # `“… end.” She said new mothers …`: the next sentence reports something else
    if after_cue is not None and continues and after_cue.i - span.end <= 8:
        return after_cue  # “…,” she said — even after a colon-led lead-in
    return (before_cue or after_cue) if leads else (after_cue or before_cue)


def _governing_cues(span) -> list:
    """The cues a few quoted words hang from, outermost first: ancestors that are cue verbs or carry `according
    to` (`Clinton says she liked what she calls a “war of words”` is Clinton's)."""
    found = []
    tok = span.root
    for _ in range(12):
        if not (span.start <= tok.i < span.end):
            if _is_cue(tok):
                found.append(tok)
            found += [c for c in tok.children if c.lower_ == "according" and _is_cue(c)]
        if tok.head is tok:
            break
        tok = tok.head
    return found[::-1]


# --- reported speech ----------------------------------------------------------------------------------------------


def _clip(doc, lo: int, hi: int, text: str) -> tuple[int, int] | None:
    """Char span of tokens lo..hi (inclusive) without edge punctuation; None when too short to be a statement."""
    while lo <= hi and (doc[lo].is_punct or doc[lo].is_space) and doc[lo].text not in MARKS:
        lo += 1
    while hi >= lo and (doc[hi].is_punct or doc[hi].is_space) and doc[hi].text not in MARKS:
        hi -= 1
    if hi - lo < 1:
        return None
    return doc[lo].idx, doc[hi].idx + len(doc[hi])


def _reported(cue, fld: _Field) -> tuple[int, int] | None:
    """The reported content of a cue: its clausal complement (`said (that) ...`), its to-infinitive for commissive
    verbs (`vowed to ...`), the clause it is tucked into (`..., he said.` / `X said, should ..., Y`), or the clause
    `according to X` modifies."""
    doc, text = cue.doc, fld.text
    if cue.lower_ == "according":
        clause = cue.head
        if cue.i < clause.i:
            return _clip(doc, cue.right_edge.i + 1, clause.right_edge.i, text)
        return _clip(doc, clause.left_edge.i, cue.left_edge.i - 1, text)
    frames = cue_frames().get(cue.lemma_.lower(), frozenset())
    comp = [c for c in cue.children if c.dep_ == "ccomp"]
    if not comp and "to" in frames:
        comp = [c for c in cue.children if c.dep_ == "xcomp"]
    if cue.dep_ in ("ccomp", "parataxis") and cue.head.i > cue.i and cue.i + 1 < len(doc) and doc[cue.i + 1].text in (",", ":"):
        return _clip(doc, cue.i + 1, cue.head.right_edge.i, text)  # "X said, should ..., the sanctions would ..."
    if comp:
        return _clip(doc, comp[0].left_edge.i, comp[-1].right_edge.i, text)
    if (cue.dep_ in ("ccomp", "parataxis") and cue.head.i < cue.i and cue.head.pos_ in ("VERB", "AUX")
            and doc[cue.left_edge.i - 1].text == "," and not _is_cue(cue.head)):
        return _clip(doc, cue.head.left_edge.i, cue.left_edge.i - 1, text)  # "..., he said."
    if "object" in frames and not (cue.dep_ == "ccomp" and _is_cue(cue.head)):  # not inside another's report
        parts = [c for c in cue.rights if c.dep_ in _OBJECT_DEPS]
        if any(c.dep_ == "dobj" or c.lower_ in ("for", "on") for c in parts):
            return _clip(doc, parts[0].left_edge.i, parts[-1].right_edge.i, text)
    return None


# --- assembly -----------------------------------------------------------------------------------------------------


def _paragraph_index(text: str, pos: int) -> int:
    return sum(1 for m in _BLANK.finditer(text, 0, pos) if m.end() <= pos)


def _field_quotes(fld: _Field) -> list[Quote]:
    text, doc = fld.text, fld.doc
    rows: list[tuple[int, int, str, _Attribution | None]] = []
    # 1. Direct and partial quotes.
    marked: list[tuple[int, int, str, object]] = []
    for s, e in fld.quotes:
        span = doc.char_span(s, e, alignment_mode="expand")
        if span is None:
            continue
        if _is_name(text, s, e):
            continue
        label = _SPEAKER_LABEL.match(text, s, e)
        if label:  # transcript: “PENCE: Well, …”
            marked.append((label.end(), e, "direct", _labelled(fld, label.start(1), label.end(1))))
            continue
        kind = "direct" if _is_direct(text, s, e) else "partial"
        cues = [_window_cue(doc, fld, s, e)] if kind == "direct" else [*_governing_cues(span), _window_cue(doc, fld, s, e)]
        marked.append((s, e, kind, [c for c in cues if c is not None]))
    # 2. Reported speech outside quotes; content holding a partial quote gives that quote its speaker instead.
    reported: list[tuple[int, int, _Attribution]] = []
    for tok in _cue_candidates(doc):
        if not _is_cue(tok) or fld.in_quote(tok.idx):
            continue
        content = _reported(tok, fld)
        if content is None:
            continue
        attr = _attribution(tok, fld, [content])
        outer = _reporting_cue(tok) if attr is not None and _evidence(tok) else None
        if outer is not None:  # `Smith said the videos show …`: what the videos show is Smith's claim
            attr = _attribution(outer, fld, [content]) or attr
        if attr is None:
            continue
        reported.append((content[0], content[1], attr))
    last: _Attribution | None = None
    last_end = -1
    for s, e, kind, cues in marked:
        if isinstance(cues, _Attribution):
            rows.append((s, e, kind, cues))
            continue
        attr = next((a for a in (_attribution(c, fld, [(s, e)], marked=True) for c in cues) if a is not None), None)
        holder = next((a for cs, ce, a in reported if cs <= s and e <= ce), None)
        if kind == "partial" and holder is not None:
            attr = holder
        if attr is None and kind == "direct":
            attr = _dash_speaker(fld, e) or _lead_in(doc, fld, s, e)
        if attr is None and kind == "direct" and last is not None and _paragraph_index(text, s) - _paragraph_index(text, last_end) <= 1:
            attr = last  # a quote continuing the previous speaker's ("…,” she said. “…”, or the next paragraph)
        if attr is None and kind == "partial":
            continue  # a few quoted words nobody is said to have said: scare quotes, titles
        rows.append((s, e, kind, attr))
        if attr is not None:
            last, last_end = attr, e
    taken = [(s - 1, e + 1) for s, e, _, _ in rows]
    for s, e, attr in sorted(reported, key=lambda r: (r[0], -(r[1] - r[0]))):
        if any(s < te and ts < e for ts, te in taken):
            continue
        if any(fld.in_quote(p) for p in (s, e - 1)):
            continue
        taken.append((s, e))
        rows.append((s, e, "indirect", attr))
    out = []
    for s, e, kind, a in sorted(rows, key=lambda r: (r[0], r[1])):
        sp = a.speaker if a else None
        out.append(Quote(
            fld.name, _paragraph_index(text, s), s, e, text[s:e], kind,
            text[sp[0] : sp[1]] if sp else None, sp[0] if sp else None, sp[1] if sp else None,
            a.entity_id if a else None, a.canonical if a else None, a.kind if a else None,
            text[a.cue[0] : a.cue[1]] if a and a.cue else None, a.cue_lemma if a else None,
        ))
    return out


def build_quotes(rows: list[tuple[str, list[Quote]]]) -> pa.Table:
    """(article_id, quotes) pairs to the `quotes` table."""
    cols: dict[str, list] = {name: [] for name in QUOTES.names}
    for article_id, quotes in rows:
        for q in quotes:
            values = {
                "quote_id": quote_id(article_id, q), "article_id": article_id, "field": q.field, "paragraph_index": q.paragraph_index,
                "start_char": q.start, "end_char": q.end, "text": q.text, "quote_type": q.quote_type,
                "speaker_text": q.speaker_text, "speaker_start_char": q.speaker_start, "speaker_end_char": q.speaker_end,
                "speaker_entity_id": q.speaker_entity_id, "speaker_canonical": q.speaker_canonical, "speaker_kind": q.speaker_kind,
                "cue": q.cue, "cue_lemma": q.cue_lemma,
            }
            for name in QUOTES.names:
                cols[name].append(values[name])
    return pa.Table.from_pydict(cols, schema=QUOTES)
