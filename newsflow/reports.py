"""The run report: what a run did, as Markdown for a Prefect artifact (the Prefect UI shows it on the flow run and
under Artifacts, key `newsflow-run`, one version per run)."""

from __future__ import annotations

from transforms.runs import RunSummary

ARTIFACT_KEY = "newsflow-run"
STAGES = ("plan", "read", "parse", "articles", "extract", "validate", "stage", "publish")
MAX_FAILURES = 20


def _table(header: tuple[str, str], rows) -> list[str]:
    lines = [f"| {header[0]} | {header[1]} |", "|---|---:|"]
    return lines + [f"| {name} | {value:,} |" if isinstance(value, int) else f"| {name} | {value} |" for name, value in rows] + [""]


def summary_markdown(summary: RunSummary) -> str:
    """Files, articles, rows per table, quarantine reasons, validation results and stage times of one run."""
    status = "published" if summary.published else "**NOT published**: validation failed"
    lines = [f"# newsflow run `{summary.run_id}`", "", f"Status: {status}. Data Docs: `{summary.data_docs}`", ""]
    lines += _table(("measure", "value"), [
        ("files seen", summary.files_seen), ("files excluded", len(summary.excluded)), ("files new", summary.files_new),
        ("records read", summary.records_seen), ("articles written", summary.articles_written),
        ("articles replaced (changed files)", summary.articles_retracted), ("articles extracted", summary.articles_extracted),
        ("mentions written", summary.mentions_written), ("quotes written", summary.quotes_written), ("events written", summary.events_written),
        ("exact duplicates merged", summary.duplicates_merged), ("inputs quarantined", summary.quarantined),
    ])
    if summary.published:
        lines += ["## Rows per table", ""] + _table(("table", "rows"), summary.rows.items())
    lines += ["## Quarantine reasons", ""] + (_table(("reason", "inputs"), sorted(summary.quarantine_reasons.items())) if summary.quarantine_reasons else ["none", ""])
    checks = "all expectations passed" if not summary.failures else f"{len(summary.failures)} failed expectations"
    lines += ["## Validation", "", f"{checks}; {summary.failed_validation:,} articles failed a record-level check and were quarantined.", ""]
    lines += [f"- `{failure}`" for failure in summary.failures[:MAX_FAILURES]]
    if len(summary.failures) > MAX_FAILURES:
        lines += [f"- … and {len(summary.failures) - MAX_FAILURES} more (see validation.json)"]
    stages = [(name, f"{summary.stage_seconds[name]:.2f}") for name in STAGES if name in summary.stage_seconds]
    lines += ["", "## Seconds by stage", "", "Work seconds, summed over shards (shards that run at once add up to more than the wall time).", ""]
    lines += _table(("stage", "seconds"), stages + [("flow, wall", f"{summary.seconds:.2f}")])
    return "\n".join(lines)


def publish_artifact(summary: RunSummary) -> None:
    from prefect.artifacts import create_markdown_artifact

    create_markdown_artifact(markdown=summary_markdown(summary), key=ARTIFACT_KEY, description=f"newsflow run {summary.run_id}")
