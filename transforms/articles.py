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
    that grows with the corpus. Entries live in sorted NumPy arrays of raw digests (32 bytes per content hash, 32 per
    body hash, 10 per first article id: 74 bytes an article, about 1.4 MB for all of Reuters), not as Python objects
    (185 bytes an article as integers in a set and a dict, 350 as hex strings): a few large blocks the allocator maps
    and unmaps whole, where millions of small long-lived objects made among each shard's short-lived ones kept the
    heap's pages from being returned. A shard's new entries wait in a small buffer until `flush` (the end of
    `build_articles`) merges them in.
    """

    FLUSH_AT = 4096  # buffered entries merged in even before `flush` (one shard of very many articles)

    def __init__(self) -> None:
        import numpy as np

        self._np = np
        self._content = np.empty(0, "S32")  # sorted
        self._bodies = np.empty(0, "S32")  # sorted
        self._first = np.empty(0, "S10")  # the first article's id bytes for each of `_bodies`
        self._new_content: set[bytes] = set()
        self._new_bodies: dict[bytes, bytes] = {}

    @classmethod
    def of(cls, articles) -> "ArticleIndex":
        """The index of (content_sha256, body_sha256) pairs, in the order they were published."""
        index = cls()
        np = index._np
        pairs = list(articles)
        contents = np.array([bytes.fromhex(c) for c, _ in pairs], "S32")
        bodies = np.array([bytes.fromhex(b) for _, b in pairs], "S32")
        index._content = np.unique(contents)
        index._bodies, first = np.unique(bodies, return_index=True)  # the first article published with each body
        index._first = contents[first].astype("S10")
        return index

    def _found(self, array, key: bytes) -> int | None:
        """Position of `key` in a sorted array, or None (NumPy's fixed-width bytes drop trailing zero bytes when
        read back: compared padded)."""
        i = int(self._np.searchsorted(array, key))
        return i if i < len(array) and array[i].ljust(len(key), b"\0") == key else None

    def _has(self, content: bytes) -> bool:
        return content in self._new_content or self._found(self._content, content) is not None

    def __contains__(self, content_sha: str) -> bool:
        return self._has(bytes.fromhex(content_sha))

    def __len__(self) -> int:
        return len(self._content) + len(self._new_content)

    def add(self, content_sha: str, body_sha: str) -> str:
        """Index an article; the article_id of the first article with its body (its own when it is the first)."""
        content, body = bytes.fromhex(content_sha), bytes.fromhex(body_sha)
        if not self._has(content):
            self._new_content.add(content)
        first = self._new_bodies.get(body)
        if first is None:
            at = self._found(self._bodies, body)
            first = self._first[at].ljust(10, b"\0") if at is not None else self._new_bodies.setdefault(body, content[:10])
        if len(self._new_content) + len(self._new_bodies) >= self.FLUSH_AT:
            self.flush()
        return article_id_for(first.hex())

    def flush(self) -> None:
        """Merge the buffered entries into the sorted arrays."""
        np = self._np
        if self._new_content:
            new = np.array(sorted(self._new_content), "S32")
            self._content = np.insert(self._content, np.searchsorted(self._content, new), new)
            self._new_content = set()
        if self._new_bodies:
            keys = sorted(self._new_bodies)
            new, first = np.array(keys, "S32"), np.array([self._new_bodies[k][:10] for k in keys], "S10")
            at = np.searchsorted(self._bodies, new)
            self._bodies, self._first = np.insert(self._bodies, at, new), np.insert(self._first, at, first)
            self._new_bodies = {}


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
    index.flush()
    return ArticlesResult(pa.Table.from_pydict(rows, schema=ARTICLES), duplicates)


def published_month(published_at: datetime | None) -> str:
    return published_at.strftime("%Y-%m") if published_at is not None else "unknown"


def with_partition(table: pa.Table) -> pa.Table:
    """The articles table plus its Hive partition column (kept out of the Parquet files themselves)."""
    months = [published_month(v) for v in table.column("published_at").to_pylist()]
    return table.append_column(PARTITION_COLUMN, pa.array(months, pa.string()))
