"""The `articles` table: reader records in, one row per distinct article out."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa

from newsflow.schema import ARTICLES, PARTITION_COLUMN
from transforms.language import detect_language
from transforms.records import RawArticle
from transforms.text import word_count


def content_sha256(title: str, body: str) -> str:
    return hashlib.sha256(f"{title}\n\n{body}".encode("utf-8")).hexdigest()


def body_sha256(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def article_id_for(content_sha: str) -> str:
    """Stable across runs and machines: derived from the content only."""
    return content_sha[:20]


class ArticleIndex:
    """What earlier shards and runs already published: content hashes (exact duplicates) and, per body hash, the
    first article with that body.

    It holds one entry per article of the run and of the curated folder, so it is the one piece of a run's memory
    that grows with the corpus. The hashes are kept as integers: a hex digest costs 113 bytes as a string and 60 as
    an int, and an article's entry about 185 bytes instead of 350 (tracemalloc over 17,000 entries).
    """

    def __init__(self) -> None:
        self._content: set[int] = set()
        self._bodies: dict[int, int] = {}  # body sha -> content sha of its first article

    @classmethod
    def of(cls, articles: list[tuple[str, str]]) -> "ArticleIndex":
        """The index of (content_sha256, body_sha256) pairs, in the order they were published."""
        index = cls()
        for content, body in articles:
            index.add(content, body)
        return index

    def __contains__(self, content_sha: str) -> bool:
        return int(content_sha, 16) in self._content

    def __len__(self) -> int:
        return len(self._content)

    def add(self, content_sha: str, body_sha: str) -> str:
        """Index an article; the article_id of the first article with its body (its own when it is the first)."""
        content = int(content_sha, 16)
        self._content.add(content)
        return article_id_for(f"{self._bodies.setdefault(int(body_sha, 16), content):064x}")


@dataclass
class ArticlesResult:
    table: pa.Table
    duplicates: list[tuple[RawArticle, str]]  # (dropped record, article_id it duplicates)


def build_articles(records: list[RawArticle], index: ArticleIndex, run_id: str, ingested_at: datetime, default_language: str = "en") -> ArticlesResult:
    """Rows for the records whose content is new; exact duplicates collapse onto the first in (path, record) order.

    `index` is updated in place so the next shard sees this one's articles.
    """
    rows: dict[str, list] = {name: [] for name in ARTICLES.names}
    duplicates: list[tuple[RawArticle, str]] = []
    for rec in sorted(records, key=lambda r: (r.source_path, r.source_record)):
        csha = content_sha256(rec.title, rec.body)
        aid = article_id_for(csha)
        if csha in index:
            duplicates.append((rec, aid))
            continue
        bsha = body_sha256(rec.body)
        duplicate_of = index.add(csha, bsha)
        language = rec.language or detect_language(f"{rec.title}\n{rec.body}", default_language)
        values = {
            "article_id": aid,
            "source_path": rec.source_path,
            "source_record": rec.source_record,
            "source_format": rec.source_format,
            "content_sha256": csha,
            "url": rec.url,
            "publisher": rec.publisher,
            "title": rec.title,
            "caption": rec.caption,
            "image_credit": rec.image_credit,
            "authors": list(rec.authors),
            "authors_flat": "; ".join(rec.authors) if rec.authors else None,
            "published_at": rec.published_at,
            "updated_at": rec.updated_at,
            "language": language,
            "body": rec.body,
            "word_count": word_count(rec.body),
            "body_sha256": bsha,
            "duplicate_of": None if duplicate_of == aid else duplicate_of,
            "ingested_at": ingested_at,
            "run_id": run_id,
        }
        for name in ARTICLES.names:
            rows[name].append(values[name])
    return ArticlesResult(pa.Table.from_pydict(rows, schema=ARTICLES), duplicates)


def published_month(published_at: datetime | None) -> str:
    return published_at.strftime("%Y-%m") if published_at is not None else "unknown"


def with_partition(table: pa.Table) -> pa.Table:
    """The articles table plus its Hive partition column (kept out of the Parquet files themselves)."""
    months = [published_month(v) for v in table.column("published_at").to_pylist()]
    return table.append_column(PARTITION_COLUMN, pa.array(months, pa.string()))
