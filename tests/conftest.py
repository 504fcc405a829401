"""Shared fixtures. Prefect runs against one temporary test API for the whole session (see `prefect_harness`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

REPO = Path(__file__).resolve().parents[1]
CORPORA = Path(os.environ.get("NEWSFLOW_CORPORA_DIR", REPO.parent / "shared" / "corpora"))
SAMPLES = REPO / "data" / "raw"
SEED = CORPORA / "seed" / "000_7424c5f0da8b9a0a.txt"



def pytest_configure(config):
    # On CI the corpora are always beside the clone: a missing folder is a broken set-up, not a reason to skip.
    if os.environ.get("CI") and not CORPORA.is_dir():
        raise pytest.UsageError(f"CI is set but the corpora are not at {CORPORA}")


needs_corpora = pytest.mark.skipif(not CORPORA.is_dir(), reason=f"annotated corpora not found at {CORPORA}")


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def run_flow(prefect_harness):
    """Run the real flow (as the CLI does) on a RAW folder into an OUT folder; returns the RunSummary."""
    from newsflow.runner import run_pipeline
    from newsflow.settings import Settings

    def _run(raw: Path, out: Path, **overrides):
        return run_pipeline(Settings(raw_dir=Path(raw), curated_dir=Path(out), progress=False).replace(**overrides))

    return _run


@pytest.fixture(scope="session")
def samples_run(run_flow, tmp_path_factory):
    """One run over the bundled samples, shared by the tests that only read its output."""
    out = tmp_path_factory.mktemp("samples") / "curated"
    summary = run_flow(SAMPLES, out)
    return summary, out
