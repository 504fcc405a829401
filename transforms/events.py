"""The `events` table: who did what to whom, when and where, coded in PLOVER with CAMEO roots, from the article's
spaCy Docs and resolved mentions.

Rules over the dependency parse, no extra model. A trigger is a lexicon pattern (`transforms/lexicons/
event_triggers.tsv`: verbs, verbs with a particle, light verb + noun, event nouns), each with its CAMEO code. Actors
come from the trigger's subject/agent and object/prepositional target, the date from a DATE mention in the
trigger's clause, the place from an `in/at/near` place, the mode from auxiliaries, negation, conditionals and
planning verbs. An action its own actor announces as an intention or a threat ("said it would release", "vowed to
impose sanctions") takes the CAMEO 03 / 13 code, as CAMEO codes it.
"""

from __future__ import annotations

import bisect
import csv
import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import pyarrow as pa

from newsflow.schema import EVENTS

LEXICONS = Path(__file__).parent / "lexicons"


@dataclass(frozen=True)
class Event:
    field: str
    sentence_index: int
    start: int  # evidence span
    end: int
    text: str
    trigger: str
    trigger_lemma: str
    trigger_start: int
    trigger_end: int
    event_type: str
    cameo_root: str
    quad_class: int
    goldstein: float
    actor1_text: str | None = None
    actor1_entity_id: str | None = None
    actor1_country: str | None = None
    actor2_text: str | None = None
    actor2_entity_id: str | None = None
    actor2_country: str | None = None
    location_text: str | None = None
    location_entity_id: str | None = None
    location_country: str | None = None
    event_date: date | None = None
    date_text: str | None = None
    date_precision: str | None = None
    date_source: str | None = None
    mode: str = "asserted"
    confidence: float = 0.5
    cameo_code: str | None = None


def event_id(article_id: str, e: Event) -> str:
    return hashlib.sha256(f"{article_id}|{e.field}|{e.trigger_start}|{e.trigger_end}|{e.event_type}".encode()).hexdigest()[:20]


# --- lexicon ---------------------------------------------------------------------------------------------------------

PREPS = {"for", "with", "to", "on", "upon", "against", "into", "in", "of", "between", "down", "out", "off", "back", "up", "at", "from"}


@dataclass(frozen=True)
class Code:
    code: str
    root: str
    quad_class: int
    goldstein: float
    plover: str


@dataclass(frozen=True)
class Pattern:
    pattern: str
    pos: str  # VERB, NOUN, LIGHT
    head: str  # lemma the pattern is indexed by (verb, or noun for NOUN)
    noun: str | None  # LIGHT: the object noun
    extra: tuple[str, ...]  # particles / prepositions (VERB, NOUN) or particles / noun modifiers (LIGHT)
    code: Code
    requires: str


@dataclass(frozen=True)
class Lexicon:
    codes: dict  # CAMEO code -> Code
    verbs: dict  # lemma -> [Pattern] (VERB and LIGHT)
    speech: dict  # lemma -> Pattern (SPEECH: "said that X must …")
    nouns: dict  # lemma -> [Pattern]
    intent: list  # (action prefix, intent code), longest prefix first
    metonyms: dict  # lower-case name -> country
    humans: frozenset  # nouns for people
    actor_nouns: frozenset  # nouns for people, groups and institutions
    verbal: dict  # pattern -> Code when its target is a named person (VERBAL: "Trump attacks Machado")


def _rows(name: str):
    with (LEXICONS / name).open(encoding="utf-8") as fh:
        yield from csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t")


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The shipped trigger lexicon and CAMEO tables, loaded once."""
    codes = {
        r["cameo_code"]: Code(r["cameo_code"], r["cameo_root"], int(r["quad_class"]), float(r["goldstein"]), r["plover"])
        for r in _rows("cameo_plover.tsv")
    }
    verbs: dict[str, list] = {}
    nouns: dict[str, list] = {}
    speech: dict[str, Pattern] = {}
    verbal: dict[str, Code] = {}
    for r in _rows("event_triggers.tsv"):
        words = tuple(r["pattern"].split())
        code = codes[r["cameo_code"]]
        if r["pos"] == "SPEECH":
            speech[words[0]] = Pattern(r["pattern"], "VERB", words[0], None, (), code, r["requires"] or "")
        elif r["pos"] == "VERBAL":
            verbal[r["pattern"]] = code
        elif r["pos"] == "NOUN":
            n = len(words)
            while n > 1 and words[n - 1] in PREPS:
                n -= 1
            p = Pattern(r["pattern"], "NOUN", words[n - 1], None, words[: n - 1] + words[n:], code, r["requires"] or "")
            nouns.setdefault(p.head, []).append(p)
        elif r["pos"] == "LIGHT":
            p = Pattern(r["pattern"], "LIGHT", words[0], words[-1], words[1:-1], code, r["requires"] or "")
            verbs.setdefault(p.head, []).append(p)
        else:
            p = Pattern(r["pattern"], "VERB", words[0], None, words[1:], code, r["requires"] or "")
            verbs.setdefault(p.head, []).append(p)
    for table in (verbs, nouns):  # most specific pattern first
        for pats in table.values():
            pats.sort(key=lambda p: (-(p.noun is not None), -len(p.extra)))
    intent = sorted(((r["action_prefix"], r["intent_code"]) for r in _rows("intent_codes.tsv")), key=lambda x: -len(x[0]))
    metonyms = {r["name"]: r["country"] for r in _rows("actor_metonyms.tsv")}
    nouns_kind = {r["noun"]: r["kind"] for r in _rows("actor_nouns.tsv")}
    humans = frozenset(n for n, kind in nouns_kind.items() if kind == "person")
    return Lexicon(codes, verbs, speech, nouns, intent, metonyms, humans, frozenset(nouns_kind), verbal)


# --- grammar words ---------------------------------------------------------------------------------------------------

SUBJ = {"nsubj", "csubj"}
OBJ = ("dative", "dobj", "attr", "oprd")
TARGET_PREPS = ("with", "to", "against", "on", "upon", "at", "into", "toward", "towards", "from", "over", "for")
PLACE_PREPS = {"in", "at", "near", "outside", "inside", "around"}
CLAUSE_BOUNDARY = {"ccomp", "advcl", "relcl", "parataxis", "csubj", "conj", "xcomp", "acl", "pcomp", "cc", "mark"}
FRAME_TYPES = {"AGREE", "DEMAND", "REJECT", "THREATEN", "DISAPPROVE"}
FRAME_COMPLEMENTS = {"xcomp", "ccomp", "dobj", "dative", "prep", "pobj", "acl", "attr", "oprd", "acomp", "pcomp"}
SYMMETRIC = {"CONSULT", "COOPERATE", "AGREE", "FIGHT", "SUPPORT"}
# Verbs and adjectives that put what they govern in the future ("plans to visit", "is expected to make clear").
PLAN_WORDS = {
    "plan", "schedule", "expect", "intend", "prepare", "agree", "promise", "pledge", "vow", "threaten", "set", "due", "aim",
    "hope", "want", "decide", "offer", "ready", "willing", "prepared", "poised", "going", "slate", "seek", "propose", "commit",
    "committed", "likely", "able", "arrange", "organize", "organise", "volunteer", "refuse",
    "decline", "demand", "urge", "ask", "call",
}
PLAN_MODIFIERS = {"upcoming", "planned", "scheduled", "proposed", "forthcoming", "next", "future", "expected", "coming"}
HYPOTHETICAL_MODIFIERS = {"possible", "potential", "hypothetical", "would-be"}
# Verbs a speaker uses to announce his own intention or threat, and the frames "make clear", "warn".
SPEECH = {
    "say", "announce", "confirm", "declare", "state", "tell", "add", "insist", "promise", "pledge", "vow", "decide", "warn",
    "indicate", "signal", "make", "reiterate", "repeat", "stress", "affirm", "assert", "claim", "report", "predict",
}
PRONOUNS = {"he", "she", "it", "they", "we", "him", "her", "them", "us", "its", "their", "his"}
STATIVE_PASSIVES = {"opposed", "committed", "determined", "resolved", "prepared", "poised", "involved"}
ACTOR_LABELS = ("PERSON", "ORG", "GPE", "NORP", "LOC", "FAC")
PLACE_LABELS = ("GPE", "LOC", "FAC")
_PRECISION = [(re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:T.*)?$"), "day"), (re.compile(r"^(\d{4})-W(\d{2})$"), "week"),
              (re.compile(r"^(\d{4})-(\d{2})$"), "month"), (re.compile(r"^(\d{4})$"), "year")]


def _pronoun(t) -> bool:
    return t.pos_ == "PRON" and t.lower_ in PRONOUNS


def date_of(value: str | None) -> tuple[date, str] | None:
    """A TIMEX3 calendar value to (first day, precision); None for anything else (durations, XXXX, PAST_REF)."""
    for rx, precision in _PRECISION:
        m = rx.match(value or "")
        if not m:
            continue
        y = int(m.group(1))
        try:
            if precision == "day":
                return date(y, int(m.group(2)), int(m.group(3))), precision
            if precision == "week":
                return date.fromisocalendar(y, int(m.group(2)), 1), precision
            if precision == "month":
                return date(y, int(m.group(2)), 1), precision
            return date(y, 1, 1), precision
        except ValueError:
            return None
    return None


# --- one article ---------------------------------------------------------------------------------------------------


@dataclass
class _Actor:
    text: str
    entity_id: str | None
    country: str | None
    human: bool  # a person or group of people (for `requires=human`)
    tokens: frozenset
    label: str | None = None  # label of the linked mention


@dataclass
class _Trigger:
    head: object  # the token the pattern is anchored on (verb, or noun for NOUN)
    pattern: Pattern
    tokens: list  # tokens of the trigger phrase


class _Field:
    """One field's Doc, text and mentions, with the lookups the rules need."""

    def __init__(self, field: str, doc, text: str, mentions: list):
        from spacy.attrs import IDX, LENGTH

        self.field, self.doc, self.text = field, doc, text
        self.mentions = sorted((m for m in mentions if m.field == field), key=lambda m: m.start)
        self.by_token: dict[int, object] = {}
        # Token offsets from one array (Token objects are costly to make); a mention's first token is the one
        # holding its first character: the last token starting at or before it, found by bisection.
        self.starts, self.lengths = (col.tolist() for col in doc.to_array([IDX, LENGTH]).T)
        for m in self.mentions:
            i = bisect.bisect_right(self.starts, m.start) - 1
            if i < 0 or m.start >= self.starts[i] + self.lengths[i]:
                i = None
            while i is not None and i < len(doc) and self.starts[i] < m.end:
                self.by_token.setdefault(i, m)
                i += 1
        self.sent_starts = [s.start for s in doc.sents]
        self._clauses: dict[int, list] = {}
        self._conditions: dict[int, list] = {}

    def clause_tokens(self, root) -> list:
        """`_clause_tokens(root)`, worked out once per root: the date, place, mode and extent rules of the events
        walk the same clauses."""
        if root.i not in self._clauses:
            self._clauses[root.i] = _clause_tokens(root)
        return self._clauses[root.i]

    def conditions(self, sent) -> list[tuple[int, int, set[int]]]:
        """The conditional clauses of a sentence, worked out once per sentence (for `_under_condition`): the token
        range of each, and the verbs right before and right after it."""
        if sent.start not in self._conditions:
            found = []
            for c in sent:
                if c.pos_ not in ("VERB", "AUX") or not _conditional(c):
                    continue
                own = self.clause_tokens(c)
                lo, hi = min(t.i for t in own), max(t.i for t in own)
                before = next((t for t in reversed(sent.doc[sent.start : lo]) if t.pos_ == "VERB"), None)
                after = next((t for t in sent.doc[hi + 1 : sent.end] if t.pos_ == "VERB"), None)
                found.append((lo, hi, {x.i for x in (before, after) if x is not None}))
            self._conditions[sent.start] = found
        return self._conditions[sent.start]

    def mention(self, tok):
        return self.by_token.get(tok.i)

    def span_text(self, a: int, b: int) -> str:
        return self.text[self.starts[a] : self.starts[b] + self.lengths[b]]


def article_events(docs: dict, texts: dict, mentions: list, published_at: datetime | None) -> list[Event]:
    """Events of one article. `docs` and `texts` by field (the Docs may be of a re-cased copy of the same length;
    offsets and text come from `texts`); `mentions` are the article's resolved `Mention`s."""
    from transforms.mentions import mention_entity_id, model_text

    lex = lexicon()
    published = published_at.date() if isinstance(published_at, datetime) else published_at
    out: list[Event] = []
    for field, doc in docs.items():
        text = texts.get(field) or (model_text(doc) if doc is not None else "")
        if doc is None or not text:
            continue
        f = _Field(field, doc, text, mentions)
        triggers = _triggers(doc, f, lex)
        suppressed = _suppressed(triggers)
        for trig in triggers:
            if trig.head.i in suppressed:
                continue
            ev = _event(trig, triggers, f, lex, published, mention_entity_id)
            if ev is not None:
                out.append(ev)
    return out


def _triggers(doc, f: _Field, lex: Lexicon) -> list[_Trigger]:
    """Every lexicon match in the Doc, one per head token; a noun taken by a light verb is not its own trigger."""
    found: dict[int, _Trigger] = {}
    taken: set[int] = set()
    for tok in _candidates(doc, f, lex):
        lemma = tok.lemma_.lower()
        if tok.pos_ in ("VERB", "AUX") or (tok.pos_ == "NOUN" and tok.tag_.startswith("VB")):
            around = _VerbContext(tok)  # shared by the patterns, tried in order: the first match wins
            for p in [p for key in _verb_keys(tok, lemma, lex) for p in lex.verbs[key]] + _speech(tok, lemma, lex):
                toks = _match_verb(around, p)
                if toks is not None:
                    found[tok.i] = _Trigger(tok, p, toks)
                    if p.noun:
                        taken.add(toks[-1].i)
                    break
        elif (tok.pos_ == "NOUN" or (tok.pos_ == "PROPN" and f.field == "title")) and f.mention(tok) is None and tok.dep_ != "compound":
            for p in lex.nouns.get(lemma, ()):
                toks = _match_noun(tok, p)
                if toks is not None:
                    found[tok.i] = _Trigger(tok, p, toks)
                    break
    return sorted((t for i, t in found.items() if i not in taken), key=lambda t: t.head.i)


def _candidates(doc, f: _Field, lex: Lexicon):
    """The tokens `_triggers` may match, in order (it checks them all again): verbs, and nouns (proper nouns in a
    title) that are tagged as verbs or whose lemma has a noun pattern. Chosen from arrays of the Doc: Token objects
    and their string attributes are costly to make, and most tokens are neither."""
    import numpy as np
    from spacy.attrs import LEMMA, POS, TAG
    from spacy.symbols import AUX, NOUN, PROPN, VERB

    strings = doc.vocab.strings
    pos, tag, lemma = doc.to_array([POS, TAG, LEMMA]).T
    verbs = (pos == VERB) | (pos == AUX)
    nouns = (pos == NOUN) | ((pos == PROPN) & (f.field == "title"))
    at = np.flatnonzero(verbs | nouns)
    tags, lemmas = tag[at].tolist(), lemma[at].tolist()
    verb_tags = {h for h in set(tags) if strings[h].startswith("VB")}
    noun_lemmas = {h for h in set(lemma[nouns].tolist()) if strings[h].lower() in lex.nouns}
    for i, verb, t, lem in zip(at.tolist(), verbs[at].tolist(), tags, lemmas):
        if verb or t in verb_tags or lem in noun_lemmas:
            yield doc[i]


def _verb_keys(tok, lemma: str, lex: Lexicon) -> list[str]:
    """The lemma, or when the lemmatizer slips ("staged" -> "stag") the form with its inflection undone."""
    if lemma in lex.verbs:
        return [lemma]
    w = tok.lower_
    for suffix, repl in (("ied", "y"), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", ""), ("es", ""), ("s", "")):
        if w.endswith(suffix) and w[: -len(suffix)] + repl in lex.verbs:
            return [w[: -len(suffix)] + repl]
    return []


def _speech(tok, lemma: str, lex: Lexicon) -> list[Pattern]:
    """ "declared that China must drop barriers": a speech verb whose reported clause puts an obligation on someone
    other than the speaker is a demand."""
    p = lex.speech.get(lemma)
    if p is None:
        return []
    subj = next((c for c in tok.children if c.dep_ == "nsubj"), None)
    for clause in (c for c in tok.children if c.dep_ == "ccomp"):
        other = next((c for c in clause.children if c.dep_ in ("nsubj", "nsubjpass")), None)
        must = any(c.dep_ == "aux" and c.lower_ in ("must", "should") and (other is None or c.i > other.i) for c in clause.children)
        if must and other is not None and other.pos_ != "PRON" and _names_actor(other, None) and (subj is None or other.lemma_ != subj.lemma_):
            return [p]
    return []


class _VerbContext:
    """What `_match_verb` reads around a verb, worked out once, when first needed, for all the patterns of its
    lemma: its children, its particles and close prepositions, the objects a light verb's noun may be."""

    def __init__(self, tok):
        self.tok = tok
        self._kids: list | None = None
        self._parts: list | None = None
        self._objs: list | None = None
        self._words: set | None = None
        self._lefts: dict[int, set] = {}

    @property
    def kids(self) -> list:
        if self._kids is None:
            self._kids = list(self.tok.children)
        return self._kids

    @property
    def parts(self) -> list:
        """(word, token): a particle anywhere ("forced the agency out"), a preposition close by ("called Thursday
        on Arabs")."""
        if self._parts is None:
            i = self.tok.i
            self._parts = [(c.lower_, c) for c in self.kids if c.dep_ == "prt" or (c.dep_ in ("prep", "agent") and 0 < c.i - i <= 3 and not _dated(c))]
        return self._parts

    @property
    def objs(self) -> list:
        """(lemma, token) of the objects, in the order they are tried."""
        if self._objs is None:
            kids = self.kids
            passive = any(c.dep_ == "auxpass" for c in kids)
            objs = [c for c in kids if c.dep_ in ("dobj", "attr", "oprd") or (passive and c.dep_ == "nsubjpass")]
            objs += [g for c in kids if c.dep_ == "prep" for g in c.children if g.dep_ == "pobj"]  # "put on alert"
            objs += [x for o in list(objs) for x in o.children if x.dep_ in ("compound", "conj")]
            self._objs = [(o.lemma_.lower(), o) for o in objs]
        return self._objs

    def around(self, k: int) -> set:
        """The verb's particles and prepositions, and the lemmas left of object k."""
        if self._words is None:
            self._words = {c.lower_ for c in self.kids if c.dep_ in ("prt", "prep")}
        if k not in self._lefts:
            self._lefts[k] = {c.lemma_.lower() for c in self.objs[k][1].lefts}
        return self._words | self._lefts[k]


def _match_verb(verb: _VerbContext, p: Pattern):
    tok = verb.tok
    if p.noun is None:
        parts = [c for word, c in verb.parts if word in p.extra] if p.extra else []
        if len({c.lower_ for c in parts}) < len(set(p.extra)):
            return None
        return sorted([tok, *parts], key=lambda t: t.i)
    for k, (lemma, obj) in enumerate(verb.objs):
        if lemma != p.noun:
            continue
        around = verb.around(k)
        if all(w in around for w in p.extra):
            return sorted({tok, obj, *(c for c in verb.kids if c.dep_ == "prt" and c.lower_ in p.extra)}, key=lambda t: t.i)
    return None


def _match_noun(tok, p: Pattern):
    if not p.extra:
        return [tok]
    lefts = {c.lemma_.lower(): c for c in tok.lefts if c.dep_ in ("compound", "amod", "nmod")}
    preps = {c.lower_: c for c in tok.rights if c.dep_ == "prep" and not _dated(c)}
    toks = [tok]
    for w in p.extra:
        if w in lefts:
            toks.append(lefts[w])
        elif w in preps:
            pass  # a preposition that must follow ("calls for"): it stays outside the trigger text
        else:
            return None
    return sorted(toks, key=lambda t: t.i)


def _dated(prep) -> bool:
    """ "for Thursday": a preposition whose object is a date (the doc's own NER; mentions agree on dates)."""
    return any(g.dep_ == "pobj" and g.ent_type_ in ("DATE", "TIME") for g in prep.children)


def _suppressed(triggers: list[_Trigger]) -> set[int]:
    """Triggers inside the complement of a frame ("refused to offer", "threatened to impose sanctions", "demanded
    a truce") are part of the frame's event, not events of their own."""
    heads = {t.head.i: t for t in triggers}
    out: set[int] = set()
    for t in triggers:
        if t.pattern.code.plover not in FRAME_TYPES:
            continue
        for child in t.head.children:
            if child.dep_ in FRAME_COMPLEMENTS:
                out |= {x.i for x in child.subtree if x.i in heads and x.i != t.head.i}
    return out


def _complement_trigger(trig: _Trigger, triggers: list[_Trigger]) -> _Trigger | None:
    """The first trigger in a frame's complement ("agreed to lift embargoes" -> lift embargo)."""
    heads = {t.head.i: t for t in triggers}
    for child in trig.head.children:
        if child.dep_ in FRAME_COMPLEMENTS:
            for x in child.subtree:
                if x.i in heads and x.i != trig.head.i:
                    return heads[x.i]
    return None


def _verb_of(tok):
    """The verb a noun trigger belongs to: "held talks" -> held, "during a call" -> spoke."""
    t = tok
    for _ in range(6):
        if t.pos_ in ("VERB", "AUX") or t.dep_ == "ROOT":
            return t
        if t.dep_ in ("nsubj", "nsubjpass", "dobj", "pobj", "prep", "attr", "dative", "oprd", "appos", "compound", "conj"):
            t = t.head
        else:
            return None
    return None


def _event(trig: _Trigger, triggers: list[_Trigger], f: _Field, lex: Lexicon, published: date | None, entity_of) -> Event | None:
    head, p = trig.head, trig.pattern
    verb = head if p.pos != "NOUN" else _verb_of(head)
    actor1, actor2 = _actors(trig, verb, f, lex, entity_of)
    if p.requires == "actor" and not (actor1 or actor2):
        return None
    if p.requires == "actor2" and actor2 is None:
        return None
    if p.requires == "human" and not (actor2 and actor2.human):
        return None
    if p.requires == "object" and any(c.dep_ in ("dobj", "nsubjpass") and not _names_actor(c, f) for c in head.children):
        return None  # "met its fiscal rules", "the bill was killed"
    if p.pos != "NOUN" and head.dep_ in ("amod", "compound", "nmod") and not (actor1 or actor2):
        return None  # "Russian-annexed Crimea": a participle used as an adjective names no event by itself
    mode = "hypothetical" if _under_condition(head, verb, f) else _mode(head, verb)
    date_hit = _date(head, verb, f)
    event_date, date_text, precision, source = date_hit if date_hit else (None, None, None, None)
    if event_date and published and event_date > published and mode == "asserted":
        mode = "planned"
    code = p.code
    if p.pattern in lex.verbal and actor2 is not None and actor2.label == "PERSON" and (actor1 is None or actor1.label == "PERSON"):
        code = lex.verbal[p.pattern]  # a candidate "attacks" a rival: words, not blows
    if p.code.plover in ("AGREE", "THREATEN"):  # "agreed to lift embargoes": the intent code of what was agreed
        inner = _complement_trigger(trig, triggers)
        if inner is not None:
            code = _intent(inner.pattern.code, lex, threat=p.code.plover == "THREATEN") or code
    elif mode in ("planned", "hypothetical") and _announced_by_actor(verb if verb is not None else head):
        code = _intent(p.code, lex) or code
    if not code.plover:
        return None
    place = _place(head, verb, f, actor2, entity_of)
    if actor2 is None and place is not None and code.plover not in ("CONSULT",) and not (actor1 and actor1.text == place[0]):
        actor2 = _Actor(place[0], place[1], place[2], False, frozenset())  # "reimposed blockades in the West Bank"
    sent_i = max(0, _bisect(f.sent_starts, head.i))
    a, b = _clause_extent(verb if verb is not None else head, head, f)
    a_tok, b_tok = trig.tokens[0], trig.tokens[-1]
    confidence = {"LIGHT": 0.8, "VERB": 0.75 if p.extra else 0.65, "NOUN": 0.55}[p.pos]
    confidence += 0.1 * bool(actor1) + 0.05 * bool(actor2) + 0.05 * bool(actor1 and actor1.entity_id)
    confidence += 0.05 * (head.dep_ == "ROOT" or (verb is not None and verb.dep_ == "ROOT"))
    confidence += 0.05 * (code.plover in FRAME_TYPES) + 0.05 * (code is not p.code)
    confidence -= 0.15 * (head.dep_ in ("relcl", "acl", "amod", "compound", "pcomp")) + 0.1 * (head.dep_ == "advcl")
    confidence -= 0.1 * (head.dep_ in ("advcl", "xcomp") and head.head.i in {t.head.i for t in triggers})  # "staged protests to demand …"
    return Event(
        field=f.field, sentence_index=sent_i, start=f.doc[a].idx, end=f.doc[b].idx + len(f.doc[b]), text=f.span_text(a, b),
        trigger=f.span_text(a_tok.i, b_tok.i), trigger_lemma=p.pattern, trigger_start=a_tok.idx, trigger_end=b_tok.idx + len(b_tok),
        event_type=code.plover, cameo_root=code.root, quad_class=code.quad_class, goldstein=code.goldstein,
        actor1_text=actor1.text if actor1 else None, actor1_entity_id=actor1.entity_id if actor1 else None,
        actor1_country=actor1.country if actor1 else None,
        actor2_text=actor2.text if actor2 else None, actor2_entity_id=actor2.entity_id if actor2 else None,
        actor2_country=actor2.country if actor2 else None,
        location_text=place[0] if place else None, location_entity_id=place[1] if place else None, location_country=place[2] if place else None,
        event_date=event_date, date_text=date_text, date_precision=precision, date_source=source, mode=mode,
        confidence=round(max(0.05, min(1.0, confidence)), 3), cameo_code=code.code,
    )


def _bisect(starts: list[int], i: int) -> int:
    return bisect.bisect_right(starts, i) - 1


def _intent(code: Code, lex: Lexicon, threat: bool = False) -> Code | None:
    """The CAMEO 03 (intent) or 13 (threat) code of an announced action; None for verbal acts (appeal, demand…)."""
    for prefix, intent in lex.intent:
        if code.code.startswith(prefix):
            found = lex.codes[intent]
            if threat and found.plover != "THREATEN":
                return None
            return found
    return None


def _announced_by_actor(t) -> bool:
    """ "X said it would release …", "X vowed to impose …": the future action is X's own announcement."""
    for _ in range(3):
        if t.dep_ not in ("ccomp", "xcomp", "conj") or t.head is t:
            return False
        gov = t.head
        if gov.lemma_.lower() in SPEECH | PLAN_WORDS and (t.dep_ == "xcomp" or _same_subject(t, gov)):
            return gov.lemma_.lower() not in ("expect", "schedule", "set", "due", "likely")
        t = gov
    return False


def _same_subject(clause, gov) -> bool:
    a = next((c for c in clause.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    b = next((c for c in gov.children if c.dep_ in ("nsubj",)), None)
    if a is None or b is None:
        return False
    return _pronoun(a) or a.lemma_.lower() == b.lemma_.lower()


# --- mode ----------------------------------------------------------------------------------------------------------


def _mode(head, verb) -> str:
    own = [head] + ([verb] if verb is not None and verb is not head else [])
    chain = _governing(own[-1])
    if any(_conditional(t) for t in own) or any(c.dep_ == "advcl" and _conditional(c) for t in own + chain for c in t.children):
        return "hypothetical"
    if any(c.lower_ in HYPOTHETICAL_MODIFIERS for c in head.lefts):
        return "hypothetical"  # "a potential invasion"
    negators = [c for t in (head, verb) if t is not None for c in t.children if c.dep_ == "neg" or (c.dep_ == "det" and c.lower_ == "no")]
    if negators:
        return "negated"
    if any(c.lower_ in PLAN_MODIFIERS for c in head.lefts) or any(c.dep_ == "acl" and c.lemma_.lower() in PLAN_WORDS for c in head.children):
        return "planned"
    for t in [x for x in (head, verb) if x is not None] + chain:
        auxes = [c for c in t.children if c.dep_ in ("aux", "auxpass")]
        if any(c.lower_ in ("will", "shall", "'ll", "’ll", "wo", "would") for c in auxes):
            return "planned"
        if any(c.lower_ == "to" for c in auxes) and (t.dep_ == "ROOT" or t.head.lemma_.lower() in PLAN_WORDS):
            return "planned"  # "Biden and Putin to Talk Thursday", "plans to visit"
        if t.dep_ in ("xcomp",) and t.head.lemma_.lower() in PLAN_WORDS:
            return "planned"
    if verb is not None and verb is not head and verb.lemma_.lower() in ("schedule", "plan", "expect", "slate", "arrange", "propose"):
        return "planned"  # "scheduled a call", "talks are planned", "on the call, Biden is expected to …"
    if verb is not None and any(c.lower_ == "ahead" for c in head.ancestors if c.i < head.i):
        return "planned"  # "comes ahead of talks"
    return "asserted"


def _under_condition(head, verb, f: _Field) -> bool:
    """The clause next to a conditional one ("… impose sanctions against Russia should it invade Ukraine",
    "should Russia invade, the sanctions would …"), or inside it. By position, because the parser often hangs the
    inverted "should" clause from the wrong verb."""
    for lo, hi, near in f.conditions(head.sent):
        if lo <= head.i <= hi or (verb is not None and lo <= verb.i <= hi):
            return True
        if head.i in near or (verb is not None and verb.i in near) or any(k.i in near for k in head.children if k.dep_ == "acl"):
            return True
    return False


def _governing(t) -> list:
    """Clauses that govern t without leaving its event (xcomp, conj, advcl), nearest first, at most three."""
    out = []
    while t.dep_ in ("xcomp", "conj", "advcl", "acl") and len(out) < 3 and t.head is not t:
        t = t.head
        out.append(t)
    return out


def _conditional(t) -> bool:
    """A clause under "if/unless", or with the inverted "should Russia invade"."""
    if any(c.dep_ == "mark" and c.lower_ in ("if", "unless") for c in t.children):
        return True
    subj = next((c for c in t.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    return subj is not None and any(c.dep_ == "aux" and c.lower_ in ("should", "were", "had") and c.i < subj.i for c in t.children)


# --- actors --------------------------------------------------------------------------------------------------------


# Noun events whose "of" phrase names who acts ("the request of Russia"); for the others it names the target
# ("the invasion of Ukraine").
OF_AGENT = {"DEMAND", "THREATEN", "REJECT", "DISAPPROVE", "AGREE", "SUPPORT", "PROTEST"}


def _actors(trig: _Trigger, verb, f: _Field, lex: Lexicon, entity_of) -> tuple[_Actor | None, _Actor | None]:
    head, p = trig.head, trig.pattern
    used = {t.i for t in trig.tokens}
    a1_tok = a2_tok = None
    if p.pos == "NOUN":
        # "Russia's invasion", "a Russian buildup", "invasion by Russia", "talks between X and Y", "sanctions against X"
        for c in head.children:
            if c.dep_ == "poss" or (c.dep_ in ("amod", "compound", "nmod") and _is_actor_token(c, f) and c.i not in used):
                a1_tok = a1_tok or c
            elif c.dep_ == "prep" and c.lower_ in ("by", "between", "of"):
                pobj = next((g for g in c.children if g.dep_ == "pobj"), None)
                if pobj is None or (c.lower_ == "of" and (p.code.plover not in OF_AGENT or not _names_actor(pobj, f))):
                    continue
                a1_tok = pobj
                if c.lower_ == "between":
                    a2_tok = next((g for g in pobj.children if g.dep_ == "conj"), None)
        a2_tok = a2_tok or _target(head, used | ({a1_tok.i} if a1_tok is not None else set()), f, p)
        if verb is not None and a1_tok is None and head.dep_ in ("dobj", "attr", "pobj", "nsubjpass", "oprd", "conj"):
            subj = _subject(verb)[0]
            a1_tok = subj if subj is not None and _names_actor(subj, f) else None
            if a2_tok is None and (head.dep_ != "pobj" or head.head.lower_ not in TARGET_PREPS):
                a2_tok = _target(verb, used | {head.i}, f, p)
    else:
        a1_tok, passive = _subject(head)
        a2_tok = _target(head, used, f, p, passive)
        if a1_tok is None and head.dep_ == "acl" and head.head.pos_ in ("NOUN", "PROPN"):
            owner = head.head  # "documents demanding …": the documents' sender acts
            a1_tok = owner if _is_actor_token(owner, f) else (_subject(owner.head)[0] if owner.dep_ in ("dobj", "nsubjpass") else None)
        if a1_tok is None and head.dep_ == "relcl" and not passive:
            a1_tok = head.head  # "the forces that shelled …" (not "Thailand, where 5,000 people were killed")
        if p.pattern in lexicon().speech:  # "declared that China must …": China is the one asked
            inner = next((c for c in head.children if c.dep_ == "ccomp"), None)
            a2_tok = next((c for c in inner.children if c.dep_ in ("nsubj", "nsubjpass")), None) if inner is not None else None
        if a2_tok is None and p.code.plover in FRAME_TYPES:  # "refused to offer Russia guarantees"
            inner = next((c for c in head.children if c.dep_ in ("xcomp", "ccomp")), None)
            if inner is not None:
                a2_tok = next((c for c in inner.children if c.dep_ == "nsubj" and c.i != (a1_tok.i if a1_tok is not None else -1)), None)
                a2_tok = a2_tok or _target(inner, used, f, p)
    if a2_tok is None or not _names_actor(a2_tok, f):  # "began a hunger strike to protest against Sweden's decision"
        for purpose in (c for c in (verb if verb is not None else head).children if c.dep_ in ("advcl", "xcomp") and any(a.lower_ == "to" for a in c.children)):
            found = _target(purpose, used, f, p)
            if found is not None and _names_actor(found, f):
                a2_tok = found
                break
    if a1_tok is not None and a2_tok is None and p.code.plover in SYMMETRIC:
        a2_tok = next((c for c in a1_tok.children if c.dep_ == "conj"), None)  # "Biden and Putin to talk"
    actor1 = _actor(a1_tok, f, lex, entity_of) if a1_tok is not None else None
    actor2 = _actor(a2_tok, f, lex, entity_of) if a2_tok is not None else None
    if actor1 and actor2 and actor1.tokens & actor2.tokens:
        actor2 = None
    return actor1, actor2


def _subject(t):
    """(actor token, passive) of a verb: its subject, the agent of a passive, or the subject of the verb it hangs
    from ("agreed to cooperate", "met and agreed")."""
    passive = any(c.dep_ == "auxpass" for c in t.children) and t.lower_ not in STATIVE_PASSIVES  # "Israel is opposed to"
    for _ in range(4):
        if t.dep_ == "pcomp" and t.head.head is not t.head:
            t = t.head.head  # "resorted to throwing stones", "guilty of violating"
            continue
        kids = list(t.children)
        if passive:
            agent = next((c for c in kids if c.dep_ == "agent"), None)
            if agent is not None:
                return next((g for g in agent.children if g.dep_ == "pobj"), None), True
        subj = next((c for c in kids if c.dep_ in SUBJ or (c.dep_ == "nsubjpass" and t.lower_ in STATIVE_PASSIVES)), None)
        if subj is not None and not passive:
            return subj, False
        if t.dep_ in ("xcomp", "conj", "advcl", "acomp") and t.head is not t and not passive:
            t = t.head
            continue
        if passive and t.dep_ in ("xcomp", "conj"):
            t = t.head
            continue
        break
    return None, passive


def _target(t, used: set, f: _Field, p: Pattern, passive: bool = False):
    """Who is acted on: a phrasal verb's object ("spoke with X"), the indirect or direct object, the object of a
    target preposition on the event noun ("imposed sanctions on X") or on the verb, the subject of a passive; the
    first one naming an actor wins."""
    kids = list(t.children)
    pobjs = lambda prep: [g for g in prep.children if g.dep_ == "pobj"]  # noqa: E731
    rank = lambda prep: TARGET_PREPS.index(prep.lower_)  # noqa: E731
    cands = [g for c in kids if c.dep_ in ("prep", "agent") and c.lower_ in p.extra for g in pobjs(c)]
    if cands:
        return cands[0]  # the pattern names its target: "spoke with X", "called on X"
    cands += [c for c in kids if c.dep_ in OBJ and c.i not in used]
    noun_rank = lambda prep: (TARGET_PREPS + ("of",)).index(prep.lower_)  # noqa: E731
    for noun in [c for c in kids if c.i in used and c.dep_ in ("dobj", "nsubjpass", "attr", "pobj")] + ([t] if t.i in used and t.pos_ != "VERB" else []):
        preps = sorted((c for c in noun.children if c.dep_ == "prep" and c.lower_ in TARGET_PREPS + ("of",)), key=noun_rank)
        cands += [g for prep in preps for g in pobjs(prep)]
    if passive:
        cands += [c for c in kids if c.dep_ == "nsubjpass"]
    preps = sorted((c for c in kids if c.dep_ == "prep" and c.lower_ in TARGET_PREPS and c.i not in used), key=rank)
    cands += [g for prep in preps for g in pobjs(prep)]
    cands = [c for c in cands if c.i not in used and not (f.mention(c) is not None and f.mention(c).label in ("DATE", "TIME"))]
    for c in cands:
        found = _actor_in(c, f)
        if found is not None:
            return found
    return next((c for c in cands if c.dep_ in OBJ), None)


def _actor_in(t, f: _Field, depth: int = 2):
    """t when it names an actor, else the first actor named in its prepositional phrases ("further action against
    Russia", "a truce with Moslem forces", "calls by Belarus's rulers")."""
    if _names_actor(t, f):
        return t
    if depth:
        staged_by = [a for c in t.children if c.dep_ == "acl" for a in c.children if a.dep_ == "agent"]  # "the protest staged by X"
        for prep in [c for c in t.children if c.dep_ == "prep" and c.lower_ in TARGET_PREPS + ("of", "by")] + staged_by:
            for g in prep.children:
                if g.dep_ == "pobj":
                    found = _actor_in(g, f, depth - 1)
                    if found is not None:
                        return found
    return None


def _is_actor_token(t, f: _Field) -> bool:
    m = f.mention(t)
    return m is not None and m.label in ACTOR_LABELS


def _names_actor(t, f: _Field) -> bool:
    """A pronoun, a people noun, or a phrase holding a name ("Russian officials", "the border of Ukraine")."""
    lex = lexicon()
    if _pronoun(t) or t.lemma_.lower() in lex.actor_nouns or t.lower_ in lex.metonyms:
        return True
    if t.pos_ == "PROPN" and t.ent_type_ not in ("DATE", "TIME", "MONEY", "PERCENT", "CARDINAL"):
        return True  # a name the model did not tag ("Kyiv")
    lo, hi = _phrase(t)
    if f is None:
        return any(t.doc[i].ent_type_ in ACTOR_LABELS for i in range(lo, hi + 1))
    return any(_is_actor_token(t.doc[i], f) for i in range(lo, hi + 1))  # "Chilean officials", not "military aid"


def _phrase(t) -> tuple[int, int]:
    """Token range of an actor's noun phrase: its modifiers and an "of" phrase, not relative clauses, appositions
    or coordinated partners."""
    lo = hi = t.i
    for c in t.lefts:
        if c.dep_ in ("compound", "amod", "nmod", "poss", "nummod", "quantmod", "npadvmod"):
            lo = min(lo, c.left_edge.i)
    for c in t.rights:
        if c.dep_ == "prep" and c.right_edge.i - c.i <= 6 and (c.lower_ == "of" or (c.lower_ in ("in", "from", "throughout") and t.ent_type_ == "")):
            hi = max(hi, c.right_edge.i)  # "King Hassan of Morocco", "demonstrators in Baghdad"
        elif c.dep_ == "compound":
            hi = max(hi, c.i)
        elif c.dep_ in ("relcl", "acl", "appos", "conj", "cc", "punct", "prep"):
            break
    doc = t.doc
    for i in range(lo, t.i):
        if "\n" in doc[i].whitespace_ or doc[i].is_space:
            lo = i + 1
    while lo < hi and (doc[lo].is_punct or doc[lo].lower_ in ("the", "a", "an")):
        lo += 1
    while hi > lo and (doc[hi].is_punct or doc[hi].lower_ in ("'s", "’s")):
        hi -= 1
    return lo, hi


def _actor(t, f: _Field, lex: Lexicon, entity_of) -> _Actor | None:
    from transforms.gazetteer import gazetteer

    if t.tag_ in ("WP", "WDT"):
        if t.head.dep_ != "relcl":
            return None
        t = t.head.head  # "Sharon, who has vowed …"
    if _pronoun(t):
        return _antecedent(t, f, lex, entity_of)
    if not _names_actor(t, f):
        return None  # "the plans", "a deal": an object, not an actor
    lo, hi = _phrase(t)
    span = range(lo, hi + 1)
    text = f.span_text(lo, hi)
    ms = []
    for i in span:
        m = f.by_token.get(i)
        if m is not None and m.label in ACTOR_LABELS and m not in ms:
            ms.append(m)
    own = f.mention(t)
    linked = own if own is not None and own.label in ACTOR_LABELS else None
    country = linked.country_code if linked is not None else None
    if country is None:
        country = lex.metonyms.get(text.lower()) or lex.metonyms.get(t.lower_)
    if country is None:
        country = next((m.country_code for m in ms if m.label in ("GPE", "NORP", "LOC") and m.country_code), None)
    if country is None and linked is not None and linked.label == "PERSON" and linked.role_title:
        dem = gazetteer().demonym(linked.role_title.split()[0])
        country = dem[1] if dem else None
    human = (linked is not None and linked.label in ("PERSON", "NORP")) or t.lemma_.lower() in lex.humans or t.lower_ in ("him", "her", "them")
    return _Actor(text, entity_of(linked) if linked is not None else None, country, human, frozenset(span), linked.label if linked is not None else None)


def _antecedent(t, f: _Field, lex: Lexicon, entity_of) -> _Actor | None:
    """A pronoun actor: the subject of the speech verb it is reported under ("Russia said it would …"), else the
    nearest earlier actor mention of the right kind in this or the previous sentence."""
    clause = t.head
    for _ in range(3):
        if clause.dep_ == "ccomp" and clause.head.lemma_.lower() in SPEECH:
            subj = next((c for c in clause.head.children if c.dep_ == "nsubj"), None)
            if subj is not None and not _pronoun(subj):
                found = _actor(subj, f, lex, entity_of)
                if found:
                    return found
            break
        if clause.head is clause:
            break
        clause = clause.head
    want = ("PERSON",) if t.lower_ in ("he", "she", "him", "her", "his") else ("ORG", "GPE", "NORP") if t.lower_ in ("it", "its") else ACTOR_LABELS
    main = next((c for c in t.sent.root.children if c.dep_ == "nsubj" and c.i < t.i and not _pronoun(c)), None)
    if main is not None and (want != ("PERSON",) or (f.mention(main) is not None and f.mention(main).label == "PERSON")):
        found = _actor(main, f, lex, entity_of)
        if found and (want == ACTOR_LABELS or found.entity_id or found.country):
            return found
    sent_start = f.doc[t.i].sent.start
    prev_start = f.sent_starts[max(0, _bisect(f.sent_starts, sent_start) - 1)]
    for m in reversed(f.mentions):
        if m.start >= t.idx or m.label not in want:
            continue
        if m.start < f.doc[prev_start].idx:
            break
        return _Actor(m.text, entity_of(m), m.country_code, m.label in ("PERSON", "NORP"), frozenset({t.i}), m.label)
    return None


# --- when and where ------------------------------------------------------------------------------------------------


def _clause_tokens(root) -> list:
    """Tokens of root's own clause: its subtree without the clauses it governs (an event noun keeps its participle
    phrase: "talks scheduled for the week of Jan. 10 in Geneva")."""
    noun = root.pos_ in ("NOUN", "PROPN")
    out, stack = [], [root]
    while stack:
        t = stack.pop()
        out.append(t)
        stack.extend(c for c in t.children if c.dep_ not in CLAUSE_BOUNDARY or (noun and c.dep_ == "acl" and c.tag_ in ("VBN", "VBG")))
    return out


def _date(head, verb, f: _Field):
    """(date, text, precision, source) of the date mention attached to the trigger's clause; else to a clause it
    hangs from (conj, xcomp, advcl) in the same sentence; never across a reported-speech boundary."""
    roots = [head] + ([verb] if verb is not None and verb is not head else [])
    clause = roots[-1]
    if clause.dep_ == "relcl" and f.mention(clause.head) is not None and f.mention(clause.head).label in ("DATE", "TIME"):
        roots.append(clause.head)  # "in 2014 when Russia occupied Crimea"
    for source, anchors in (("clause", roots), ("sentence", _governing(clause))):
        best = None
        for r in anchors:
            for t in f.clause_tokens(r):
                m = f.mention(t)
                if m is None or m.label not in ("DATE", "TIME"):
                    continue
                hit = date_of(m.normalized_value)
                if hit and (best is None or abs(t.i - head.i) < best[0]):
                    best = (abs(t.i - head.i), (hit[0], m.text, hit[1], source))
            if best:
                return best[1]
    return None


def _place(head, verb, f: _Field, actor2: _Actor | None, entity_of):
    """(text, entity id, country) of a place the event happens in ("talks … in Geneva")."""
    roots = [head] + ([verb] if verb is not None and verb is not head else [])
    for r in roots:
        for t in f.clause_tokens(r):
            if t.dep_ == "prep" and t.lower_ in PLACE_PREPS:
                for g in t.children:
                    m = f.mention(g) if g.dep_ == "pobj" else None
                    if m is not None and m.label in PLACE_LABELS and not (actor2 and g.i in actor2.tokens):
                        return m.text, entity_of(m), m.country_code
    return None


def _clause_extent(root, head, f: _Field) -> tuple[int, int]:
    toks = f.clause_tokens(root)
    a = min(min(t.i for t in toks), head.i)
    b = max(max(t.i for t in toks), head.i)
    doc = root.doc
    while b > a and doc[b].is_punct:
        b -= 1
    while a < b and doc[a].is_punct:
        a += 1
    return a, b


# --- table ---------------------------------------------------------------------------------------------------------

_COLUMNS = {"start": "start_char", "end": "end_char", "trigger_start": "trigger_start_char", "trigger_end": "trigger_end_char"}


def build_events(rows: list[tuple[str, list[Event]]]) -> pa.Table:
    """(article_id, events) pairs to the `events` table."""
    cols: dict[str, list] = {name: [] for name in EVENTS.names}
    for article_id, events in rows:
        for e in events:
            values = {_COLUMNS.get(k, k): v for k, v in e.__dict__.items()}
            values.update(event_id=event_id(article_id, e), article_id=article_id)
            for name in EVENTS.names:
                cols[name].append(values[name])
    return pa.Table.from_pydict(cols, schema=EVENTS)
