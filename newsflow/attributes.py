"""The model's attribute ruler and rule lemmatizer, run faster with identical results.

In `en_core_web_sm` these two rule components cost about a fifth of the pipeline's time (measured per component on
Reuters): the attribute ruler runs spaCy's Matcher with all its 179 patterns at every token, and the lemmatizer
recomputes most tokens' lemma (it caches only inflected forms) and parses each token's morphology to decide. Both
give a token a result that depends only on a few of its attributes, so `FastAttributes` computes each result once
per distinct key and sets it, with the components' own data and functions:

- attribute ruler: a token's single-token pattern matches depend only on its (TAG, LOWER, DEP, IS_SPACE); patterns
  over two tokens are checked only where their first token can match. Each token gets the attributes of its matches
  applied in the ruler's order (later patterns win), as the ruler does, through spaCy's own `set_token_attrs`;
- lemmatizer: a token's lemma is the component's own `lemmatize(token)` for its (ORTH, POS, MORPH), which is all that
  function reads, computed once per key.

`speed_up(nlp)` installs it in place of the two components (disabled, still there) only when their patterns use
what this module evaluates (TAG, LOWER, DEP, IS_SPACE; exact values, IN, NOT_IN, REGEX) and the lemmatizer is in rule
mode without overwrite; otherwise the pipeline is left as it is. `tests/test_attributes.py` compares every token's
annotations with the stock components' on real news text and on the constructions each pattern is for.
"""

from __future__ import annotations

import re

from spacy.attrs import DEP, IS_SPACE, LEMMA, LOWER, MORPH, ORTH, POS, TAG
from spacy.language import Language
from spacy.tokens import Doc
from spacy.tokens._retokenize import set_token_attrs

NAME = "newsflow_attributes"
REPLACES = ("attribute_ruler", "lemmatizer")
_KEY_ATTRS = ("TAG", "LOWER", "DEP", "IS_SPACE")
# The LOWER value that stands for every word no pattern names or matches: tested like any other value.
_OTHER_WORD = "\x00other"
# Memo tables are cleared when they reach this many keys, so a long run's memory stays bounded (results are pure).
MEMO_LIMIT = 30_000
# The lemma table keeps at most this many keys. A lemma costs spaCy's lemmatizer tens of microseconds (at 5,000 keys,
# cleared when full, the component took twice as long), and a worker meets about 68,000 distinct keys in half of
# Reuters: when full, the table keeps only the keys looked up again since it last filled (unless they are half of
# it). Replayed on a worker's 1.5 million look-ups that misses 115,600 times, against 128,200 for a table of 30,000
# cleared when full (the release before), and the table is a third of the size.
LEMMA_LIMIT = 20_000
# The word table fills fastest (25,000 distinct words in 3,000 Reuters articles: a 30,000-key table filled all run, a
# few MB per worker) and a word's test costs 6 us: it keeps 5,000, reached within a few hundred articles.
WORD_MEMO_LIMIT = 5_000


class Unsupported(ValueError):
    """The components use something this module does not evaluate: keep the stock ones."""


def _predicate(attr: str, spec, words: set, regexes: list):
    """A test on one attribute's value (a string, or a bool for IS_SPACE), as spaCy's Matcher reads the spec. The
    words and regexes LOWER tests name are collected in `words` and `regexes`."""
    if attr not in _KEY_ATTRS:
        raise Unsupported(f"pattern attribute {attr}")
    if isinstance(spec, dict):
        tests = []
        for op, value in spec.items():
            if op in ("IN", "NOT_IN") and attr == "LOWER":
                words.update(value)
            if op == "IN":
                allowed = frozenset(value)
                tests.append(lambda v, allowed=allowed: v in allowed)
            elif op == "NOT_IN":
                banned = frozenset(value)
                tests.append(lambda v, banned=banned: v not in banned)
            elif op == "REGEX" and attr != "IS_SPACE":
                rx = re.compile(value)
                if attr == "LOWER":
                    regexes.append(rx)
                tests.append(lambda v, rx=rx: bool(rx.search(v)))
            else:
                raise Unsupported(f"pattern operator {op}")
        return lambda v: all(t(v) for t in tests)
    if attr == "IS_SPACE":
        if not isinstance(spec, bool):
            raise Unsupported(f"IS_SPACE value {spec!r}")
        return lambda v, spec=spec: v is spec
    if not isinstance(spec, str):
        raise Unsupported(f"{attr} value {spec!r}")
    if attr == "LOWER":
        words.add(spec)
    return lambda v, spec=spec: v == spec


def _token_test(spec: dict, words: set, regexes: list):
    if not spec or set(spec) - set(_KEY_ATTRS):
        raise Unsupported(f"token pattern {spec!r}")
    tests = [(_KEY_ATTRS.index(a), _predicate(a, s, words, regexes)) for a, s in spec.items()]
    return lambda values: all(t(values[i]) for i, t in tests)


class FastAttributes:
    """The attribute ruler and the rule lemmatizer of one pipeline, applied to a Doc in one pass each."""

    def __init__(self, ruler, lemmatizer):
        if type(ruler).__name__ != "AttributeRuler":
            raise Unsupported(f"attribute ruler of type {type(ruler).__name__}")
        if getattr(lemmatizer, "mode", None) != "rule" or getattr(lemmatizer, "overwrite", True):
            raise Unsupported("lemmatizer not in rule mode, or set to overwrite")
        self.ruler, self.lemmatizer, self.strings = ruler, lemmatizer, ruler.vocab.strings
        # (attr_id, test) for single-token patterns; (attr_id, tests, index) for longer ones. The ruler orders
        # matches by attr_id (its pattern number): later patterns win.
        self.single: list[tuple[int, object]] = []
        self.multi: list[tuple[int, list, int]] = []
        # Words and regexes the patterns' LOWER tests name: any other word gives the same result as _OTHER_WORD.
        self.words: set[str] = set()
        self.regexes: list = []
        for attr_id, entry in enumerate(ruler.patterns):
            index = entry.get("index", 0)
            for pattern in entry["patterns"]:
                if any("OP" in tok for tok in pattern):
                    raise Unsupported("pattern operator OP")
                tests = [_token_test(tok, self.words, self.regexes) for tok in pattern]
                if len(pattern) == 1:
                    if index not in (0, -1):
                        raise Unsupported(f"index {index} in a one-token pattern")
                    self.single.append((attr_id, tests[0]))
                else:
                    if not -len(pattern) <= index < len(pattern):
                        raise Unsupported(f"index {index} out of its pattern")
                    self.multi.append((attr_id, tests, index % len(pattern)))
        if len(ruler.attrs) != len(ruler.patterns):
            raise Unsupported("ruler attributes and patterns differ in number")
        if _OTHER_WORD in self.words or any(rx.search(_OTHER_WORD) for rx in self.regexes):
            raise Unsupported("a pattern names the placeholder word")
        self.attrs = ruler.attrs  # attr_id -> {attribute id: value}, as the ruler sets them
        self._words: dict[int, int] = {}  # LOWER -> itself when a pattern names or matches it, else -1
        self._keys: dict[tuple, tuple] = {}
        self._merged: dict[tuple, dict] = {}
        # (ORTH, MORPH, POS) as one integer -> lemma: 48 bytes a key, against 136 for a tuple of three integers.
        self._lemmas: dict[int, str] = {}
        self._lemmas_hit: set[int] = set()  # keys looked up again since the table last filled

    def __call__(self, doc: Doc) -> Doc:
        if len(doc):
            self._rule_attributes(doc)
            self._lemmatize(doc)
        return doc

    def pipe(self, docs, batch_size: int = 128):
        for doc in docs:
            yield self(doc)

    # -- the attribute ruler ------------------------------------------------------------------------------------

    def _key_info(self, key: tuple) -> tuple:
        """(attr_ids of the single-token patterns this token matches, {(multi pattern, position) it can fill})."""
        info = self._keys.get(key)
        if info is None:
            tag, lower, dep, space = key
            word = _OTHER_WORD if lower == -1 else self.strings[lower] if lower else ""
            values = (self.strings[tag] if tag else "", word, self.strings[dep] if dep else "", bool(space))
            ids = tuple(attr_id for attr_id, test in self.single if test(values))
            slots = frozenset((m, j) for m, (_, tests, _) in enumerate(self.multi) for j, test in enumerate(tests) if test(values))
            info = (ids, slots)
            if len(self._keys) >= MEMO_LIMIT:
                self._keys.clear()
            self._keys[key] = info
        return info

    def _word(self, lower: int) -> int:
        word = self._words.get(lower)
        if word is None:
            text = self.strings[lower] if lower else ""
            word = lower if text in self.words or any(rx.search(text) for rx in self.regexes) else -1
            if len(self._words) >= WORD_MEMO_LIMIT:
                self._words.clear()
            self._words[lower] = word
        return word

    def _merge(self, ids: tuple) -> dict:
        merged = self._merged.get(ids)
        if merged is None:
            merged = {}
            for attr_id in sorted(ids):
                merged.update(self.attrs[attr_id])
            self._merged[ids] = merged
        return merged

    def _rule_attributes(self, doc: Doc) -> None:
        word = self._word
        infos = [self._key_info((tag, word(lower), dep, space)) for tag, lower, dep, space in doc.to_array([TAG, LOWER, DEP, IS_SPACE]).tolist()]
        extra: dict[int, list[int]] = {}
        starts = [i for i, (_, slots) in enumerate(infos) if slots]
        if starts:
            n = len(infos)
            for m, (attr_id, tests, index) in enumerate(self.multi):
                width = len(tests)
                for i in starts:
                    if i + width <= n and all((m, j) in infos[i + j][1] for j in range(width)):
                        extra.setdefault(i + index, []).append(attr_id)
        for i, (ids, _) in enumerate(infos):
            if i in extra:
                ids = tuple(sorted(ids + tuple(extra[i])))
            if ids:
                set_token_attrs(doc[i], self._merge(ids))

    # -- the lemmatizer -----------------------------------------------------------------------------------------

    def _lemmatize(self, doc: Doc) -> None:
        lemmas, hit = self._lemmas, self._lemmas_hit
        lemmatize = self.lemmatizer.lemmatize
        for i, (orth, pos, morph, lemma) in enumerate(doc.to_array([ORTH, POS, MORPH, LEMMA]).tolist()):
            if lemma:
                continue
            key = lemma_key(orth, pos, morph)
            value = lemmas.get(key)
            token = doc[i]
            if value is None:
                value = lemmatize(token)[0]
                if len(lemmas) >= LEMMA_LIMIT:
                    self._lemmas = lemmas = {k: lemmas[k] for k in hit} if len(hit) < LEMMA_LIMIT // 2 else {}
                    hit.clear()
                lemmas[key] = value
            else:
                hit.add(key)
            token.lemma_ = value
        # spaCy's lemmatizer caches each result under the same (orth, pos, morph) key as the lemma table, so its
        # cache never answers a lookup the table missed: kept, it only doubled the table's memory (7 MB a worker).
        self.lemmatizer.cache.clear()


def lemma_key(orth: int, pos: int, morph: int) -> int:
    """What the lemmatizer reads of a token, as one integer: ORTH and MORPH are 64-bit hashes, POS a part-of-speech
    id under 256, so distinct tokens never share a key."""
    if not 0 <= pos < 256 or not 0 <= morph < 1 << 64:
        raise ValueError(f"POS {pos} or MORPH {morph} out of range for a lemma key")
    return (orth << 72) | (morph << 8) | pos


@Language.factory(NAME)
def _make(nlp: Language, name: str) -> FastAttributes:
    return FastAttributes(nlp.get_pipe(REPLACES[0]), nlp.get_pipe(REPLACES[1]))


def speed_up(nlp: Language) -> bool:
    """Run `FastAttributes` in place of the attribute ruler and the lemmatizer when it can (True), else leave the
    pipeline as it is (False). The two components stay in the pipeline, disabled."""
    names = nlp.pipe_names
    if NAME in names:
        return True
    if not all(r in names for r in REPLACES) or names.index(REPLACES[0]) > names.index(REPLACES[1]):
        return False
    between = names[names.index(REPLACES[0]) + 1 : names.index(REPLACES[1])]
    if between:
        return False
    try:
        nlp.add_pipe(NAME, before=REPLACES[0])
    except Unsupported:
        return False
    for r in REPLACES:
        nlp.disable_pipe(r)
    return True
