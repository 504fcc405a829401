"""Run reports: each run leaves a Prefect artifact with its summary and Great Expectations Data Docs of its
validations, and records the seconds of each stage."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from expectations.gate import SUITES
from newsflow.reports import ARTIFACT_KEY, STAGES
from newsflow.store import CuratedStore
from tests.conftest import SAMPLES

pytestmark = pytest.mark.e2e


def _artifact_of(run_id: str):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[ARTIFACT_KEY])))
    (artifact,) = [a for a in artifacts if f"`{run_id}`" in a.data]
    return artifact


def test_a_run_publishes_its_summary_as_a_prefect_artifact(samples_run):
    summary, out = samples_run
    artifact = _artifact_of(summary.run_id)
    assert artifact.type == "markdown" and artifact.flow_run_id is not None
    text = artifact.data
    store = CuratedStore(out)
    for table in ("articles", "mentions", "entities", "quotes", "quarantine", "lineage"):
        assert f"| {table} | {store.read(table).num_rows:,} |" in text
    reasons = Counter(store.read("quarantine", ["reason"]).column(0).to_pylist())
    assert reasons and all(f"| {reason} | {n:,} |" in text for reason, n in reasons.items())
    raw_files = [p for p in SAMPLES.rglob("*") if p.is_file()]
    assert f"| files seen | {len(raw_files):,} |" in text
    assert "all expectations passed" in text and str(summary.data_docs) in text
    for stage in STAGES:
        assert f"| {stage} | {summary.stage_seconds[stage]:.2f} |" in text


def test_stage_seconds_cover_the_work_of_the_run(samples_run):
    summary, _ = samples_run
    assert set(summary.stage_seconds) == set(STAGES)
    assert all(s >= 0 for s in summary.stage_seconds.values())
    assert summary.stage_seconds["extract"] > 0 and summary.stage_seconds["validate"] > 0
    # stages are timed exclusively (validation inside publishing counts once), so together they fit in the flow
    assert sum(summary.stage_seconds.values()) <= summary.seconds


def test_a_run_builds_data_docs_naming_every_suite(samples_run):
    summary, out = samples_run
    index = Path(summary.data_docs)
    assert index == Path(out) / "_runs" / summary.run_id / "data_docs" / "index.html" and index.is_file()
    html = index.read_text()
    for suite in SUITES:
        assert (index.parent / "expectations" / f"{suite}.html").is_file(), suite
        assert f"expectations/{suite}.html" in html and list((index.parent / "validations" / suite).rglob("*.html")), suite
    # the fonts and images are shared by every run's docs, not copied per run
    assert (index.parent / "static").is_symlink() and (index.parent / "static" / "styles" / "data_docs_default_styles.css").is_file()
