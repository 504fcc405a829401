"""Calls the Prefect flow with a progress bar: what `newsflow run` and `newsflow eval` share."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from newsflow.settings import Settings


def run_pipeline(settings: Settings, console: Console | None = None, reextract: bool = False):
    from flows.pipeline import newsflow_reextract, newsflow_run

    flow = newsflow_reextract if reextract else newsflow_run
    console = console or Console(stderr=True)
    if not settings.progress:
        return flow(settings)
    columns = [TextColumn("[bold]newsflow[/bold] " + ("articles" if reextract else "files")), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=True) as bar:
        job = bar.add_task("files", total=None)

        def on_progress(done: int, total: int) -> None:
            bar.update(job, completed=done, total=total)

        return flow(settings, on_progress=on_progress)
