"""Prefect tasks: thin wrappers that do the I/O and call the pure transforms."""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import pyarrow as pa
from prefect import Task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from expectations.gate import SUITES, Gate, GateReport
from newsflow import __version__, reports
from newsflow.crash import checkpoint
from newsflow.memory import release_free_memory
from newsflow.nlp import Extractor
from newsflow.runner import walk_raw
from newsflow.schema import LINEAGE, QUARANTINE, TABLES
from newsflow.settings import Settings
from newsflow.store import EXTRACTION_SCHEMA, STATE_EXTRACTION, STATE_FILES, CuratedStore, PriorState, Staging, save_run_record
from transforms.articles import ArticleIndex, build_articles, with_partition
from transforms.entities import entities_from, referenced_entity_ids
from transforms.extraction import EXTRACTION_VERSION, build_extraction_tables
from transforms.lineage import build_lineage
from transforms.mentions import ArticleText
from transforms.quarantine import build_quarantine
from transforms.readers import MAX_FILE_BYTES, parse_file
from transforms.records import FUTURE_TOLERANCE, ParseResult, Rejection
from transforms.runs import RunRecord, RunSummary, build_run_row

_CONTROL = ("return_state", "wait_for")


class QuotedTask(Task):
    """A task whose arguments Prefect passes as they are when it is called in the flow. Prefect walks every element
    of every argument, twice per call (to find upstream futures, then to resolve them); the flow's arguments are
    large (the run's index of every article, Arrow tables, the files' bytes) and never hold futures, and the walks
    cost more than a shard's validation (24 s over 5,000 Reuters articles) and grew with the run. `quote` is
    Prefect's own way to skip them. Submitted tasks (reading, extraction) take small arguments and keep Prefect's
    handling: a task runner such as Dask takes a quoted argument (a tuple) apart."""

    def __call__(self, *args, **kwargs):
        return super().__call__(*map(quote, args), **{k: v if k in _CONTROL else quote(v) for k, v in kwargs.items()})


def pipeline_task(name: str):
    """A Prefect task with a kill point named after it at its start (`newsflow.crash`: crash-safety tests). Tasks
    pass large in-memory objects; hashing them for a cache key would cost more than the work."""

    def decorate(fn):
        @functools.wraps(fn)
        def at_checkpoint(*args, **kwargs):
            checkpoint(name)
            return fn(*args, **kwargs)

        return QuotedTask(at_checkpoint, name=name, cache_policy=NO_CACHE, persist_result=False)

    return decorate


def stage(name: str):
    """Counts the call's wall seconds as stage `name` of the run (in its `state` argument's `stage_seconds`)."""

    def wrap(fn):
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def timed(*args, **kwargs):
            with signature.bind(*args, **kwargs).arguments["state"].timed(name):
                return fn(*args, **kwargs)

        return timed

    return wrap


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
    model_name: str = ""
    quarantined_keys: set[str] = field(default_factory=set)
    quarantined_files: set[str] = field(default_factory=set)
    files_seen: int = 0
    files_new: int = 0
    records_seen: int = 0
    articles_written: int = 0
    articles_retracted: int = 0
    articles_extracted: int = 0
    articles_stale: int = 0
    duplicates_merged: int = 0
    quarantined: int = 0
    mentions_written: int = 0
    quotes_written: int = 0
    events_written: int = 0
    rows: dict = field(default_factory=dict)
    reasons: dict = field(default_factory=dict)
    report: GateReport = field(default_factory=GateReport)
    stage_seconds: dict = field(default_factory=dict)  # stage -> seconds of work (summed over shards)
    worker_seconds: dict = field(default_factory=dict)  # inside `extract`, summed over the NLP processes: model, rules
    _timing: list = field(default_factory=list, repr=False)

    COUNTS = ("files_seen", "files_new", "articles_written", "duplicates_merged", "quarantined", "records_seen", "articles_retracted",
              "articles_extracted", "articles_stale")

    def counts(self) -> dict[str, int]:
        """The counters a run reports, in `runs` and in the summary alike."""
        return {name: getattr(self, name) for name in self.COUNTS}

    @contextmanager
    def timed(self, stage: str):
        """Adds the block's wall seconds to `stage`, less those of stages timed inside it (so stages add up)."""
        frame = [time.perf_counter(), 0.0]
        self._timing.append(frame)
        try:
            yield
        finally:
            self._timing.pop()
            elapsed = time.perf_counter() - frame[0]
            self.add_seconds({stage: elapsed - frame[1]})
            if self._timing:
                self._timing[-1][1] += elapsed

    def add_seconds(self, seconds: dict[str, float]) -> None:
        for stage, s in seconds.items():
            self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + s

    def note_quarantined(self, path: str, record: int | None, reason: str | None = None) -> None:
        """Keys the articles suite checks no article carries (a whole file when record is None)."""
        self.quarantined_keys.add(f"{path}#{record}")
        if record is None:
            self.quarantined_files.add(path)
        if reason:
            self.reasons[reason] = self.reasons.get(reason, 0) + 1


@dataclass
class ReadPlan:
    """Which files this run reads, and which earlier rows it retracts first."""

    to_read: dict[str, str]  # path -> sha256 of today's bytes, for new and changed files
    retract_paths: set[str]  # paths whose earlier rows (articles, quarantine, lineage) are replaced
    retract_articles: set[str]  # their article ids (extraction rows follow)


@dataclass
class Discovery:
    files: list[RawFile]
    excluded: list[str]


@pipeline_task(name="discover-raw-files")
def discover_raw_files(raw_dir: Path, exclude: tuple[str, ...]) -> Discovery:
    """Every file under RAW (see `walk_raw`: hidden files, `exclude` patterns and links leading out of RAW are
    skipped)."""
    if not Path(raw_dir).is_dir():
        raise FileNotFoundError(f"raw folder {raw_dir} does not exist or is not a folder")
    found, excluded = walk_raw(raw_dir, exclude)
    return Discovery([RawFile(rel, size) for rel, size in found], excluded)


@pipeline_task(name="load-published-state")
def load_published_state(store: CuratedStore, run_id: str, started_at: datetime, model_name: str) -> RunState:
    state = RunState(run_id=run_id, started_at=started_at, prior=store.prior_state(), index=ArticleIndex(), model_name=model_name)
    _index_articles(state, state.prior.article_keys, state.prior.quarantine_keys)
    return state


def _index_articles(state: RunState, keys: pa.Table, quarantine_keys) -> None:
    """The run's view of what is published: content hashes, first article per body, quarantined inputs."""
    state.index = ArticleIndex.of(zip(keys.column("content_sha256").to_pylist(), keys.column("body_sha256").to_pylist()))
    state.quarantined_keys, state.quarantined_files = set(), set()
    for path, record, _sha in quarantine_keys:
        state.note_quarantined(path, record)


@pipeline_task(name="plan-raw-files")
@stage("plan")
def plan_raw_files(raw_dir: Path, files: list[RawFile], state: RunState, retry_failed: bool = False) -> ReadPlan:
    """Hash every file: new files are read; a changed file is read again and its previous version's rows are
    retracted, and so are those of files whose records were duplicates of a retracted article (they are read again
    and may now be the article). Unchanged files are skipped; files gone from RAW keep their rows."""
    shas = {}
    for f in files:
        shas[f.rel_path] = _sha256_file(Path(raw_dir) / f.rel_path)
    state.files_seen = len(files)
    prior = state.prior.files
    retry = state.prior.failed_paths if retry_failed else set()
    to_read = {p: sha for p, sha in shas.items() if prior.get(p) != sha or p in retry}
    state.files_new = sum(1 for p in to_read if p not in prior)
    keys = state.prior.article_keys
    by_path: dict[str, set[str]] = {}
    for aid, path in zip(keys.column("article_id").to_pylist(), keys.column("source_path").to_pylist()):
        by_path.setdefault(path, set()).add(aid)
    lineage = state.prior.lineage
    duplicate_paths: dict[str, set[str]] = {}  # article id -> paths holding duplicates of it
    for path, outcome, aid in zip(*(lineage.column(c).to_pylist() for c in ("source_path", "outcome", "article_id"))):
        if outcome == "duplicate":
            duplicate_paths.setdefault(aid, set()).add(path)
    retract_paths = {p for p in to_read if p in prior}
    pending = list(retract_paths)
    retract_articles: set[str] = set()
    while pending:
        path = pending.pop()
        for aid in by_path.get(path, ()):
            retract_articles.add(aid)
            for other in duplicate_paths.get(aid, ()):
                if other in shas and other not in retract_paths:
                    retract_paths.add(other)
                    to_read[other] = shas[other]
                    pending.append(other)
    return ReadPlan(to_read, retract_paths, retract_articles)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


EXTRACTION = ("mentions", "quotes", "events", STATE_EXTRACTION)


@pipeline_task(name="retract-replaced-rows")
def retract_replaced_rows(staging: Staging, plan: ReadPlan, state: RunState) -> None:
    """Remove from the staged version every row of the previous versions of changed files, in the same publish
    as their new rows: articles and their extraction rows, quarantine, lineage and processed-file state."""
    if not plan.retract_paths:
        return
    state.articles_retracted = staging.retract("articles", "article_id", plan.retract_articles)
    for table in EXTRACTION:
        staging.retract(table, "article_id", plan.retract_articles)
    for table in ("quarantine", "lineage", STATE_FILES):
        staging.retract(table, "source_path", plan.retract_paths)
    quarantined = staging.read("quarantine", ["source_path", "source_record", "raw_sha256"])
    _index_articles(
        state,
        staging.read("articles", ["article_id", "source_path", "content_sha256", "body_sha256"]),
        set(zip(*(quarantined.column(c).to_pylist() for c in quarantined.column_names))),
    )


@pipeline_task(name="read-new-raw-files")
def read_new_raw_files(raw_dir: Path, files: list[RawFile], plan: ReadPlan, max_bytes: int = MAX_FILE_BYTES) -> list[tuple[str, bytes | None, str]]:
    """Bytes of the shard's files the plan reads (new or changed); unchanged files are skipped, and files over
    `max_bytes` are not loaded (None: the parser quarantines them)."""
    return [
        (f.rel_path, None if f.size > max_bytes else (Path(raw_dir) / f.rel_path).read_bytes(), plan.to_read[f.rel_path])
        for f in files
        if f.rel_path in plan.to_read
    ]


@pipeline_task(name="parse-raw-files")
def parse_raw_files(files: list[tuple[str, bytes | None, str]], now: datetime, day_first: bool, max_bytes: int = MAX_FILE_BYTES) -> ParseResult:
    result = ParseResult()
    for rel_path, data, sha in files:
        if data is None:
            result.rejections.append(Rejection(rel_path, None, "too_large", f"larger than {max_bytes:,} bytes (setting max_file_mb); not loaded", sha))
            continue
        try:
            result.extend(parse_file(rel_path, data, now=now, day_first=day_first, max_bytes=max_bytes))
        except Exception as exc:  # a reader bug must not cost the other files of the shard
            result.rejections.append(Rejection(rel_path, None, "malformed_file", f"reader failed: {type(exc).__name__}: {exc}", sha))
    return result


@pipeline_task(name="build-article-rows")
@stage("articles")
def build_article_rows(parsed: ParseResult, files: list[tuple[str, bytes, str]], state: RunState, default_language: str) -> dict[str, pa.Table]:
    """The shard's new rows, table by table: articles, quarantine, and the lineage of every record read."""
    articles = build_articles(parsed.articles, state.index, state.run_id, state.started_at, default_language)
    state.duplicates_merged += len(articles.duplicates)
    quarantine = build_quarantine(parsed.rejections, state.run_id, state.started_at)
    for path, record, reason in zip(*(quarantine.column(c).to_pylist() for c in ("source_path", "source_record", "reason"))):
        state.note_quarantined(path, record, reason)
    lineage = build_lineage(articles.table, articles.duplicates, parsed.rejections, {f[0]: f[2] for f in files}, state.run_id)
    state.records_seen += lineage.num_rows
    return {"articles": articles.table, "quarantine": quarantine, "lineage": lineage}


@pipeline_task(name="extract-mentions-quotes-events")
def extract_rows(articles: pa.Table, extractor: Extractor, run_id: str, on_progress: Callable[[int, int], None] | None = None) -> dict[str, pa.Table]:
    """Mentions, quotes and events of the English articles, from one parse per field in the worker processes
    (others keep their row and skip extraction)."""
    english = [
        ArticleText(r["article_id"], r["title"], r["caption"], r["body"], r["published_at"])
        for r in articles.select(["article_id", "title", "caption", "body", "published_at", "language"]).to_pylist()
        if r["language"] == "en"
    ]
    done = 0

    def on_done(n: int) -> None:
        nonlocal done
        done += n
        on_progress(done, len(english))

    # Rows are built chunk by chunk as the workers return them: as Python objects (a record per mention, quote and
    # event) results take three times the memory of their tables (4.2 MB against 1.4 MB for 300 Reuters articles),
    # about 12 MB for a whole shard of the heaviest Reuters file.
    parts: dict[str, list[pa.Table]] = {}
    ids: list[str] = []
    for results in extractor.extract_chunks(english, on_done if on_progress else None):
        for name, table in build_extraction_tables(results).items():
            parts.setdefault(name, []).append(table)
        ids.extend(r.article_id for r in results)
        del results
    tables = {name: pa.concat_tables(chunks).combine_chunks() for name, chunks in parts.items()} if parts else build_extraction_tables([])
    tables[STATE_EXTRACTION] = pa.table(
        {"article_id": ids, "model_name": [extractor.model_name] * len(ids), "extraction_version": [EXTRACTION_VERSION] * len(ids), "run_id": [run_id] * len(ids)},
        schema=EXTRACTION_SCHEMA,
    )
    return tables


@pipeline_task(name="validate-tables")
@stage("validate")
def validate_tables(gate: Gate, tables: dict[str, pa.Table], state: RunState, label: str, extra: dict | None = None) -> dict[str, pa.Table]:
    """Validate a batch. Articles whose rows fail a record-level expectation are quarantined (with their extraction
    rows and any duplicates of them) and the rest is validated again; only table-level failures, or failures that
    remain, fail the run. Returns the tables to stage."""
    report = _validate(gate, tables, state, extra)
    bad = report.bad_records() if not report.success else None
    if bad:
        tables = quarantine_failed_articles(tables, bad, state)
        retry = _validate(gate, tables, state, extra)
        retry.quarantined = {aid: reasons for aid, reasons in sorted(bad.items())}
        report = retry
    state.report.merge(report, label)
    return tables


def _validate(gate: Gate, tables: dict[str, pa.Table], state: RunState, extra: dict | None) -> GateReport:
    parameters = {"run_latest": state.started_at + FUTURE_TOLERANCE, **(extra or {})}
    context = {}
    if "articles" in tables:
        parameters.update(quarantined_for(state, set(tables["articles"].column("source_path").to_pylist())))
        arts = tables["articles"].select(["article_id", "title", "caption", "body", "published_at"]).to_pylist()
        parameters["article_ids"] = [a["article_id"] for a in arts]
        context["article_texts"] = {(a["article_id"], f): a[f] for a in arts for f in ("title", "caption", "body")}
        context["published_at"] = {a["article_id"]: a["published_at"] for a in arts}
    if "mentions" in tables:  # what quotes and events may link to
        context["entity_ids"] = {e for e in tables["mentions"].column("entity_id").to_pylist() if e is not None}
    return gate.validate({t: d for t, d in tables.items() if t in SUITES}, parameters, context)


def quarantined_for(state: RunState, paths: set[str]) -> dict[str, list[str]]:
    """The quarantined records and files a batch's articles must not come from, among the batch's own files: no
    other can be an article's source. All of the run's, they went into every shard's validation (and its result)
    and grew with the run: 2,800 keys by the end of Reuters, copied many times over in each validation."""
    return {
        "quarantined_keys": sorted(k for k in state.quarantined_keys if k.rsplit("#", 1)[0] in paths),
        "quarantined_files": sorted(state.quarantined_files & paths),
    }


def quarantine_failed_articles(tables: dict[str, pa.Table], bad: dict[str, list[str]], state: RunState) -> dict[str, pa.Table]:
    """Move the failing articles out of the batch: their rows and extraction rows are dropped, and their records
    (and records that duplicated them) become quarantine rows naming the failed expectations."""
    import pyarrow.compute as pc

    ids = pa.array(sorted(bad), pa.string())
    out = {t: (d.filter(pc.invert(pc.is_in(d.column("article_id"), value_set=ids))) if t != "lineage" and "article_id" in d.column_names else d) for t, d in tables.items()}
    lineage = tables["lineage"]
    rows = lineage.to_pylist()
    rejections = []
    for row in rows:
        if row["article_id"] in bad and row["outcome"] in ("article", "duplicate"):
            failed = "; ".join(bad[row["article_id"]])
            detail = f"failed record-level expectations: {failed}" if row["outcome"] == "article" else f"duplicate of article {row['article_id']}, which failed: {failed}"
            rejections.append(Rejection(row["source_path"], row["source_record"], "failed_validation", detail, row["raw_sha256"]))
            if row["outcome"] == "duplicate":
                state.duplicates_merged -= 1
            row.update(outcome="quarantined", article_id=None, reason="failed_validation")
            state.note_quarantined(row["source_path"], row["source_record"], "failed_validation")
    out["lineage"] = pa.Table.from_pylist(rows, schema=LINEAGE)
    added = build_quarantine(rejections, state.run_id, state.started_at)
    out["quarantine"] = pa.concat_tables([tables["quarantine"], added]) if "quarantine" in tables else added
    return out


@pipeline_task(name="stage-tables")
@stage("stage")
def stage_tables(staging: Staging, tables: dict[str, pa.Table], files: list[tuple[str, bytes, str]], state: RunState) -> None:
    counters = {"articles": "articles_written", "quarantine": "quarantined", "mentions": "mentions_written", "quotes": "quotes_written", "events": "events_written"}
    for name, table in tables.items():
        written = staging.write(name, with_partition(table) if name == "articles" else table)
        if name in counters:
            setattr(state, counters[name], getattr(state, counters[name]) + written)
        if name == STATE_EXTRACTION:
            state.articles_extracted += written
    if files:
        processed = pa.table({"source_path": [f[0] for f in files], "raw_sha256": [f[2] for f in files], "run_id": [state.run_id] * len(files)})
        staging.write(STATE_FILES, processed)


@dataclass
class ShardRead:
    """A shard's records as its reading task returns them: no bytes, only the SHA-256 of each file read."""

    parsed: ParseResult
    files: list[tuple[str, None, str]]  # (path, None, sha256): the shape `build_article_rows` and `stage_tables` take
    seconds: dict[str, float]


@dataclass
class Shard:
    n: int
    tables: dict[str, pa.Table]
    files: list[tuple[str, None, str]]


@pipeline_task(name="read-parse-shard")
def read_parse_shard(raw_dir: Path, files: list[RawFile], to_read: dict[str, str], now: datetime, day_first: bool, max_bytes: int) -> ShardRead:
    """Read and parse one shard's new and changed files; needs no run state, so any worker can run it (RAW must be
    at the same path there)."""
    started = time.perf_counter()
    data = read_new_raw_files.fn(raw_dir, files, ReadPlan(to_read, set(), set()), max_bytes)
    read = time.perf_counter()
    parsed = parse_raw_files.fn(data, now, day_first, max_bytes)
    return ShardRead(parsed, [(path, None, sha) for path, _bytes, sha in data], {"read": read - started, "parse": time.perf_counter() - read})


@pipeline_task(name="extract-shard")
def extract_shard(articles: pa.Table, extractor: Extractor, run_id: str, on_progress: Callable[[int, int], None] | None = None) -> tuple[dict[str, pa.Table], float]:
    """Extraction rows of one shard's articles, and the seconds they took. On a Dask worker the extractor parses in
    that process, with the model loaded once per process (`load_nlp` is cached)."""
    started = time.perf_counter()
    return extract_rows.fn(articles, extractor, run_id, on_progress), time.perf_counter() - started


def run_shards(files: list[RawFile], plan: ReadPlan, state: RunState, settings: Settings, extractor: Extractor,
               on_progress: Callable[[float, int], None] | None = None) -> Iterator[Shard]:
    """The run's shards in shard order, ready to validate and stage. Reading and extraction are tasks the flow's task
    runner may run at once, up to `in_flight` shards ahead; between the two, in shard order, `build_article_rows`
    settles duplicates against the published articles and the earlier shards, so every row and id is the one a
    shard-by-shard run gives."""
    max_bytes = settings.max_file_mb * 1024 * 1024
    planned = plan_shards(files, plan.to_read, settings.shard_size, settings.shard_mb * 1024 * 1024)
    offsets = [sum(len(x) for x in planned[:n]) for n in range(len(planned))]
    # a shard with nothing new or changed costs no task at all (a run with nothing new stays cheap)
    work = [n for n, shard in enumerate(planned) if any(f.rel_path in plan.to_read for f in shard)]
    shards = [planned[n] for n in work]
    window = in_flight(settings)
    local = settings.task_runner == "default"  # progress inside a shard only where the callback lives
    # Shards read ahead, for task runners that read on other workers. With the default runner a shard is read when
    # its turn comes (under a second, while the workers parse the shard before it): read ahead, two shards sat parsed
    # in this process through every validation, which a run of two shards never holds (memory grew with the corpus).
    ahead = 0 if local else window

    def read(shard: list[RawFile]):
        to_read = {f.rel_path: plan.to_read[f.rel_path] for f in shard if f.rel_path in plan.to_read}
        return read_parse_shard.submit(Path(settings.raw_dir).absolute(), shard, to_read, state.started_at, settings.day_first, max_bytes)

    reading = deque(read(shard) for shard in shards[:ahead])
    extracting: deque = deque()
    for n, shard in enumerate(shards):
        got = (reading.popleft() if ahead else read(shard)).result()
        if ahead and n + ahead < len(shards):
            reading.append(read(shards[n + ahead]))
        state.add_seconds(got.seconds)
        if on_progress:
            on_progress(offsets[work[n]], len(files), (n + 1, len(shards)))
        tables = build_article_rows(got.parsed, got.files, state, settings.default_language)
        progress = _within(on_progress, offsets[work[n]], len(shard), len(files), (n + 1, len(shards))) if local else None
        future = extract_shard.submit(tables["articles"], extractor, state.run_id, progress) if settings.extract else None
        extracting.append((n, tables, got.files, future))
        while extracting and (len(extracting) >= window or n == len(shards) - 1):
            k, tables, read_files, future = extracting.popleft()
            if future is not None:
                extracted, seconds = future.result()
                tables.update(extracted)
                state.add_seconds({"extract": seconds})
            yield Shard(work[k], tables, read_files)
            del tables
            release_free_memory()  # the shard is staged: what it used goes back, and memory stays flat run-long
            if on_progress:
                on_progress(offsets[work[k]] + len(planned[work[k]]), len(files), (k + 1, len(shards)))
    state.worker_seconds = {"model": extractor.seconds["nlp"], "rules": extractor.seconds["rules"]}
    extractor.close()  # the workers' memory is free before publishing rebuilds entities
    if on_progress:
        on_progress(len(files), len(files))


def plan_shards(files: list[RawFile], to_read: dict[str, str], max_files: int, max_bytes: int) -> list[list[RawFile]]:
    """Consecutive runs of files, each at most `max_files` files and, counting only the files this run reads, at
    most `max_bytes` raw bytes (or one file): memory per shard stays flat however large the files are (Reuters
    holds 1,000 articles per file)."""
    out: list[list[RawFile]] = []
    size = 0
    for f in files:
        cost = f.size if f.rel_path in to_read else 0
        if not out or len(out[-1]) >= max_files or (cost and size and size + cost > max_bytes):
            out.append([])
            size = 0
        out[-1].append(f)
        size += cost
    return out


def in_flight(settings: Settings) -> int:
    """Shards read or extracted at once: two with the default runner (its extractor spreads a shard over the
    cores; while the flow validates and stages one shard, the workers parse the next instead of waiting), two per
    Dask worker otherwise so no worker waits for the flow."""
    if settings.task_runner == "default":
        return 2
    return 2 * (settings.workers or os.cpu_count() or 1)


def _within(on_progress: Callable[..., None] | None, start: int, size: int, total: int, shard: tuple[int, int]) -> Callable[[int, int], None] | None:
    """Progress inside a shard: its files advance as its articles are extracted (extraction is most of a run)."""
    if on_progress is None:
        return None
    return lambda done, of: on_progress(start + size * done / max(of, 1), total, shard)


@pipeline_task(name="retract-stale-extraction")
def retract_stale_extraction(staging: Staging, state: RunState) -> list[str]:
    """The stale articles' ids, with their old extraction rows removed from the staged version."""
    stale = stale_articles(staging, state.model_name)
    for table in EXTRACTION:
        staging.retract(table, "article_id", set(stale))
    return stale


@pipeline_task(name="reextract-articles")
def reextract_articles(staging: Staging, gate: Gate, extractor: Extractor, ids: list[str], state: RunState, label: str) -> None:
    """Extraction rows for published articles, validated like a run's; an article that now fails a record-level
    expectation leaves `articles` for `quarantine` in the same publish."""
    import pyarrow.compute as pc

    wanted = pa.array(ids, pa.string())
    articles = staging.read("articles")
    articles = articles.filter(pc.is_in(articles.column("article_id"), value_set=wanted))
    lineage = staging.read("lineage")
    lineage = lineage.filter(pc.is_in(lineage.column("article_id"), value_set=wanted))
    tables = {"articles": articles, "lineage": lineage, "quarantine": QUARANTINE.empty_table(), **_timed_extract(articles, extractor, state)}
    tables = validate_tables.fn(gate, tables, state, label)
    failed = set(ids) - set(tables["articles"].column("article_id").to_pylist())
    if failed:
        state.articles_retracted += staging.retract("articles", "article_id", failed)
        staging.retract("lineage", "article_id", failed)
        tables["lineage"] = tables["lineage"].filter(pc.equal(tables["lineage"].column("outcome"), "quarantined"))
    else:
        tables["lineage"] = LINEAGE.empty_table()
    del tables["articles"]
    stage_tables.fn(staging, tables, [], state)


def _timed_extract(articles: pa.Table, extractor: Extractor, state: RunState) -> dict[str, pa.Table]:
    with state.timed("extract"):
        return extract_rows.fn(articles, extractor, state.run_id)


def stale_articles(staging: Staging, model_name: str) -> list[str]:
    """English articles whose extraction is missing or was made by another model or extraction version."""
    articles = staging.read("articles", ["article_id", "language"])
    done = staging.read(STATE_EXTRACTION)
    current = {a for a, m, v in zip(*(done.column(c).to_pylist() for c in ("article_id", "model_name", "extraction_version"))) if m == model_name and v == EXTRACTION_VERSION}
    return sorted(a for a, lang in zip(articles.column("article_id").to_pylist(), articles.column("language").to_pylist()) if lang == "en" and a not in current)


# What `entities` is computed from (mentions, the dates of their articles) and what must find their entity in it.
ENTITY_INPUTS = {"articles", "mentions", "quotes", "events"}


def _last_run_made_by(staging: Staging, model_name: str) -> bool:
    """The published version came from this newsflow version and model (an upgrade rebuilds entities)."""
    runs = staging.read("runs", ["started_at", "pipeline_version", "model_name"]).sort_by([("started_at", "descending")])
    return runs.num_rows > 0 and runs.column("pipeline_version")[0].as_py() == __version__ and runs.column("model_name")[0].as_py() == model_name


def _rebuild_entities(staging: Staging, gate: Gate, state: RunState) -> int:
    """`entities` from all staged mentions, which DuckDB reads from their files (memory follows the number of
    entities, not of mentions: a run over a large corpus peaks no higher here than one over a small corpus)."""
    import duckdb

    con = duckdb.connect()
    try:
        staging.sql_views(con, ["mentions", "articles", "quotes", "events"])
        entities = entities_from(con)
        referenced = referenced_entity_ids(con)
    finally:
        con.close()
    validate_tables.fn(gate, {"entities": entities}, state, "entities", {"mention_entity_ids": referenced})
    staging.replace("entities", entities)
    return entities.num_rows


@pipeline_task(name="publish-run")
@stage("publish")
def publish_run(store: CuratedStore, staging: Staging, gate: Gate, state: RunState, settings: Settings, finished_at: datetime) -> bool:
    """Rebuild `entities` from all mentions and validate it (or, when no table it is built from changed, carry it
    over: a run with nothing new stays cheap), validate the run record, then switch the curated folder to the
    staged version (or discard it)."""
    if staging.changed.isdisjoint(ENTITY_INPUTS) and _last_run_made_by(staging, settings.model_name) and staging.carry("entities"):
        entity_rows = staging.row_count("entities")
    else:
        entity_rows = _rebuild_entities(staging, gate, state)
    state.articles_stale = len(stale_articles(staging, settings.model_name))
    record = RunRecord(
        run_id=state.run_id,
        started_at=state.started_at,
        finished_at=finished_at,
        raw_dir=str(settings.raw_dir),
        **state.counts(),
        rows_articles=staging.row_count("articles"),
        rows_mentions=staging.row_count("mentions"),
        rows_entities=entity_rows,
        rows_quarantine=staging.row_count("quarantine"),
        rows_quotes=staging.row_count("quotes"),
        rows_events=staging.row_count("events"),
        validation_passed=state.report.success,
        pipeline_version=__version__,
        model_name=settings.model_name,
    )
    state.rows = {t: staging.row_count(t) for t in TABLES if t not in ("entities", "runs")} | {"entities": entity_rows}
    run_row = build_run_row(record)
    validate_tables.fn(gate, {"runs": run_row}, state, "runs")
    save_run_record(store.root, state.run_id, "validation.json", state.report.to_json())
    if not state.report.success:
        staging.abort()
        return False
    staging.write("runs", run_row)
    state.rows["runs"] = staging.row_count("runs")
    staging.commit(settings.keep_versions)
    return True


def extractor_for(settings: Settings) -> Extractor:
    """With the default runner the extractor spreads a shard over worker processes; a Dask worker parses a shard
    in its own process (the Dask workers are the parallelism)."""
    return Extractor(settings.model_name, 1 if settings.task_runner == "dask" else settings.workers, settings.batch_size)


@pipeline_task(name="report-run")
def report_run(gate: Gate, state: RunState, published: bool, excluded: list[str], settings: Settings) -> RunSummary:
    """The run's summary, with its Data Docs built under OUT/_runs/<run_id>/data_docs and published as a Prefect
    artifact."""
    docs = gate.build_data_docs(Path(settings.curated_dir) / "_runs" / state.run_id / "data_docs")
    summary = RunSummary(
        run_id=state.run_id,
        published=published,
        **state.counts(),
        mentions_written=state.mentions_written,
        rows=state.rows,
        failures=[str(f) for f in state.report.failures],
        quarantine_reasons=dict(state.reasons),
        excluded=excluded,
        seconds=(datetime.now(timezone.utc) - state.started_at).total_seconds(),
        quotes_written=state.quotes_written,
        events_written=state.events_written,
        failed_validation=len(state.report.quarantined),
        stage_seconds={name: round(s, 3) for name, s in state.stage_seconds.items()},
        worker_seconds={name: round(s, 3) for name, s in state.worker_seconds.items()},
        data_docs=str(docs),
    )
    reports.publish_artifact(summary)
    return summary
