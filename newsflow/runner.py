"""Calls the Prefect flow with a progress bar: what `newsflow run` and `newsflow eval` share."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from newsflow.settings import Settings


def run_pipeline(settings: Settings, console: Console | None = None):
    from flows.pipeline import newsflow_run

    console = console or Console(stderr=True)
    if not settings.progress:
        return newsflow_run(settings)
    columns = [TextColumn("[bold]newsflow[/bold] files"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=True) as bar:
        job = bar.add_task("files", total=None)

        def on_progress(done: int, total: int) -> None:
            bar.update(job, completed=done, total=total)

        return newsflow_run(settings, on_progress=on_progress)
