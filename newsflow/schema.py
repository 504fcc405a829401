"""Every published table's schema, declared once.

The writer casts to these schemas, the expectation suites read their column lists and types from them, and the
data dictionary in README.md is generated from the descriptions (`newsflow dictionary`). Columns the contract
(../shared/contract.md) names are never renamed or dropped; columns marked "extension" are ours.
"""

from __future__ import annotations

import pyarrow as pa

from transforms.records import REASONS

TS = pa.timestamp("us", tz="UTC")


def _f(name: str, type_: pa.DataType, description: str, nullable: bool = False) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"description": description})


ARTICLES = pa.schema(
    [
        _f("article_id", pa.string(), "Stable id: hash of the normalised title and body; the same content gives the same id on every run and machine."),
        _f("source_path", pa.string(), "Path of the raw file, relative to the RAW folder given to `newsflow run`."),
        _f("source_record", pa.int32(), "Record index inside the file (JSON Lines line, JSON array item, CSV row or `<REUTERS>` element, 0-based); 0 for one-article files."),
        _f("source_format", pa.string(), "Reader that produced the row: txt, jsonl, json, csv, html or sgm."),
        _f("content_sha256", pa.string(), "SHA-256 of the normalised title and body; equal values are exact duplicates and merge into one row."),
        _f("url", pa.string(), "Canonical URL from the record or page metadata.", True),
        _f("publisher", pa.string(), "Publisher or source domain from the record or page metadata.", True),
        _f("title", pa.string(), "Headline after text repair (empty string when the record has none)."),
        _f("caption", pa.string(), "Photo caption found in a page-scrape header, credit removed.", True),
        _f("image_credit", pa.string(), "Photo credit from the parentheses that end the caption.", True),
        _f("authors", pa.list_(pa.string()), "Author names, in byline order; empty when the input names none (never guessed)."),
        _f("authors_flat", pa.string(), "Extension: `authors` joined with '; ' for BI tools that cannot read lists.", True),
        _f("published_at", TS, "Publication time in UTC; dates without a time are midnight UTC. Null when the input has none.", True),
        _f("updated_at", TS, "Last update time in UTC, when the input gives one.", True),
        _f("language", pa.string(), "ISO 639-1 language of the body (from the record when it says, else detected). Extraction tables cover `en` only."),
        _f("body", pa.string(), "Article text after repair and normalisation (UTF-8, NFC, NBSP to space, no header lines); all offsets point into it."),
        _f("word_count", pa.int32(), "Number of words in `body`."),
        _f("body_sha256", pa.string(), "Extension: SHA-256 of `body` alone; equal values with different titles are near duplicates."),
        _f("duplicate_of", pa.string(), "article_id of an earlier article with the same body but a different title or header (near duplicate).", True),
        _f("ingested_at", TS, "When the run that wrote the row started."),
        _f("run_id", pa.string(), "Run that wrote the row (see `runs`)."),
    ]
)

MENTIONS = pa.schema(
    [
        _f("mention_id", pa.string(), "Stable id of the mention: hash of article_id, field, offsets and label."),
        _f("article_id", pa.string(), "Article the mention is in."),
        _f("field", pa.string(), "Column of the article the offsets point into: title, caption or body."),
        _f("sentence_index", pa.int32(), "0-based sentence number inside the field."),
        _f("start_char", pa.int32(), "Start offset (0-based, Python string index) into the field."),
        _f("end_char", pa.int32(), "End offset (exclusive) into the field."),
        _f("text", pa.string(), "Exactly field[start_char:end_char]."),
        _f("label", pa.string(), "OntoNotes entity label: PERSON, ORG, GPE, LOC, NORP, FAC, EVENT, DATE, TIME, MONEY, ..."),
        _f("entity_id", pa.string(), "Canonical entity (see `entities`); null for DATE, TIME and numeric labels.", True),
        _f("canonical_name", pa.string(), "Canonical name of the entity inside and across articles (e.g. Biden -> Joe Biden).", True),
        _f("role_title", pa.string(), "Title or role of a person from the words around it (President, Secretary of State).", True),
        _f("country_code", pa.string(), "ISO 3166-1 alpha-2 country of a GPE, LOC, NORP or FAC mention.", True),
        _f("normalized_value", pa.string(), "DATE/TIME value as TIMEX3 (2021-12-30, 2021-12, 2022-W02, 2014, PRESENT_REF, XXXX-12-25), resolved against published_at.", True),
    ]
)

ENTITIES = pa.schema(
    [
        _f("entity_id", pa.string(), "Stable id: hash of the canonical name and kind; the same entity gets the same id on every run. One row per id used by `mentions`."),
        _f("canonical_name", pa.string(), "Canonical name."),
        _f("label", pa.string(), "Entity label (the most frequent one among its mentions)."),
        _f("country_code", pa.string(), "ISO 3166-1 alpha-2 country, for places and nationalities.", True),
        _f("aliases", pa.list_(pa.string()), "Distinct surface forms seen for the entity, sorted."),
        _f("aliases_flat", pa.string(), "Extension: `aliases` joined with '; ' for BI tools that cannot read lists.", True),
        _f("mention_count", pa.int64(), "Mentions across all articles (for a group's root: of the whole group)."),
        _f("article_count", pa.int64(), "Articles that mention it (for a group's root: any id of the group)."),
        _f("first_seen", TS, "Earliest published_at of an article mentioning it.", True),
        _f("last_seen", TS, "Latest published_at of an article mentioning it.", True),
        _f("merged_into", pa.string(), "Extension: the entity_id this id was consolidated into across articles (a surname into the one full name with it, an acronym into its expansion, a suffix-free name into the full one); null for a group's root, whose row counts the whole group. Join on coalesce(merged_into, entity_id) to count by real entity.", True),
    ]
)

QUOTES = pa.schema(
    [
        _f("quote_id", pa.string(), "Stable id of the quote: hash of article_id, field, offsets and quote_type."),
        _f("article_id", pa.string(), "Article the quote is in."),
        _f("field", pa.string(), "Column of the article the offsets point into: title, caption or body."),
        _f("paragraph_index", pa.int32(), "0-based paragraph (blank-line separated block) of the field where the quote starts."),
        _f("start_char", pa.int32(), "Start offset of the quoted words (quote marks excluded) into the field."),
        _f("end_char", pa.int32(), "End offset (exclusive) of the quoted words."),
        _f("text", pa.string(), "Exactly field[start_char:end_char]: the quoted or reported words."),
        _f("quote_type", pa.string(), "direct (a quoted sentence), partial (a few quoted words inside a sentence) or indirect (reported speech)."),
        _f("speaker_text", pa.string(), "The words naming the speaker as they stand in the field (a name, pronoun or description).", True),
        _f("speaker_start_char", pa.int32(), "Start offset of speaker_text in the same field.", True),
        _f("speaker_end_char", pa.int32(), "End offset (exclusive) of speaker_text.", True),
        _f("speaker_entity_id", pa.string(), "Entity of the speaker (see `entities`), also for pronouns and descriptions resolved to a named person.", True),
        _f("speaker_canonical", pa.string(), "Canonical name of the speaker entity.", True),
        _f("speaker_kind", pa.string(), "person, organization, anonymous (an unnamed source), pronoun (resolved or not) or unknown.", True),
        _f("cue", pa.string(), "The attribution cue as written (said, told, according to).", True),
        _f("cue_lemma", pa.string(), "Lemma of the cue (say, tell, according to).", True),
    ]
)

EVENTS = pa.schema(
    [
        _f("event_id", pa.string(), "Stable id of the event: hash of article_id, field, trigger offsets and event_type."),
        _f("article_id", pa.string(), "Article the event is in."),
        _f("field", pa.string(), "Extension: column of the article the offsets point into: title, caption or body."),
        _f("sentence_index", pa.int32(), "0-based sentence number inside the field."),
        _f("start_char", pa.int32(), "Start offset of the evidence span (the clause naming the event) into the field."),
        _f("end_char", pa.int32(), "End offset (exclusive) of the evidence span."),
        _f("text", pa.string(), "Extension: exactly field[start_char:end_char], the evidence span."),
        _f("trigger", pa.string(), "The word or phrase that names the event, as written."),
        _f("trigger_lemma", pa.string(), "Lemma of the trigger (the lexicon entry it matched)."),
        _f("trigger_start_char", pa.int32(), "Extension: start offset of the trigger in the field."),
        _f("trigger_end_char", pa.int32(), "Extension: end offset (exclusive) of the trigger."),
        _f("event_type", pa.string(), "PLOVER event type: AGREE, CONSULT, SUPPORT, COOPERATE, AID, CONCEDE, RETREAT, INVESTIGATE, DEMAND, DISAPPROVE, REJECT, THREATEN, PROTEST, MOBILIZE, SANCTION, COERCE, ASSAULT, FIGHT, CRIME."),
        _f("cameo_root", pa.string(), "CAMEO root code 01-20 of the event (GDELT EventRootCode)."),
        _f("cameo_code", pa.string(), "Extension: full CAMEO event code of the lexicon entry (GDELT EventCode), e.g. 0411.", True),
        _f("quad_class", pa.int8(), "CAMEO quad class: 1 verbal cooperation, 2 material cooperation, 3 verbal conflict, 4 material conflict."),
        _f("goldstein", pa.float32(), "Goldstein scale (-10 to +10) of the CAMEO code."),
        _f("actor1_text", pa.string(), "Who acts, as written.", True),
        _f("actor1_entity_id", pa.string(), "Entity of actor1 (see `entities`).", True),
        _f("actor1_country", pa.string(), "ISO 3166-1 alpha-2 country of actor1.", True),
        _f("actor2_text", pa.string(), "Who is acted on, as written.", True),
        _f("actor2_entity_id", pa.string(), "Entity of actor2.", True),
        _f("actor2_country", pa.string(), "ISO 3166-1 alpha-2 country of actor2.", True),
        _f("location_text", pa.string(), "Where the event takes place, as written.", True),
        _f("location_entity_id", pa.string(), "Entity of the location.", True),
        _f("location_country", pa.string(), "ISO 3166-1 alpha-2 country of the location.", True),
        _f("event_date", pa.date32(), "Date of the event from a date expression attached to it, resolved against published_at; null when none is attached.", True),
        _f("date_text", pa.string(), "The date expression as written.", True),
        _f("date_precision", pa.string(), "day, week, month or year.", True),
        _f("date_source", pa.string(), "Extension: where event_date came from: `clause` (a date in the trigger's clause), `sentence`, or null.", True),
        _f("mode", pa.string(), "asserted, planned (future, scheduled), hypothetical (conditional) or negated."),
        _f("confidence", pa.float32(), "0-1: how sure the rules are (pattern strength, actors found)."),
    ]
)

QUARANTINE = pa.schema(
    [
        _f("source_path", pa.string(), "Path of the raw file, relative to RAW."),
        _f("source_record", pa.int32(), "Record index inside the file when one record was bad; null when the whole file was.", True),
        _f("reason", pa.string(), "Short reason code: " + ", ".join(REASONS) + "."),
        _f("detail", pa.string(), "Human-readable explanation."),
        _f("raw_sha256", pa.string(), "SHA-256 of the raw bytes of the file (or of the record)."),
        _f("run_id", pa.string(), "Run that quarantined it."),
        _f("quarantined_at", TS, "When."),
    ]
)

LINEAGE = pa.schema(
    [
        _f("source_path", pa.string(), "Path of the raw file, relative to RAW."),
        _f("source_record", pa.int32(), "Record index inside the file; null when the whole file was rejected.", True),
        _f("raw_sha256", pa.string(), "SHA-256 of the raw bytes of the file version the record was read from."),
        _f("outcome", pa.string(), "What the record became: article, duplicate (of an existing article) or quarantined."),
        _f("article_id", pa.string(), "The article the record became, or the article it duplicates; null when quarantined.", True),
        _f("reason", pa.string(), "Quarantine reason code when quarantined.", True),
        _f("run_id", pa.string(), "Run that read the record."),
    ]
)

RUNS = pa.schema(
    [
        _f("run_id", pa.string(), "Run id: UTC start time plus a short random suffix."),
        _f("started_at", TS, "Start of the run."),
        _f("finished_at", TS, "End of the run (publication time)."),
        _f("raw_dir", pa.string(), "Extension: the RAW folder as given."),
        _f("files_seen", pa.int64(), "Supported and unsupported files found under RAW."),
        _f("files_new", pa.int64(), "Files whose bytes no earlier run had processed."),
        _f("articles_written", pa.int64(), "New article rows."),
        _f("duplicates_merged", pa.int64(), "Extension: records dropped as exact duplicates of an article (this run or earlier)."),
        _f("quarantined", pa.int64(), "New quarantine rows."),
        _f("records_seen", pa.int64(), "Extension: raw records read by the run (articles + duplicates + quarantined; a rejected file counts once).", True),
        _f("articles_retracted", pa.int64(), "Extension: articles of changed files whose previous version the run replaced.", True),
        _f("articles_extracted", pa.int64(), "Extension: articles whose mentions, quotes and events the run (re)built.", True),
        _f("articles_stale", pa.int64(), "Extension: English articles left without extraction by the current model and extraction version (see `newsflow reextract`).", True),
        _f("rows_articles", pa.int64(), "Rows in `articles` after the run."),
        _f("rows_mentions", pa.int64(), "Rows in `mentions` after the run."),
        _f("rows_entities", pa.int64(), "Rows in `entities` after the run."),
        _f("rows_quarantine", pa.int64(), "Rows in `quarantine` after the run."),
        _f("rows_quotes", pa.int64(), "Rows in `quotes` after the run (null for runs before the table existed).", True),
        _f("rows_events", pa.int64(), "Rows in `events` after the run (null for runs before the table existed).", True),
        _f("validation_passed", pa.bool_(), "No table-level expectation failed (a run with one is not published); record-level failures quarantine their article."),
        _f("pipeline_version", pa.string(), "newsflow version that wrote the run."),
        _f("model_name", pa.string(), "Extension: spaCy pipeline used for extraction."),
    ]
)

TABLES: dict[str, pa.Schema] = {
    "articles": ARTICLES,
    "mentions": MENTIONS,
    "entities": ENTITIES,
    "quotes": QUOTES,
    "events": EVENTS,
    "quarantine": QUARANTINE,
    "lineage": LINEAGE,
    "runs": RUNS,
}

# Tables Hive-partitioned by the article's publication month (`published_month=YYYY-MM` or `unknown`).
PARTITIONED = {"articles"}
PARTITION_COLUMN = "published_month"


def description(schema: pa.Schema, name: str) -> str:
    meta = schema.field(name).metadata or {}
    return meta.get(b"description", b"").decode()


def dictionary_markdown() -> str:
    """The data dictionary, generated from the schemas above."""
    lines = ["<!-- generated by `newsflow dictionary`; do not edit by hand -->"]
    for table, schema in TABLES.items():
        lines += ["", f"#### `{table}`", "", "| column | type | null | description |", "|---|---|---|---|"]
        if table in PARTITIONED:
            lines.append(f"| {PARTITION_COLUMN} | string (Hive partition) | no | Publication month `YYYY-MM`, or `unknown`. |")
        for field in schema:
            lines.append(f"| {field.name} | {field.type} | {'yes' if field.nullable else 'no'} | {description(schema, field.name)} |")
    return "\n".join(lines) + "\n"
