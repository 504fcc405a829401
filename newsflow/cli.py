"""The `newsflow` command line."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Optional

# Prefect reads its settings at import time; quieter defaults for a CLI, still overridable by the environment.
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
# Prefect's client-side telemetry, whose one-time notice would land in the middle of the progress bar.
os.environ.setdefault("DO_NOT_TRACK", "1")
# Prefect waits 20 s for its temporary server by default: less than a fresh database's migration (about 24 s here)
# or a start on a loaded machine, where the run then fails before it begins.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

import typer  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.markup import escape  # noqa: E402
from rich.table import Table  # noqa: E402

from newsflow.settings import Settings  # noqa: E402

# Plain help (no Rich markup): Rich would eat every `[default: …]` as a markup tag.
app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None, help="newsflow: raw news text in, validated Parquet tables out.")
# Piped output (CI logs, `make run | tee`) gets wide tables instead of 80 columns.
console = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True)
_DEFAULTS = Settings()


def _default(name: str, shown=None) -> str:
    """`[default: …; env NEWSFLOW_…]` from the Settings defaults, so help never drifts from the code."""
    value = getattr(_DEFAULTS, name) if shown is None else shown
    if isinstance(value, tuple):
        value = ", ".join(value)
    return f"[default: {value}; env NEWSFLOW_{name.upper()}]"


class _Command(typer.core.TyperCommand):
    """Usage lines name arguments as `RAW`, not typer's `{RAW}`."""

    def collect_usage_pieces(self, ctx) -> list[str]:
        return [p[1:-1] if p.startswith("{") and p.endswith("}") else p for p in super().collect_usage_pieces(ctx)]


def _version(value: bool) -> None:
    if value:
        from newsflow import __version__

        console.print(f"newsflow {__version__}", markup=False, highlight=False)
        raise typer.Exit(0)


@app.callback()
def main(version: bool = typer.Option(False, "--version", is_eager=True, callback=_version, help="Print the version and exit.")) -> None:
    """newsflow: raw news text in, validated Parquet tables out."""


_RUN_EXIT_CODES = (
    "Exit codes: 0 published; 1 validation failed, nothing published; 2 bad usage, or another run holds the lock"
    " on OUT; 3 nothing to read (RAW holds no file in a supported format)."
)


# The options `run` and `serve` share: one definition, one Settings object.
_RAW = typer.Argument(..., metavar="RAW", help="Folder of raw files (txt, jsonl, json, csv, html, sgm; optionally .gz), read recursively.")
_CURATED = typer.Option(None, "--curated", "-o", metavar="OUT", help=f"Output folder {_default('curated_dir')}.")
_MODEL = typer.Option(None, "--model", metavar="NAME", help=f"spaCy pipeline name {_default('model_name')}.")
_SHARD_SIZE = typer.Option(None, "--shard-size", metavar="N", min=1, help=f"Files per shard {_default('shard_size')}.")
_SHARD_MB = typer.Option(None, "--shard-mb", metavar="MB", min=1, help=f"At most this many MB of raw files per shard (one file at least) {_default('shard_mb')}.")
_WORKERS = typer.Option(None, "--workers", metavar="N", min=0, help=f"NLP worker processes (with --task-runner dask: local Dask workers, or shards in flight on --dask-address); 0 = one per core {_default('workers')}.")
_BATCH_SIZE = typer.Option(None, "--batch-size", metavar="N", min=1, help=f"spaCy batch size {_default('batch_size')}.")
_EXCLUDE = typer.Option(None, "--exclude", metavar="PATTERN", help=f"File name pattern to skip (repeatable) {_default('exclude')}.")
_RETRY_FAILED = typer.Option(None, "--retry-failed", help=f"Read again the files whose records failed a record-level check (after upgrading newsflow) or that were too large (after raising NEWSFLOW_MAX_FILE_MB) {_default('retry_failed', 'off')}.")
_TASK_RUNNER = typer.Option(None, "--task-runner", metavar="NAME", help=f"Where shards run: default (this machine) or dask {_default('task_runner')}.")
_DASK_ADDRESS = typer.Option(None, "--dask-address", metavar="URL", help=f"Scheduler of an existing Dask cluster, e.g. tcp://host:8786 (with --task-runner dask) {_default('dask_address', 'a local cluster')}.")


def _settings(**options) -> Settings:
    """Settings from the environment and the options given; a bad value exits with code 2."""
    try:
        return Settings.from_env(**{k: tuple(v) if isinstance(v, list) else v for k, v in options.items()})
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2)


@app.command(cls=_Command, epilog=_RUN_EXIT_CODES)
def run(
    raw: Path = _RAW,
    curated: Optional[Path] = _CURATED,
    model: Optional[str] = _MODEL,
    shard_size: Optional[int] = _SHARD_SIZE,
    shard_mb: Optional[int] = _SHARD_MB,
    workers: Optional[int] = _WORKERS,
    batch_size: Optional[int] = _BATCH_SIZE,
    progress: Optional[bool] = typer.Option(None, "--progress/--no-progress", help=f"Progress on stderr: a bar in a terminal, plain lines otherwise {_default('progress', 'on')}."),
    exclude: Optional[list[str]] = _EXCLUDE,
    retry_failed: Optional[bool] = _RETRY_FAILED,
    task_runner: Optional[str] = _TASK_RUNNER,
    dask_address: Optional[str] = _DASK_ADDRESS,
) -> None:
    """Process every supported file under RAW and publish validated tables under --curated."""
    settings = _settings(raw_dir=raw, curated_dir=curated, model_name=model, shard_size=shard_size, shard_mb=shard_mb, workers=workers, batch_size=batch_size, progress=progress,
                         exclude=exclude or None, retry_failed=retry_failed, task_runner=task_runner, dask_address=dask_address)
    if not raw.is_dir():
        err.print(f"[red]error:[/red] raw folder {raw} does not exist or is not a folder")
        raise typer.Exit(2)
    from newsflow.runner import NOTHING_TO_READ, scan_raw

    scan = scan_raw(raw, settings.exclude)
    if not scan.supported:
        err.print(f"[yellow]warning:[/yellow] {escape(scan.describe(raw))}; nothing to do, {settings.curated_dir} is unchanged.", highlight=False)
        raise typer.Exit(NOTHING_TO_READ)
    from newsflow.nlp import ModelNotInstalled
    from newsflow.runner import run_pipeline
    from newsflow.startup import StartupError
    from newsflow.store import CuratedStore, StoreError

    started = time.monotonic()
    try:
        with CuratedStore(settings.curated_dir).lock():  # refuse at once, not after the flow's start-up
            pass
        summary = run_pipeline(settings, console=err, total_files=len(scan.files), pause_collector=True)  # this process runs one flow
    except (StoreError, ModelNotInstalled, StartupError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2)
    print_summary(summary, settings, wall_seconds=time.monotonic() - started)
    raise typer.Exit(0 if summary.published else 1)


def print_summary(summary, settings: Settings, wall_seconds: float | None = None) -> None:
    """The run's counts; row counts only when the run published (a failed run's would-be counts mislead)."""
    title = f"newsflow run {summary.run_id}" + ("" if summary.published else ": NOT published")
    table = Table(title=title, show_header=True)
    table.add_column("measure")
    table.add_column("value", justify="right")
    patterns = ", ".join(settings.exclude) or "no patterns"
    rows = [
        ("files seen", summary.files_seen),
        (f"files excluded ({patterns})", len(summary.excluded)),
        ("files new", summary.files_new),
    ]
    if summary.published:
        rows += [
            ("records read", summary.records_seen),
            ("articles written", summary.articles_written),
            ("articles replaced (changed files)", summary.articles_retracted),
            ("articles extracted", summary.articles_extracted),
            ("mentions written", summary.mentions_written),
            ("quotes written", summary.quotes_written),
            ("events written", summary.events_written),
            ("exact duplicates merged", summary.duplicates_merged),
        ]
    rows += [("inputs quarantined" if summary.published else "inputs rejected (not published)", summary.quarantined)]
    rows += [(f"  quarantined: {reason}", n) for reason, n in sorted(summary.quarantine_reasons.items())]
    if summary.failed_validation:
        rows += [("articles that failed a record-level check (quarantined)", summary.failed_validation)]
    if summary.published:
        rows += [(f"rows in {name}", n) for name, n in summary.rows.items()]
    rows += [("seconds in the flow", f"{summary.seconds:.1f}")]
    if wall_seconds is not None:
        rows += [("seconds with start-up (Prefect, model)", f"{wall_seconds:.1f}")]
    for name, value in rows:
        table.add_row(escape(name), f"{value:,}" if isinstance(value, int) else str(value))
    console.print(table)
    if summary.stage_seconds:
        stages = ", ".join(f"{name} {seconds:.1f}" for name, seconds in summary.stage_seconds.items())
        console.print(f"seconds by stage: {stages}", markup=False, highlight=False)
    if summary.data_docs:
        console.print(f"validation report (Great Expectations Data Docs): {Path(summary.data_docs).resolve().as_uri()}", markup=False, highlight=False)
    if summary.published:
        console.print(f"[green]published[/green] to {settings.curated_dir} (DuckDB: {settings.curated_dir / 'newsflow.duckdb'})")
        if summary.articles_stale:
            console.print(
                f"[yellow]{summary.articles_stale:,} articles have no extraction by {settings.model_name} and extraction version "
                f"{_extraction_version()}[/yellow]: run `newsflow reextract --curated {settings.curated_dir}` to build it"
            )
        if summary.files_new and not summary.articles_written:
            console.print("[yellow]warning:[/yellow] no new file gave an article; see the quarantine rows above.")
    else:
        console.print(f"[red]validation failed: nothing was published[/red]; {settings.curated_dir} is unchanged. Failed expectations:")
        for failure in summary.failures:
            console.print(f"  - {failure}", markup=False)
        console.print(f"Validation results: {settings.curated_dir / '_runs' / summary.run_id / 'validation.json'}")


@app.command(cls=_Command)
def serve(
    raw: Path = _RAW,
    cron: Optional[str] = typer.Option(None, "--cron", metavar="CRON", help='Run on this cron schedule, e.g. "*/15 * * * *" (UTC).'),
    interval: Optional[float] = typer.Option(None, "--interval", metavar="SECONDS", min=1, help="Run every SECONDS seconds."),
    name: str = typer.Option("newsflow", "--name", metavar="NAME", help="Deployment name [default: newsflow]."),
    curated: Optional[Path] = _CURATED,
    model: Optional[str] = _MODEL,
    shard_size: Optional[int] = _SHARD_SIZE,
    shard_mb: Optional[int] = _SHARD_MB,
    workers: Optional[int] = _WORKERS,
    batch_size: Optional[int] = _BATCH_SIZE,
    exclude: Optional[list[str]] = _EXCLUDE,
    retry_failed: Optional[bool] = _RETRY_FAILED,
    task_runner: Optional[str] = _TASK_RUNNER,
    dask_address: Optional[str] = _DASK_ADDRESS,
) -> None:
    """Serve `newsflow run RAW` as a Prefect deployment on the Prefect server at PREFECT_API_URL: runs start on the
    schedule (or from the Prefect UI / `prefect deployment run`), one at a time, until Ctrl-C."""
    settings = _settings(raw_dir=raw, curated_dir=curated, model_name=model, shard_size=shard_size, shard_mb=shard_mb, workers=workers, batch_size=batch_size, progress=False,
                         exclude=exclude or None, retry_failed=retry_failed, task_runner=task_runner, dask_address=dask_address)
    if cron and interval:
        err.print("[red]error:[/red] give --cron or --interval, not both")
        raise typer.Exit(2)
    if not raw.is_dir():
        err.print(f"[red]error:[/red] raw folder {raw} does not exist or is not a folder")
        raise typer.Exit(2)
    from newsflow.runner import ServeError, serve_flow

    try:
        serve_flow(settings, name=name, cron=cron, interval=interval)
    except ServeError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2)


@app.command(cls=_Command)
def reextract(
    curated: Optional[Path] = typer.Option(None, "--curated", "-o", metavar="OUT", help=f"Curated folder {_default('curated_dir')}."),
    model: Optional[str] = typer.Option(None, "--model", metavar="NAME", help=f"spaCy pipeline name {_default('model_name')}."),
    workers: Optional[int] = typer.Option(None, "--workers", metavar="N", min=0, help=f"NLP worker processes; 0 = one per core for large batches {_default('workers')}."),
    progress: Optional[bool] = typer.Option(None, "--progress/--no-progress", help=f"Progress on stderr {_default('progress', 'on')}."),
) -> None:
    """Rebuild mentions, entities, quotes and events for articles whose extraction is missing or came from another
    model or extraction version, without reading RAW; published atomically like a run."""
    try:
        settings = Settings.from_env(curated_dir=curated, model_name=model, workers=workers, progress=progress)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2)
    from newsflow.nlp import ModelNotInstalled
    from newsflow.runner import run_pipeline
    from newsflow.startup import StartupError
    from newsflow.store import StoreError

    started = time.monotonic()
    try:
        summary = run_pipeline(settings, console=err, reextract=True)
    except (StoreError, ModelNotInstalled, StartupError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2)
    print_summary(summary, settings, wall_seconds=time.monotonic() - started)
    raise typer.Exit(0 if summary.published else 1)


def _extraction_version() -> str:
    from transforms.extraction import EXTRACTION_VERSION

    return EXTRACTION_VERSION


@app.command(cls=_Command)
def query(
    sql: str = typer.Argument(..., metavar="SQL", help="SQL over the views articles, mentions, entities, quotes, events, quarantine, runs; several statements separated by `;` print one table each. `-` reads it from standard input."),
    curated: Optional[Path] = typer.Option(None, "--curated", "-o", metavar="OUT", help=f"Curated folder {_default('curated_dir')}."),
    timer: bool = typer.Option(False, "--timer", help="After each result, print its rows and the seconds the statement took (running it and fetching its rows)."),
) -> None:
    """Run SQL against OUT/newsflow.duckdb (read-only) and print each result as a table."""
    import time

    import duckdb

    settings = Settings.from_env(curated_dir=curated)
    db = settings.curated_dir / "newsflow.duckdb"
    if not db.exists():
        err.print(f"[red]error:[/red] {db} does not exist: run `newsflow run RAW --curated {settings.curated_dir}` first")
        raise typer.Exit(2)
    if sql == "-":
        sql = sys.stdin.read()
    con = duckdb.connect(str(db), read_only=True)
    try:
        statements = con.extract_statements(sql)
        if not statements:
            err.print("[red]error:[/red] no SQL statement given")
            raise typer.Exit(2)
        for statement in statements:
            start = time.perf_counter()
            result = con.execute(statement)
            rows = result.fetchall() if result.description else None
            seconds = time.perf_counter() - start
            if rows is not None:
                table = Table(*[d[0] for d in result.description])
                for row in rows:
                    table.add_row(*("" if v is None else str(v) for v in row))
                console.print(table)
            if timer:
                counted = "" if rows is None else f"{len(rows):,} row{'s' * (len(rows) != 1)} in "
                console.print(f"{counted}{seconds:.3f} s")
    except duckdb.Error as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2)


@app.command(cls=_Command)
def dictionary(write: Optional[Path] = typer.Option(None, "--write", metavar="FILE", help="Replace the data dictionary section of this Markdown file.")) -> None:
    """Print the data dictionary generated from the table schemas (or update README.md with it)."""
    from newsflow.schema import dictionary_markdown

    text = dictionary_markdown()
    if write is None:
        sys.stdout.write(text)
        return
    from newsflow.docs import replace_section

    write.write_text(replace_section(write.read_text(), text))
    console.print(f"updated the data dictionary in {write}")


@app.command(cls=_Command)
def bench(
    raw: Path = typer.Argument(Path("data/raw"), metavar="RAW", show_default=False, help="Input folder to measure on [default: data/raw]."),
    limit: Optional[int] = typer.Option(None, "--limit", metavar="N", min=1, help="Only the first N articles of RAW (files in run order; a Reuters .sgm or .jsonl file is cut) [default: all]."),
    workers: Optional[int] = typer.Option(None, "--workers", metavar="N", min=0, help=f"NLP worker processes, 0 = automatic {_default('workers')}."),
    start_server: bool = typer.Option(False, "--start-server", help="Start a Prefect server for the bench (as PREFECT_API_URL set does): the start-up is also measured against it and the pipeline runs against it [default: off: the pipeline starts Prefect's temporary server]."),
    exclude: Optional[list[str]] = typer.Option(None, "--exclude", metavar="PATTERN", help=f"File name pattern to skip (repeatable) {_default('exclude')}."),
    json_path: Optional[Path] = typer.Option(None, "--json", metavar="PATH", help="Also write the figures to this JSON file."),
    memory_at: Optional[list[str]] = typer.Option(None, "--memory-at", metavar="N", help="Measure memory against corpus size instead (repeatable): one `newsflow run` in a fresh process over the first N articles of RAW (or `all`), and the peak memory of its process tree, for each N in order."),
) -> None:
    """The whole pipeline beside bare nlp.pipe (same texts, model and processes): articles/s, words/s, their ratio,
    seconds per stage, the one-file start-up and peak memory. With --memory-at: peak memory against corpus size."""
    import json

    from newsflow.bench import bench as run_bench
    from newsflow.bench import memory_by_size

    if not raw.is_dir():
        err.print(f"[red]error:[/red] raw folder {raw} does not exist or is not a folder")
        raise typer.Exit(2)
    sizes = []
    for value in memory_at or ():
        if value.strip().lower() == "all":
            sizes.append(None)
        elif value.strip().isdigit() and int(value) > 0:
            sizes.append(int(value))
        else:
            err.print(f"[red]error:[/red] --memory-at takes a number of articles or `all`, not {value!r}")
            raise typer.Exit(2)
    if sizes and limit:
        err.print("[red]error:[/red] --limit and --memory-at do not go together: --memory-at gives the sizes")
        raise typer.Exit(2)
    settings = Settings.from_env(raw_dir=raw, workers=workers, exclude=tuple(exclude) if exclude else None)
    if sizes:
        figures = memory_by_size(settings, console, sizes, start_server=start_server)
    else:
        figures = run_bench(settings, console, limit=limit, start_server=start_server)
    if json_path:
        json_path.write_text(json.dumps(figures, indent=1))


@app.command("eval", cls=_Command)
def eval_(
    task: str = typer.Argument("all", metavar="TASK", show_default=False, help="ner, dates, entities, quotes, events, articles or all [default: all]."),
    json_path: Optional[Path] = typer.Option(None, "--json", metavar="PATH", help="Also write the figures to this JSON file."),
    corpora: Optional[Path] = typer.Option(None, "--corpora", metavar="DIR", help=f"Corpora folder {_default('corpora_dir')}."),
) -> None:
    """Run the real pipeline over annotated news and print precision, recall and F1."""
    from newsflow.evaluation.runner import main

    settings = Settings.from_env(corpora_dir=corpora, progress=False)
    raise typer.Exit(main(task, json_path, settings, console))


def entry() -> None:
    """The `newsflow` command: `app`, then a quick exit. After a run the interpreter's own clean-up frees spaCy's,
    GX's and Prefect's objects one by one (about 1.5 s here) for a process that is ending anyway; the exit
    handlers (Prefect's, logging's, the temporary server's stop) still run first, and output is flushed."""
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = exc.code
    exit_now(code)


def exit_now(code) -> None:
    """What `sys.exit(code)` does (other threads joined, exit handlers run, streams flushed), without the module
    teardown that follows."""
    import atexit
    import threading

    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be written anyway
            pass
    os._exit(code)


if __name__ == "__main__":
    entry()
