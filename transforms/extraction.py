"""One parse, many extractors: each field of an article is parsed once and mentions, quotes and events all read
the same Docs (quotes and events also read the article's resolved mentions). Pure: the model is passed in."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from transforms.events import Event, article_events, build_events
from transforms.mentions import FIELDS, ArticleText, Mention, article_mentions, build_mentions, case_for_ner
from transforms.quotes import Quote, article_quotes, build_quotes

# Bumped whenever a rule change alters extraction rows: articles extracted under another version are stale and
# `newsflow reextract` rebuilds them.
EXTRACTION_VERSION = "4"
EXTRACTION_TABLES = ("mentions", "quotes", "events")


@dataclass
class ArticleExtraction:
    """Every extraction row of one article."""

    article_id: str
    mentions: list[Mention] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


def parse_fields(nlp, articles: list[ArticleText], batch_size: int = 64) -> list[dict]:
    """Docs by field for each article, each field parsed once (lines in capitals re-cased for the model)."""
    texts = [(case_for_ner(getattr(a, f), a.body if f == "title" else None), (i, f)) for i, a in enumerate(articles) for f in FIELDS if getattr(a, f)]
    docs: list[dict] = [{} for _ in articles]
    for doc, (i, f) in nlp.pipe(texts, as_tuples=True, batch_size=batch_size):
        docs[i][f] = doc
    return docs


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
