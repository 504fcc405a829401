"""The validation gate: every table of a shard or run through its Great Expectations suite before it is published.

Each suite module in this package supplies `TABLE`, `expectations()` and `prepare(frame)`; the gate adds the
checks that follow from the schema declared in `newsflow.schema` (column list and order, non-null columns).

Record-level versus table-level: a suite whose rows belong to one article declares `RECORD_KEY = "article_id"`;
its expectations with GX severity `warning` are about one record (a bad date, bad offsets in one article's rows),
and the gate names the articles whose rows failed them (GX's `unexpected_index_list`), so the flow quarantines
those articles and publishes the rest. Expectations with severity `critical` (the default: schema, references
across tables, uniqueness across files) are about the table and block publishing.

Detail where it is needed: each table is first validated with GX's `BASIC` result format (every expectation with
its verdict, counts and up to 20 unexpected values; what the Data Docs render), 40% less work than the full
formats, which also list every unexpected value and the record key of every failing row. Only a table that fails is
validated again in full (`COMPLETE` with the record key for a record-level suite, else `SUMMARY`), and only that
result is kept, in the report and in GX's store the Data Docs are built from. (`BOOLEAN_ONLY`, cheaper still, leaves
results the Data Docs cannot render.)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import warnings
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyarrow as pa

from expectations import articles, entities, events, lineage, mentions, quarantine, quotes, runs
from expectations.levels import RECORD, record_level
from newsflow.schema import TABLES

SUITES = {m.TABLE: m for m in (articles, mentions, entities, quotes, events, quarantine, lineage, runs)}


@dataclass
class Failure:
    table: str
    expectation: str
    column: str | None
    unexpected_count: int | None
    examples: list
    severity: str = "critical"
    keys: list = field(default_factory=list)  # record keys (article ids) of the failing rows, record-level only

    @property
    def record_level(self) -> bool:
        return self.severity == RECORD and bool(self.keys) and all(k is not None for k in self.keys)

    def __str__(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        count = f": {self.unexpected_count} unexpected" if self.unexpected_count is not None else ""
        sample = f", e.g. {self.examples[:3]}" if self.examples else ""
        return f"{where} {self.expectation}{count}{sample}"


@dataclass
class GateReport:
    success: bool = True
    failures: list[Failure] = field(default_factory=list)
    results: dict = field(default_factory=dict)  # table -> GX validation result (JSON-able), of one validation
    # A run's report (`merge`): table -> each batch's result as compressed JSON text. As Python objects they took
    # 160 KB a shard, 47 KB as text, about 5 KB compressed; the run's report (`to_json`) is all that reads them.
    batch_results: dict = field(default_factory=dict)
    rows_checked: dict = field(default_factory=dict)
    quarantined: dict = field(default_factory=dict)  # article_id -> record-level expectations it failed

    def bad_records(self) -> dict[str, list[str]] | None:
        """{article_id: [failed expectation, ...]} when every failure is record-level; None when any is not."""
        if any(not f.record_level for f in self.failures):
            return None
        bad: dict[str, list[str]] = {}
        for f in self.failures:
            name = f"{f.table}.{f.column} {f.expectation}" if f.column else f"{f.table} {f.expectation}"
            for key in f.keys:
                if name not in bad.setdefault(key, []):
                    bad[key].append(name)
        return bad

    def merge(self, other: "GateReport", label: str) -> None:
        """Add one batch's report to a run's."""
        self.success = self.success and other.success
        self.quarantined.update(other.quarantined)
        self.failures.extend(other.failures)
        for table, result in other.results.items():
            text = json.dumps({"batch": label, **result}, separators=(",", ":"), default=str)
            self.batch_results.setdefault(table, []).append(zlib.compress(text.encode("utf-8"), 1))
        for table, n in other.rows_checked.items():
            self.rows_checked[table] = self.rows_checked.get(table, 0) + n

    def to_json(self) -> str:
        """The run's report: every batch's results (a batch's own when nothing was merged)."""
        results = {t: [json.loads(zlib.decompress(r)) for r in rs] for t, rs in self.batch_results.items()} if self.batch_results else self.results
        return json.dumps(
            {"success": self.success, "failures": [str(f) for f in self.failures], "quarantined_articles": self.quarantined,
             "rows_checked": self.rows_checked, "results": results},
            indent=1,
            default=str,
        )


def schema_expectations(schema: pa.Schema, derived: list[str], record_key: str | None = None) -> list:
    """Checks that follow from the declared schema; `derived` are the columns a suite's `prepare` appends. The
    column list is table-level; a null in one article's row is record-level where the table has a record key."""
    import great_expectations as gx

    e = gx.expectations
    checks = [e.ExpectTableColumnsToMatchOrderedList(column_list=list(schema.names) + list(derived))]
    not_null = [e.ExpectColumnValuesToNotBeNull(column=f.name) for f in schema if not f.nullable and not pa.types.is_list(f.type)]
    if record_key:
        record_level([c for c in not_null if c.column != record_key])
    return checks + not_null


@lru_cache(maxsize=1)
def _gx_context():
    """One ephemeral GX context per process (its import and set-up cost seconds), shared by every Gate."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="great_expectations")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    from expectations import speedups

    speedups.install()
    speedups.install_template_cache()

    for name in ("great_expectations", "great_expectations.data_context.types.base"):
        logging.getLogger(name).setLevel(logging.ERROR)  # GX sets INFO on some of its loggers at import
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    _keep_results_on_disk(context)
    return gx, context, context.data_sources.add_pandas("newsflow")


def _keep_results_on_disk(context) -> None:
    """The context's validation results (what the Data Docs are built from) in files, not in this process's memory:
    an ephemeral context keeps every result in memory, 250 KB per shard, so a long run's process grew with every
    shard it validated. The folder lives as long as the process."""
    import atexit
    import tempfile

    _remove_orphaned_results(tempfile.gettempdir())
    folder = tempfile.mkdtemp(prefix=f"{RESULTS_PREFIX}{os.getpid()}-")
    atexit.register(shutil.rmtree, folder, True)
    backend = {"class_name": "TupleFilesystemStoreBackend", "base_directory": folder}
    context.add_store(RESULTS_STORE, {"class_name": "ValidationResultsStore", "store_backend": backend})
    context.validation_results_store_name = RESULTS_STORE


RESULTS_STORE = "newsflow_validation_results"
RESULTS_PREFIX = "newsflow-gx-results-"


def _remove_orphaned_results(tmp: str) -> list[str]:
    """Remove the results folders of processes that are gone without removing theirs (killed: no `atexit` runs),
    so runs stopped by a scheduler or the out-of-memory killer do not pile up folders in the temporary directory.
    A folder is named after its process id; only this user's folders whose process no longer exists are removed."""
    import psutil

    removed = []
    for path in Path(tmp).glob(f"{RESULTS_PREFIX}*-*"):
        pid = path.name[len(RESULTS_PREFIX) :].split("-", 1)[0]
        try:
            mine = path.is_dir() and path.stat().st_uid == os.getuid()
        except (OSError, AttributeError):  # gone meanwhile; or no user ids on this system
            continue
        if mine and pid.isdigit() and not psutil.pid_exists(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return removed


@lru_cache(maxsize=None)
def _validation(table: str):
    """The table's suite and validation definition, with the result format it runs with: built once per process on
    first use.

    The gate runs the validation definition itself rather than a Checkpoint around it: a Checkpoint with no
    actions adds nothing here but checks that it and its definition still equal their stored copies (the definition
    checks itself again when it runs) and serialises itself into its result, a sixth of each validation."""
    gx, context, source = _gx_context()
    module = SUITES[table]
    batch = source.add_dataframe_asset(name=table).add_batch_definition_whole_dataframe(f"{table}_frame")
    # The whole list at once: adding expectations one by one copies the suite each time (10x slower, seconds here).
    expectations = schema_expectations(TABLES[table], getattr(module, "DERIVED", []), getattr(module, "RECORD_KEY", None)) + module.expectations()
    suite = context.suites.add(gx.ExpectationSuite(name=table, expectations=expectations))
    definition = context.validation_definitions.add(gx.ValidationDefinition(name=table, data=batch, suite=suite))
    key = getattr(module, "RECORD_KEY", None)
    result_format = {"result_format": "COMPLETE", "unexpected_index_column_names": [key]} if key else {"result_format": "SUMMARY"}
    return definition, result_format


FIRST_PASS = {"result_format": "BASIC"}


def _forget(result) -> None:
    """Remove `result` from the context's store of validation results (a detailed one replaces it)."""
    store = _gx_context()[1].validation_results_store
    run_id = result.meta.get("run_id")
    for key in store.list_keys():
        if key.run_id == run_id and key.expectation_suite_identifier.name == result.suite_name:
            store.remove_key(key)


# Longest list kept whole in a result's expectation arguments in the run's report (validation.json).
MAX_LISTED = 20


def _compact(described: dict) -> dict:
    """A validation result as the run's report keeps it: without the full lists of unexpected values and rows (the
    failures and the quarantine name them), and with long argument lists (a shard's article ids, the run's
    quarantined records) shortened to their first `MAX_LISTED` values and their count. Whole, they made every
    shard's result hundreds of KB, and a long run's report grew with the square of its quarantined records."""
    for r in described.get("expectations", []):
        for big in ("unexpected_list", "unexpected_index_list", "unexpected_index_query"):
            (r.get("result") or {}).pop(big, None)
        kwargs = r.get("kwargs") or {}
        for name, value in kwargs.items():
            if isinstance(value, (list, tuple, set, frozenset)) and len(value) > MAX_LISTED:
                values = sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
                kwargs[name] = {"count": len(values), "first": values[:MAX_LISTED]}
    return described


def _forget_metrics() -> None:
    """Empty the metric cache of the context's execution engine. GX keeps every metric it computed there (values,
    boolean masks of whole columns) under the batch and the expectation's arguments, only as a fallback for metrics
    a later validation needs but did not compute; each shard's article ids make new keys, so a long run's process
    grew by 0.5 MB per shard. A validation computes what it needs, and failures are still found (tested)."""
    cache = getattr(_gx_context()[2].get_execution_engine(), "_metric_cache", None)
    if isinstance(cache, dict):
        cache.clear()


def _normal(value):
    """`value` with any set sorted, so equal suites give equal JSON in every process (a set iterates in hash-seed order)."""
    if isinstance(value, (set, frozenset)):
        return sorted((_normal(v) for v in value), key=str)
    if isinstance(value, (list, tuple)):
        return [_normal(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _normal(v) for k, v in value.items()}
    return value


@lru_cache(maxsize=1)
def _suites_key() -> str:
    """What the suites' Data Docs pages are rendered from: every expectation of every suite (without the id GX
    draws anew in each process), GX's version (its templates) and newsflow's."""
    import great_expectations as gx

    from newsflow import __version__

    suites = [[t, [_normal({k: v for k, v in e.dict().items() if k != "id"}) for e in _validation(t)[0].suite.expectations]] for t in SUITES]
    text = json.dumps([gx.__version__, __version__, suites], sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _link_pages(pages: Path, target: Path) -> None:
    """Hard links to the rendered suite pages (a copy where the file system has none): each run's docs stay whole
    when another run's folder is deleted."""
    target.mkdir(parents=True, exist_ok=True)
    for page in pages.iterdir():
        try:
            os.link(page, target / page.name)
        except OSError:
            shutil.copy2(page, target / page.name)


def _keep_pages(rendered: Path, pages: Path) -> None:
    """Keep a run's rendered suite pages for the next runs under `pages` (written aside, then renamed into place, so
    a run that reads them never meets a half-written folder; when two runs race, the first one's stay)."""
    if not rendered.is_dir() or pages.is_dir():
        return
    pages.parent.mkdir(parents=True, exist_ok=True)
    aside = Path(tempfile.mkdtemp(prefix=".suites-", dir=pages.parent))
    try:
        for page in rendered.glob("*.html"):
            shutil.copy2(page, aside / page.name)
        aside.rename(pages)
    except OSError:
        shutil.rmtree(aside, ignore_errors=True)


class Gate:
    """The suites of `tables` (all by default), on the process's one ephemeral GX context."""

    def __init__(self, tables: list[str] | None = None):
        self.tables = tables or list(SUITES)
        self._earlier: list | None = None  # validation results in the shared context before this gate's first

    def warm(self) -> "Gate":
        """Import GX and build every suite now (start-up does it while Prefect's server boots)."""
        for table in self.tables:
            _validation(table)
        return self

    def build_data_docs(self, folder: Path) -> Path:
        """Great Expectations Data Docs of every validation this gate ran (a page per table and batch, and the
        suites) under `folder`; returns its index.html. The 4 MB of fonts and images they use are kept once, in
        `folder`'s parent's parent (OUT/_runs/data_docs_static), shared by every run's docs through a link. The
        suites' pages are the same from run to run (0.25 s of rendering): the first run keeps them under
        OUT/_runs/data_docs_suites/<key of the suites>, and later runs hard-link them and render their validations."""
        folder = Path(folder).absolute()  # GX wants an absolute base directory
        _, context, _ = _gx_context()
        results = context.validation_results_store
        for key in self._earlier or ():  # the process's context is shared: earlier gates' results had their docs
            results.remove_key(key)
        backend = {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(folder)}
        if "newsflow" in (context.get_config().data_docs_sites or {}):
            context.delete_data_docs_site("newsflow")
        context.add_data_docs_site("newsflow", {"class_name": "SiteBuilder", "store_backend": backend})
        pages = folder.parent.parent / "data_docs_suites" / _suites_key()
        validated = results.list_keys()
        if pages.is_dir() and validated:
            _link_pages(pages, folder / "expectations")
            context.build_data_docs(site_names=["newsflow"], resource_identifiers=validated)  # the index lists the linked pages
        else:
            context.build_data_docs(site_names=["newsflow"])
            _keep_pages(folder / "expectations", pages)
        shared, static = folder.parent.parent / "data_docs_static", folder / "static"
        if shared.is_dir():
            shutil.rmtree(static)
        else:
            static.rename(shared)
        static.symlink_to(os.path.relpath(shared, folder), target_is_directory=True)
        return folder / "index.html"

    def validate(self, tables: dict[str, pa.Table], parameters: dict | None = None, context: dict | None = None) -> GateReport:
        """Validate each table (cast to its schema already); `parameters` fill the suites' $PARAMETER values and
        `context` carries what cross-table checks need (e.g. the articles whose text mention offsets point into)."""
        report = GateReport()
        if self._earlier is None:
            self._earlier = list(_gx_context()[1].validation_results_store.list_keys())
        for table, data in tables.items():
            frame = data.to_pandas()
            module = SUITES[table]
            frame = module.prepare(frame, context or {})
            definition, result_format = _validation(table)
            run = dict(batch_parameters={"dataframe": frame}, expectation_parameters=parameters or {})
            result = definition.run(**run, result_format=FIRST_PASS)
            if not result.success:
                _forget(result)
                result = definition.run(**run, result_format=result_format)
            _forget_metrics()
            report.rows_checked[table] = len(frame)
            report.success = report.success and bool(result.success)
            key = getattr(module, "RECORD_KEY", None)
            report.results[table] = _compact(result.describe_dict())
            for r in result.results:
                if not r.success:
                    cfg = r.expectation_config
                    res = r.result or {}
                    severity = getattr(cfg.severity, "value", str(cfg.severity)).lower()
                    keys = sorted({row.get(key) for row in res.get("unexpected_index_list") or [] if isinstance(row, dict)}, key=str) if key else []
                    report.failures.append(
                        Failure(table, cfg.type, cfg.kwargs.get("column") or cfg.kwargs.get("column_A"), res.get("unexpected_count"),
                                list(res.get("partial_unexpected_list") or []), severity, keys)
                    )
        return report
