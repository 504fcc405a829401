"""The pure parts of `newsflow eval`: result rows, figures JSON, printing, gold header layouts, the entry point's
exit codes; no pipeline run (a fake task stands in for one)."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest
from rich.console import Console

from newsflow.evaluation import corpora as C
from newsflow.evaluation import runner as R
from newsflow.evaluation import scoring as S
from newsflow.settings import Settings


def fake_result() -> R.TaskResult:
    # 3 of 4 predictions right against 6 gold: P 0.75, R 0.5, F1 2*0.75*0.5/1.25 = 0.6
    rows = [R.prf_row("span F1 (overlap)", S.prf(3, 4, 6)), R.acc_row("value accuracy", 2, 3)]
    res = R.TaskResult("dates", [("", rows), ("seed", [R.acc_row("title", 0, 0)])], docs=5, articles=4, seconds=1.234)
    res.headline = [("span F1 (overlap)", 0.6)]
    res.notes = ["a note"]
    return res


def test_rows_carry_support_and_accuracy():
    row = R.prf_row("x", S.prf(3, 4, 6))
    assert (row.n, row.value) == (6, None)
    acc = R.acc_row("y", 2, 3)
    assert (acc.value, acc.n, acc.score) == (pytest.approx(2 / 3), 3, None)
    assert R.acc_row("z", 0, 0).value == 0.0  # nothing judged: 0.0, never 1.0


def test_slug():
    assert R.slug("entity F1 (PER/ORG/LOC)") == "entity_f1_per_org_loc"
    assert R.slug("  Value accuracy -- matched ") == "value_accuracy_matched"


def test_figures_are_flat_rounded_and_keyed_by_section():
    assert fake_result().figures() == {
        "docs": 5, "articles": 4, "seconds": 1.23,
        "span_f1_overlap.precision": 0.75, "span_f1_overlap.recall": 0.5, "span_f1_overlap.f1": 0.6,
        "span_f1_overlap.support": 6, "span_f1_overlap.predicted": 4,
        "value_accuracy.accuracy": 0.6667, "value_accuracy.n": 3,
        "seed.title.accuracy": 0.0, "seed.title.n": 0,
        "headline.span_f1_overlap": 0.6,
    }


def test_print_result_shows_each_figure_in_its_column():
    console = Console(record=True, width=200)
    R.print_result(fake_result(), console)
    lines = console.export_text().splitlines()
    row = next(line for line in lines if "span F1 (overlap)" in line)
    assert [c.strip() for c in row.split("│")[1:-1]] == ["", "span F1 (overlap)", "0.750", "0.500", "0.600", "", "6"]
    acc = next(line for line in lines if "value accuracy" in line)
    assert [c.strip() for c in acc.split("│")[1:-1]] == ["", "value accuracy", "", "", "", "0.667", "3"]
    assert "newsflow eval dates: 5 documents, 4 articles, 1.2 s" in lines[0]
    assert any(line.strip() == "note: a note" for line in lines)


def test_layout_gold_page_scrape_and_headline_first():
    scrape = ("Dam opens\n\nDam opens\nThe dam at dawn. (Ana Lind/Valley Wire)\nRosa Lind\n06/01/2024\nUpdated:\n06/02/2024\n\n"
              "The dam opened.\n")
    assert R.layout_gold(scrape) == {
        "title": "Dam opens", "caption": "The dam at dawn.", "image_credit": "Ana Lind/Valley Wire", "authors": ["Rosa Lind"],
        "published_at": date(2024, 6, 1), "updated_at": date(2024, 6, 2), "body": "The dam opened.",
    }
    plain = R.layout_gold("Dam opens\n\nThe dam opened.\n\nFarmers cheered.")
    assert plain == {"title": "Dam opens", "caption": None, "image_credit": None, "authors": [], "published_at": None,
                     "updated_at": None, "body": "The dam opened.\n\nFarmers cheered."}


def test_same_compares_each_header_field_its_own_way():
    assert R._same("title", "Dam opens", "Dam  opens")  # white space normalised on the gold side
    assert not R._same("title", "Dam opens.", "Dam opens")
    assert R._same("title_loose", "Dam opens.", "DAM OPENS")
    assert R._same("published_at", datetime(2024, 6, 1, 7, tzinfo=timezone.utc), date(2024, 6, 1))
    assert not R._same("published_at", None, date(2024, 6, 1))
    assert R._same("authors", ["Rosa Lind"], ["Rosa  Lind"]) and not R._same("authors", [], ["Rosa Lind"])
    assert R._same("caption", None, None) and R._same("caption", "", None)
    with pytest.raises(KeyError):
        R._same("colour", 1, 1)


def test_trigger_span_inside_the_evidence():
    text = "Police arrested two men. Crowds protested."
    ev = {"start_char": 25, "end_char": 42, "trigger": "protested"}
    assert R._trigger_span(ev, text) == (32, 41)
    assert R._trigger_span({"start_char": 0, "end_char": 24, "trigger": "protest"}, text) is None  # whole words only
    assert R._trigger_span({"start_char": None, "end_char": 5, "trigger": "x"}, text) is None


def test_notes_for_missing_and_empty_tables_and_lost_documents():
    class Summary:
        published, failures = False, ["mentions.offsets_exact expect_column_values_to_be_in_set: 1 unexpected"]

    docs = [R.Doc("d1", "", "x", None), R.Doc("d2", "", "y", None)]
    run = R.Run(Summary(), docs, {"d1": {}}, {"quotes": None, "events": []}, 1, 0.1)
    assert R.missing_note(run, "quotes") == ["`quotes`: table not produced by this pipeline version; the prediction is empty and its scores are 0."]
    assert R.missing_note(run, "events")[0].startswith("`events`: the table is empty")
    assert R.run_notes(run) == [
        "the pipeline run did not publish (validation failed): mentions.offsets_exact expect_column_values_to_be_in_set: 1 unexpected",
        "1 document(s) did not become articles (quarantined); their gold counts as missed.",
    ]


def quiet() -> Console:
    return Console(record=True, width=200)


def test_main_exit_codes_and_json(tmp_path, monkeypatch):
    settings = Settings(corpora_dir=tmp_path)
    assert R.main("nonsense", None, settings, quiet()) == 2
    assert R.main("dates", None, Settings(corpora_dir=tmp_path / "missing"), quiet()) == 2

    monkeypatch.setitem(R.TASK_FUNCS, "dates", lambda corpora, s, console: fake_result())
    out = tmp_path / "figures" / "eval.json"
    assert R.main(" Dates ", out, settings, quiet()) == 0
    figures = json.loads(out.read_text())
    assert set(figures) == {"dates", "runtime_seconds"}
    assert figures["dates"] == fake_result().figures()

    def broken(corpora, s, console):
        raise C.CorpusError("tempeval3-tbaq/TimeBank is missing")

    monkeypatch.setitem(R.TASK_FUNCS, "dates", broken)
    console = quiet()
    assert R.main("dates", None, settings, console) == 2
    assert "dates: tempeval3-tbaq/TimeBank is missing" in console.export_text()
