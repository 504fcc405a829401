"""Fixed record types passed between the readers and the table builders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RawArticle:
    """One article as a reader found it, text already repaired and normalised."""

    source_path: str
    source_record: int
    source_format: str
    title: str
    body: str
    caption: str | None = None
    image_credit: str | None = None
    authors: tuple[str, ...] = ()
    published_at: datetime | None = None
    updated_at: datetime | None = None
    url: str | None = None
    publisher: str | None = None
    language: str | None = None  # as the record states it; detected later when None


@dataclass(frozen=True)
class Rejection:
    """An input (a file or one record of it) that cannot become an article, and why."""

    source_path: str
    source_record: int | None
    reason: str
    detail: str
    raw_sha256: str


@dataclass
class ParseResult:
    articles: list[RawArticle] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    def extend(self, other: "ParseResult") -> None:
        self.articles.extend(other.articles)
        self.rejections.extend(other.rejections)


REASONS = {
    "empty_file": "the file has no bytes or only white space",
    "binary_file": "the bytes are not text",
    "undecodable": "no text encoding fits the bytes",
    "bad_gzip": "the .gz file cannot be decompressed",
    "unsupported_format": "the file extension is not one newsflow reads",
    "malformed_file": "the file does not parse as its format",
    "malformed_record": "one record does not parse or is not an object",
    "no_body": "the record has no article text",
    "no_records": "the file parses but holds no record (an empty JSON list, a CSV header alone)",
    "bad_date": "a date field cannot be read as a date",
    "implausible_date": "a date is before 1900 or more than a day after the run started",
    "too_large": "the file, or its decompressed content, is larger than the max_file_mb setting",
    "failed_validation": "the article or its extraction rows failed a record-level expectation (named in detail)",
}

# Latest plausible date: the run's start plus this (time zones and embargoed stories run a few hours ahead).
# The readers and the articles suite both use it.
FUTURE_TOLERANCE = timedelta(days=1)
