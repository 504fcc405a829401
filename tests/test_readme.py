"""The README's promises: the two set-up commands, a data dictionary that matches the schemas, and examples that
run as written on the curated output of the bundled samples."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pytest
from typer.testing import CliRunner

from newsflow.docs import section, sql_blocks
from newsflow.schema import dictionary_markdown
from tests.conftest import REPO

README = (REPO / "README.md").read_text()


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"^```{kind}\n(.*?)^```", README, flags=re.M | re.S)


def _statements(block: str) -> list[str]:
    return [str(s.query).strip() for s in duckdb.connect().extract_statements(block)]


def _on(out, text: str) -> str:
    """The README's paths point at the default curated folder; the test's output lives elsewhere."""
    return text.replace("data/curated/", f"{out}/")


def test_first_two_commands_are_make_run_and_make_test():
    commands = re.findall(r"^(make \w+)", _blocks("sh")[0], flags=re.M)
    assert commands[:2] == ["make run", "make test"]
    assert "make test" in (REPO / ".ci" / "run").read_text()


def test_data_dictionary_is_generated_from_the_schemas():
    assert section(README) == dictionary_markdown(), "run `make dictionary`"


def test_readme_has_sql_examples_for_the_views_and_the_parquet():
    statements = [s for block in _blocks("sql") for s in _statements(block)]
    assert len(statements) >= 5
    assert any("read_parquet(" in s for s in statements) and any("FROM entities" in s for s in statements)


@pytest.mark.e2e
def test_every_sql_example_returns_rows(samples_run):
    summary, out = samples_run
    assert summary.published
    con = duckdb.connect(str(out / "newsflow.duckdb"), read_only=True)
    for block in _blocks("sql"):
        for statement in _statements(block):
            rows = con.execute(_on(out, statement)).fetchall()
            assert rows, f"no rows from README query:\n{statement}"


@pytest.mark.e2e
def test_month_filter_leaves_out_undated_articles_and_roles_are_listed_once(samples_run):
    _, out = samples_run
    con = duckdb.connect(str(out / "newsflow.duckdb"), read_only=True)
    statements = [s for block in _blocks("sql") for s in _statements(block)]
    since = next(s for s in statements if "published_month >=" in s)
    dates = ds.dataset(out / "articles", format="parquet", partitioning="hive").to_table(columns=["published_at"]).column("published_at").to_pylist()
    expected = sum(1 for d in dates if d is not None and d >= datetime(2024, 1, 1, tzinfo=timezone.utc))
    assert 0 < expected < len(dates)
    assert len(con.execute(_on(out, since)).fetchall()) == expected
    roles = con.execute(next(s for s in statements if "role_title IS NOT NULL" in s)).fetchall()
    pairs = [(r[0], r[1]) for r in roles]
    assert pairs and len(pairs) == len(set(pairs))


@pytest.mark.e2e
def test_shell_commands_of_the_querying_section_run_as_written(samples_run):
    """`.venv/bin/newsflow query …` through the CLI, `.venv/bin/duckdb -c …` through the installed duckdb-cli."""
    from newsflow.cli import app

    _, out = samples_run
    querying = README.split("## Querying with DuckDB", 1)[1].split("\n## ", 1)[0]
    lines = [line.split("#", 1)[0].strip() for line in re.findall(r"^```sh\n(.*?)^```", querying, flags=re.M | re.S)[0].splitlines()]
    commands = [shlex.split(line) for line in lines if line]
    assert {c[0] for c in commands} == {".venv/bin/newsflow", ".venv/bin/duckdb"}
    for command in commands:
        if command[0] == ".venv/bin/newsflow":
            result = CliRunner().invoke(app, [*command[1:], "--curated", str(out)])
            assert result.exit_code == 0, result.output
            assert "2024-01" in result.output and "unknown" in result.output
        elif len(command) > 1:
            duckdb_cli = Path(sys.prefix) / "bin" / "duckdb"
            assert duckdb_cli.exists(), "duckdb-cli is a dependency: `make install`"
            done = subprocess.run([str(duckdb_cli), *(_on(out, arg) for arg in command[1:])], capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
            assert "no_body" in done.stdout


def _cookbook() -> list[str]:
    return [s for block in sql_blocks(README, "Cookbook") for s in _statements(block)]


def test_sql_blocks_are_read_from_their_section_only():
    document = (
        "# Tool\n```sql\nSELECT 0;\n```\n## Cookbook: queries\nText.\n```sh\n# a shell comment, not a heading\nls\n```\n"
        "```sql\nSELECT 1;\n```\n#### A subsection\n```sql\nSELECT 2;\nSELECT 3;\n```\n## Next\n```sql\nSELECT 4;\n```\n"
    )
    assert sql_blocks(document, "Cookbook") == ["SELECT 1;\n", "SELECT 2;\nSELECT 3;\n"]
    assert sql_blocks(document, "Next") == ["SELECT 4;\n"]
    with pytest.raises(ValueError, match="no heading"):
        sql_blocks(document, "Missing")


@pytest.mark.e2e
def test_make_cookbook_times_every_cookbook_query_as_written(samples_run):
    """`make cookbook`: the section's SQL from `python -m newsflow.docs`, piped into `newsflow query --timer -`."""
    from newsflow.cli import app

    _, out = samples_run
    recipe = (REPO / "Makefile").read_text().split("\ncookbook:", 1)[1].split("\n\n", 1)[0]
    assert "-m newsflow.docs README.md Cookbook | $(BIN)/newsflow query --timer --curated $(OUT) -" in recipe
    sql = subprocess.run([sys.executable, "-m", "newsflow.docs", "README.md", "Cookbook"], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout
    result = CliRunner().invoke(app, ["query", "--timer", "--curated", str(out), "-"], input=sql)
    assert result.exit_code == 0, result.output
    timings = re.findall(r"^([\d,]+) rows? in (\d+\.\d{3}) s$", result.output, flags=re.M)
    assert len(timings) == len(_cookbook()) == 4
    assert all(int(rows.replace(",", "")) > 0 for rows, _ in timings)


@pytest.mark.e2e
def test_cookbook_queries_give_what_python_computes_from_the_parquet(samples_run):
    """Each cookbook query against the same answer computed here from the Parquet files, row for row."""
    from collections import defaultdict

    _, out = samples_run
    con = duckdb.connect(str(out / "newsflow.duckdb"), read_only=True)

    def read(table):
        return ds.dataset(out / table, format="parquet", partitioning="hive").to_table().to_pylist()

    articles = {a["article_id"]: a for a in read("articles")}
    mentions, quotes, events = read("mentions"), read("quotes"), read("events")
    entities = {e["entity_id"]: e for e in read("entities")}

    def root(entity_id):
        return entities[entities[entity_id]["merged_into"] or entity_id]

    monthly, quoted, by_type, pairs = _cookbook()

    groups = defaultdict(lambda: [0, set()])
    for m in mentions:
        month = articles[m["article_id"]]["published_month"]
        if m["entity_id"] and month != "unknown" and m["label"] in ("PERSON", "ORG", "GPE"):
            e = root(m["entity_id"])
            group = groups[(month, e["canonical_name"], e["label"])]
            group[0] += 1
            group[1].add(m["article_id"])
    ranked = defaultdict(list)
    for (month, name, label), (n, arts) in groups.items():
        ranked[month].append((month, name, label, n, len(arts)))
    expected = [r for month in ranked for r in sorted(ranked[month], key=lambda r: (-r[3], r[1], r[2]))[:5]]
    expected = sorted(expected, key=lambda r: (r[0], -r[3], r[1], r[2]))
    assert expected and con.execute(monthly).fetchall() == expected

    about = defaultdict(set)
    for q in quotes:
        for m in mentions:
            if (q["speaker_entity_id"] and m["entity_id"] and m["entity_id"] != q["speaker_entity_id"] and m["article_id"] == q["article_id"]
                    and m["field"] == q["field"] and m["start_char"] >= q["start_char"] and m["end_char"] <= q["end_char"]
                    and m["label"] in ("PERSON", "ORG", "GPE", "NORP")):
                about[(q["speaker_canonical"], m["canonical_name"], m["label"])].add(q["quote_id"])
    expected = sorted(((s, a, lab, len(ids)) for (s, a, lab), ids in about.items()), key=lambda r: (-r[3], r[0], r[1], r[2]))[:20]
    assert expected and con.execute(quoted).fetchall() == expected

    counts = defaultdict(int)
    for e in events:
        month = articles[e["article_id"]]["published_month"]
        if e["mode"] == "asserted" and month != "unknown":
            counts[(month, e["event_type"], e["location_country"] or e["actor1_country"])] += 1
    expected = [(*k, n) for k, n in counts.items()]
    expected = sorted(expected, key=lambda r: (r[0], -r[3], r[1], r[2] is None, r[2] or ""))
    assert expected and con.execute(by_type).fetchall() == expected

    present = defaultdict(set)
    for m in mentions:
        if m["entity_id"] and m["label"] in ("PERSON", "ORG", "GPE"):
            present[m["article_id"]].add(root(m["entity_id"])["entity_id"])
    together = defaultdict(int)
    for ids in present.values():
        for a in ids:
            for b in ids:
                if a < b:
                    together[(entities[a]["canonical_name"], entities[b]["canonical_name"])] += 1
    expected = sorted(((a, b, n) for (a, b), n in together.items()), key=lambda r: (-r[2], r[0], r[1]))[:20]
    assert expected and con.execute(pairs).fetchall() == expected
