"""Prefect tasks: thin wrappers that do the I/O and call the pure transforms."""

from __future__ import annotations

import fnmatch
import hashlib
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa
from prefect import task
from prefect.cache_policies import NO_CACHE

from expectations.gate import Gate, GateReport
from newsflow import __version__
from newsflow.settings import Settings
from newsflow.store import STATE_FILES, CuratedStore, PriorState, Staging, save_run_record
from newsflow.nlp import Extractor
from transforms.articles import ArticleIndex, build_articles, with_partition
from transforms.entities import build_entities
from transforms.extraction import build_extraction_tables
from transforms.mentions import ArticleText
from transforms.quarantine import build_quarantine
from transforms.readers import parse_file
from transforms.records import ParseResult, Rejection
from transforms.runs import RunRecord, build_run_row

# Tasks pass large in-memory objects; hashing them for a cache key would cost more than the work.
pipeline_task = task(cache_policy=NO_CACHE, persist_result=False)


@dataclass(frozen=True)
class RawFile:
    rel_path: str
    size: int


@dataclass
class RunState:
    """Counters and indexes carried from shard to shard of one run."""

    run_id: str
    started_at: datetime
    prior: PriorState
    index: ArticleIndex
    quarantined_keys: list[str] = field(default_factory=list)
    quarantined_files: list[str] = field(default_factory=list)
    files_seen: int = 0
    files_new: int = 0
    articles_written: int = 0
    duplicates_merged: int = 0
    quarantined: int = 0
    mentions_written: int = 0
    quotes_written: int = 0
    events_written: int = 0
    rows: dict = field(default_factory=dict)
    report: GateReport = field(default_factory=GateReport)

    def note_quarantined(self, path: str, record: int | None) -> None:
        """Keys the articles suite checks no article carries (a whole file when record is None)."""
        self.quarantined_keys.append(f"{path}#{record}")
        if record is None:
            self.quarantined_files.append(path)


@dataclass
class Discovery:
    files: list[RawFile]
    excluded: list[str]


@pipeline_task(name="discover-raw-files")
def discover_raw_files(raw_dir: Path, exclude: tuple[str, ...]) -> Discovery:
    """Every file under RAW, recursively, in a stable order; hidden files and folders are skipped, and file names
    matching an `exclude` pattern (README, LICENSE, Markdown by default) are counted but not read."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"raw folder {raw_dir} does not exist or is not a folder")
    found, excluded = [], []
    for dirpath, dirnames, filenames in os.walk(raw_dir, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            rel = path.relative_to(raw_dir).as_posix()
            if any(fnmatch.fnmatch(name.lower(), pattern.lower()) for pattern in exclude):
                excluded.append(rel)
                continue
            found.append(RawFile(rel, path.stat().st_size))
    return Discovery(sorted(found, key=lambda f: f.rel_path), sorted(excluded))


@pipeline_task(name="load-published-state")
def load_published_state(store: CuratedStore, run_id: str, started_at: datetime) -> RunState:
    prior = store.prior_state()
    keys = prior.article_keys
    index = ArticleIndex(content=set(keys.column("content_sha256").to_pylist()))
    for aid, bsha in zip(keys.column("article_id").to_pylist(), keys.column("body_sha256").to_pylist()):
        index.bodies.setdefault(bsha, aid)
    state = RunState(run_id=run_id, started_at=started_at, prior=prior, index=index)
    for path, record, _sha in prior.quarantine_keys:
        state.note_quarantined(path, record)
    return state


@pipeline_task(name="read-new-raw-files")
def read_new_raw_files(raw_dir: Path, files: list[RawFile], state: RunState) -> list[tuple[str, bytes, str]]:
    """Bytes of the files no earlier run processed (same path and same bytes are skipped)."""
    new = []
    for f in files:
        data = (Path(raw_dir) / f.rel_path).read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        state.files_seen += 1
        if (f.rel_path, sha) in state.prior.files:
            continue
        state.files_new += 1
        new.append((f.rel_path, data, sha))
    return new


@pipeline_task(name="parse-raw-files")
def parse_raw_files(files: list[tuple[str, bytes, str]], now: datetime, day_first: bool) -> ParseResult:
    result = ParseResult()
    for rel_path, data, _sha in files:
        try:
            result.extend(parse_file(rel_path, data, now=now, day_first=day_first))
        except Exception as exc:  # a reader bug must not cost the other files of the shard
            result.rejections.append(Rejection(rel_path, None, "malformed_file", f"reader failed: {type(exc).__name__}: {exc}", _sha))
    return result


@pipeline_task(name="build-article-rows")
def build_article_rows(parsed: ParseResult, state: RunState, default_language: str) -> dict[str, pa.Table]:
    """The shard's new rows, table by table."""
    articles = build_articles(parsed.articles, state.index, state.run_id, state.started_at, default_language)
    state.duplicates_merged += len(articles.duplicates)
    quarantine = build_quarantine(parsed.rejections, state.run_id, state.started_at)
    for path, record in zip(quarantine.column("source_path").to_pylist(), quarantine.column("source_record").to_pylist()):
        state.note_quarantined(path, record)
    return {"articles": articles.table, "quarantine": quarantine}


@pipeline_task(name="extract-mentions-quotes-events")
def extract_rows(articles: pa.Table, extractor: Extractor) -> dict[str, pa.Table]:
    """Mentions, quotes and events of the English articles, from one parse per field in the worker processes
    (others keep their row and skip extraction)."""
    english = [
        ArticleText(r["article_id"], r["title"], r["caption"], r["body"], r["published_at"])
        for r in articles.select(["article_id", "title", "caption", "body", "published_at", "language"]).to_pylist()
        if r["language"] == "en"
    ]
    return build_extraction_tables(extractor.extract(english))


@pipeline_task(name="validate-tables")
def validate_tables(gate: Gate, tables: dict[str, pa.Table], state: RunState, label: str, extra: dict | None = None) -> GateReport:
    parameters = {
        "run_latest": datetime.now(state.started_at.tzinfo),
        "quarantined_keys": sorted(set(state.quarantined_keys)),
        "quarantined_files": sorted(set(state.quarantined_files)),
        **(extra or {}),
    }
    context = {}
    if "articles" in tables:
        arts = tables["articles"].select(["article_id", "title", "caption", "body"]).to_pylist()
        parameters["article_ids"] = [a["article_id"] for a in arts]
        context["article_texts"] = {(a["article_id"], f): a[f] for a in arts for f in ("title", "caption", "body")}
    report = gate.validate(tables, parameters, context)
    state.report.merge(report, label)
    return report


@pipeline_task(name="stage-tables")
def stage_tables(staging: Staging, tables: dict[str, pa.Table], files: list[tuple[str, bytes, str]], state: RunState) -> None:
    for name, table in tables.items():
        data = with_partition(table) if name == "articles" else table
        written = staging.write(name, data)
        if name == "articles":
            state.articles_written += written
        elif name == "quarantine":
            state.quarantined += written
        elif name == "mentions":
            state.mentions_written += written
        elif name == "quotes":
            state.quotes_written += written
        elif name == "events":
            state.events_written += written
    processed = pa.table(
        {"source_path": [f[0] for f in files], "raw_sha256": [f[2] for f in files], "run_id": [state.run_id] * len(files)}
    )
    staging.write(STATE_FILES, processed)


@pipeline_task(name="publish-run")
def publish_run(store: CuratedStore, staging: Staging, gate: Gate, state: RunState, settings: Settings, finished_at: datetime) -> bool:
    """Rebuild `entities` from all mentions, validate it and the run record, then switch the curated folder to
    the staged version (or discard it)."""
    mentions = staging.read("mentions", ["entity_id", "canonical_name", "label", "country_code", "text", "article_id"])
    entities = build_entities(mentions, staging.read("articles", ["article_id", "published_at"]))
    mention_entity_ids = sorted({e for e in mentions.column("entity_id").to_pylist() if e is not None})
    validate_tables.fn(gate, {"entities": entities}, state, "entities", {"mention_entity_ids": mention_entity_ids})
    staging.replace("entities", entities)
    record = RunRecord(
        run_id=state.run_id,
        started_at=state.started_at,
        finished_at=finished_at,
        raw_dir=str(settings.raw_dir),
        files_seen=state.files_seen,
        files_new=state.files_new,
        articles_written=state.articles_written,
        duplicates_merged=state.duplicates_merged,
        quarantined=state.quarantined,
        rows_articles=staging.row_count("articles"),
        rows_mentions=staging.row_count("mentions"),
        rows_entities=entities.num_rows,
        rows_quotes=staging.row_count("quotes"),
        rows_events=staging.row_count("events"),
        rows_quarantine=staging.row_count("quarantine"),
        validation_passed=state.report.success,
        pipeline_version=__version__,
        model_name=settings.model_name,
    )
    state.rows = {t: getattr(record, f"rows_{t}") for t in ("articles", "mentions", "entities", "quotes", "events", "quarantine")}
    run_row = build_run_row(record)
    validate_tables.fn(gate, {"runs": run_row}, state, "runs")
    save_run_record(store.root, state.run_id, "validation.json", state.report.to_json())
    if not state.report.success:
        staging.abort()
        return False
    staging.write("runs", run_row)
    staging.commit(settings.keep_versions)
    return True
