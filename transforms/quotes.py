"""The `quotes` table: direct, partial and reported speech with its speaker, from the article's spaCy Docs and
resolved mentions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pyarrow as pa

from newsflow.schema import QUOTES


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
    return []  # filled in by the quotes work (issue 10)


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
