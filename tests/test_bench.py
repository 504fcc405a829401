"""The benchmark's input and meters, and how a run is cut into shards (no model; one test reads the shared run over the samples)."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone

from flows.tasks import plan_shards as shards
from flows.tasks import RawFile
from newsflow.bench import PeakMemory, limited_copy
from transforms.readers import parse_file

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _sgm(n: int, start: int = 0, without_body: tuple[int, ...] = ()) -> bytes:
    """A Reuters-style SGML file of `n` invented stories (those in `without_body` have a title only)."""
    blocks = []
    for i in range(start, start + n):
        body = "" if i in without_body else f"<BODY>The harbour board of town {i} approved a new ferry timetable on Monday.</BODY>"
        blocks.append(f'<REUTERS NEWID="{i}">\n<DATE>2-MAR-1987 10:00:00.00</DATE>\n<TEXT><TITLE>FERRY TIMETABLE {i}</TITLE>{body}</TEXT>\n</REUTERS>')
    return ('<!DOCTYPE lewis SYSTEM "lewis.dtd">\n' + "\n".join(blocks) + "\n").encode()


def _articles(folder) -> list[tuple[str, int]]:
    return [(a.source_path, a.source_record) for p in sorted(folder.rglob("*.*")) for a in parse_file(p.relative_to(folder).as_posix(), p.read_bytes(), now=NOW).articles]


def test_limit_keeps_the_first_n_articles_in_run_order_and_cuts_the_last_file(tmp_path):
    raw, dest = tmp_path / "raw", tmp_path / "dest"
    raw.mkdir()
    (raw / "a.sgm").write_bytes(_sgm(4, without_body=(1,)))  # three articles: records 0, 2, 3
    (raw / "b.sgm").write_bytes(_sgm(5, start=10, without_body=(11,)))  # records 0, 2, 3, 4
    (raw / "c.sgm").write_bytes(_sgm(3, start=20))
    (raw / "README.txt").write_text("excluded by the default patterns")
    assert limited_copy(raw, ("README*",), 5, dest) == 5
    # all of a.sgm, then b.sgm up to its second article (record 2; record 1 had no body); c.sgm not at all
    assert _articles(dest) == [("a.sgm", 0), ("a.sgm", 2), ("a.sgm", 3), ("b.sgm", 0), ("b.sgm", 2)]
    assert sorted(p.name for p in dest.iterdir()) == ["a.sgm", "b.sgm"]
    # the records kept read exactly as in the original file
    original = {(a.source_record, a.title, a.body) for a in parse_file("b.sgm", (raw / "b.sgm").read_bytes(), now=NOW).articles}
    assert {(a.source_record, a.title, a.body) for a in parse_file("b.sgm", (dest / "b.sgm").read_bytes(), now=NOW).articles} <= original


def test_limit_cuts_jsonl_by_line_and_copies_other_formats_whole(tmp_path):
    raw, dest = tmp_path / "raw", tmp_path / "dest"
    raw.mkdir()
    (raw / "a.txt").write_text("Ferry strike ends\n\nThe ferry crews went back to work on Tuesday.\n")
    lines = [f'{{"title": "Bridge {i}", "body": "Bridge number {i} reopened to traffic after repairs."}}\n' for i in range(4)]
    (raw / "b.jsonl").write_text("".join(lines))
    assert limited_copy(raw, (), 3, dest) == 3
    assert (dest / "a.txt").read_text() == (raw / "a.txt").read_text()
    assert (dest / "b.jsonl").read_text() == "".join(lines[:2])
    assert limited_copy(raw, (), 100, tmp_path / "all") == 5  # fewer articles than asked: everything


def _files(*sizes: int) -> list[RawFile]:
    return [RawFile(f"f{i}", size) for i, size in enumerate(sizes)]


def test_shards_are_bounded_by_files_and_by_the_bytes_read():
    files = _files(3, 3, 3, 9, 1, 1)
    to_read = {f.rel_path: "sha" for f in files}
    assert [[f.rel_path for f in s] for s in shards(files, to_read, 10, 6)] == [["f0", "f1"], ["f2"], ["f3"], ["f4", "f5"]]
    assert [[f.rel_path for f in s] for s in shards(files, to_read, 2, 100)] == [["f0", "f1"], ["f2", "f3"], ["f4", "f5"]]
    # files this run does not read cost nothing: they ride along with the shard they fall in
    assert [[f.rel_path for f in s] for s in shards(files, {"f3": "sha"}, 10, 6)] == [["f0", "f1", "f2", "f3", "f4", "f5"]]
    assert [f for s in shards(files, to_read, 1, 1) for f in s] == files


def test_peak_memory_counts_child_processes(tmp_path):
    with PeakMemory(interval=0.05) as memory:
        alone = memory.sample()
        alone_anon = memory.peak_anon
        child = subprocess.Popen([sys.executable, "-c", "import time; b = bytearray(300 * 2**20); b[::4096] = b'x' * len(b[::4096]); time.sleep(3)"])
        try:
            import time

            deadline = time.monotonic() + 20
            while min(memory.peak - alone, memory.peak_anon - alone_anon) < 250 * 2**20 and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            child.kill()
            child.wait()
    assert memory.peak >= alone + 250 * 2**20
    assert memory.peak_anon >= alone_anon + 250 * 2**20  # the child's buffer is anonymous memory
    assert memory.peak_anon < memory.peak  # the libraries' pages are resident but not anonymous


def test_the_bare_model_parses_the_english_articles_the_pipeline_publishes(samples_run):
    """The bench runs the bare model before the pipeline too, on articles built without a flow: they must be the
    ones the run over the same folder published (ids and texts), or the two speeds are not of the same work."""
    import duckdb

    from newsflow.bench import english_articles_of
    from newsflow.settings import Settings
    from tests.conftest import SAMPLES

    _, out = samples_run
    published = duckdb.sql(
        f"SELECT article_id, title, caption, body FROM read_parquet('{out}/articles/**/*.parquet', hive_partitioning = true) "
        "WHERE language = 'en' ORDER BY article_id"
    ).fetchall()
    built = [(a.article_id, a.title, a.caption, a.body) for a in english_articles_of(SAMPLES, Settings())]
    assert len(built) > 10 and built == published


def test_process_roles_in_a_run_tree():
    from newsflow.bench import process_role

    python = "/x/.venv/bin/python"
    assert process_role([python, "-m", "uvicorn", "--app-dir", "/x", "--factory", "prefect.server.api.server:create_app"]) == "server"
    assert process_role([python, "-m", "prefect", "server", "start", "--port", "4200"]) == "server"
    assert process_role([python, "-c", "from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=5, pipe_handle=7)", "--multiprocessing-fork"]) == "worker"
    assert process_role([python, "-c", "from multiprocessing.resource_tracker import main;main(4)"]) == "other"
    assert process_role([python, "-m", "something.else"]) == "other"


HOLDER = """
import multiprocessing, sys, time

def hold():
    b = bytearray(200 * 2**20)
    b[::4096] = b"x" * len(b[::4096])
    time.sleep(2)

if __name__ == "__main__":
    p = multiprocessing.get_context("spawn").Process(target=hold)
    p.start()
    p.join()
    sys.exit(p.exitcode)
"""


def test_tree_memory_gives_each_process_its_share_at_the_peak(tmp_path):
    from newsflow.bench import TreeMemory

    script = tmp_path / "holder.py"
    script.write_text(HOLDER)
    process = subprocess.Popen([sys.executable, str(script)])
    with TreeMemory(process.pid, interval=0.05) as memory:
        assert process.wait(timeout=60) == 0
    workers = memory.at_peak["workers"]
    assert len(workers) == 1 and workers[0] >= 200 * 2**20  # the spawned child's buffer, counted as a worker's
    assert 0 < memory.at_peak["run"] < 100 * 2**20  # the parent holds no buffer
    assert memory.peak_anon >= memory.at_peak["run"] + workers[0] and memory.peak_rss > memory.peak_anon


def test_a_measured_run_counts_the_run_and_not_a_running_server(tmp_path, prefect_harness):
    """One `newsflow run` in a fresh process against the session's server: its articles and its own memory; the
    server is not the run's, so it is not counted."""
    from prefect.settings import PREFECT_API_URL

    from newsflow.bench import measured_run
    from newsflow.settings import Settings

    raw = tmp_path / "raw"
    raw.mkdir()
    for i in range(3):
        (raw / f"a{i}.txt").write_text(f"Ferry strike ends in port {i}\n\nThe ferry crews of port {i} went back to work on Tuesday, the union said.\n")
    (raw / "notes.md").write_text("excluded by the default patterns")
    figures = measured_run(raw, tmp_path / "out", Settings(), PREFECT_API_URL.value())
    assert figures["articles"] == 3
    assert figures["run_mb"] > 100 and figures["server_mb"] == 0  # the run imports Prefect, GX and spaCy
    assert figures["peak_anon_mb"] >= figures["run_mb"] and figures["peak_rss_mb"] > figures["peak_anon_mb"]
