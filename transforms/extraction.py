"""One parse, many extractors: each field of an article is parsed once and mentions, quotes and events all read
the same Docs (quotes and events also read the article's resolved mentions). Pure: the model is passed in."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from transforms.events import Event, article_events, build_events
from transforms.mentions import FIELDS, MODEL_TEXT, ArticleText, Mention, article_mentions, build_mentions, case_for_ner
from transforms.quotes import Quote, article_quotes, build_quotes

# Bumped whenever a rule change alters extraction rows: articles extracted under another version are stale and
# `newsflow reextract` rebuilds them.
EXTRACTION_VERSION = "8"
EXTRACTION_TABLES = ("mentions", "quotes", "events")


@dataclass
class ArticleExtraction:
    """Every extraction row of one article."""

    article_id: str
    mentions: list[Mention] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


# Fields longer than this are parsed in consecutive pieces and joined back into one Doc (same text, same offsets):
# spaCy refuses texts over `nlp.max_length` (1,000,000 characters), and memory grows with the piece, not the field.
PIECE_CHARS = 100_000


def pieces(text: str, size: int = PIECE_CHARS) -> list[str]:
    """Consecutive pieces of at most `size` characters whose concatenation is `text`, cut after a paragraph
    break, else a line break, else a sentence end, else a space where one is near the limit."""
    out = []
    while len(text) > size:
        window = text[:size]
        cut = -1
        for mark in ("\n\n", "\n", ". ", " "):
            at = window.rfind(mark, size // 2)
            if at >= 0:
                cut = at + len(mark)
                break
        cut = cut if cut > 0 else size
        out.append(text[:cut])
        text = text[cut:]
    return out + [text] if text else out


def field_texts(articles: list[ArticleText]) -> list[tuple[str, tuple[int, str, int]]]:
    """What the model parses for `articles`: (text, (article index, field, piece)) in order."""
    return [
        (piece, (i, f, k))
        for i, a in enumerate(articles)
        for f in FIELDS
        if getattr(a, f)
        for k, piece in enumerate(pieces(case_for_ner(getattr(a, f), a.body if f == "title" else None), PIECE_CHARS))
    ]


def parse_fields(nlp, articles: list[ArticleText], batch_size: int = 64) -> list[dict]:
    """Docs by field for each article, each field parsed once (lines in capitals re-cased for the model); long
    fields in pieces, joined back into one Doc whose text is the field's. Each Doc carries the text it was parsed
    from (`model_text`), which the extractors read instead of `Doc.text`."""
    from spacy.tokens import Doc

    texts = field_texts(articles)
    parts: list[dict] = [{} for _ in articles]
    for doc, (i, f, _k) in nlp.pipe(texts, as_tuples=True, batch_size=batch_size):
        parts[i].setdefault(f, []).append(doc)
    parsed: dict[tuple[int, str], list[str]] = {}
    for piece, (i, f, _k) in texts:
        parsed.setdefault((i, f), []).append(piece)
    out = []
    for i, p in enumerate(parts):
        docs = {}
        for f, ds in p.items():
            docs[f] = doc = ds[0] if len(ds) == 1 else Doc.from_docs(ds, ensure_whitespace=False)
            doc.user_data[MODEL_TEXT] = "".join(parsed[(i, f)])
        out.append(docs)
    return out


def extract_article(article: ArticleText, docs: dict) -> ArticleExtraction:
    """All extractors over one article's Docs."""
    texts = {f: getattr(article, f) for f in FIELDS if getattr(article, f)}
    mentions = article_mentions(docs, article.published_at, texts)
    return ArticleExtraction(
        article.article_id,
        mentions,
        article_quotes(docs, texts, mentions),
        article_events(docs, texts, mentions, article.published_at),
    )


def extract_articles(nlp, articles: list[ArticleText], batch_size: int = 64) -> list[ArticleExtraction]:
    docs = parse_fields(nlp, articles, batch_size)
    return [extract_article(a, docs[i]) for i, a in enumerate(articles)]


def build_extraction_tables(results: list[ArticleExtraction]) -> dict[str, pa.Table]:
    return {
        "mentions": build_mentions([(r.article_id, r.mentions) for r in results]),
        "quotes": build_quotes([(r.article_id, r.quotes) for r in results]),
        "events": build_events([(r.article_id, r.events) for r in results]),
    }
