"""Readers: the bytes of one raw file in, `RawArticle`s and `Rejection`s out. Pure: no file system access.

Every supported format may also be gzipped (`x.jsonl.gz`). One bad record never costs the good ones beside it.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import html
import io
import json
import re
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from dateutil import parser as dateparser

from transforms import text as textmod
from transforms.records import FUTURE_TOLERANCE, ParseResult, RawArticle, Rejection

FORMATS = {".txt": "txt", ".text": "txt", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".html": "html", ".htm": "html", ".sgm": "sgm"}
MIN_YEAR = 1900


def sha256(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")  # a lone surrogate from a JSON escape still hashes
    return hashlib.sha256(data).hexdigest()


def format_of(path: str) -> tuple[str | None, bool]:
    """(format, gzipped) from a file name; format None when unsupported."""
    lower = path.lower()
    gz = lower.endswith(".gz")
    if gz:
        lower = lower[:-3]
    for ext, fmt in FORMATS.items():
        if lower.endswith(ext):
            return fmt, gz
    return None, gz


# Largest file (or decompressed .gz content) a reader loads; larger ones are quarantined as `too_large`. The flow
# passes the setting `max_file_mb`.
MAX_FILE_BYTES = 200 * 1024 * 1024


def parse_file(path: str, data: bytes, now: datetime, day_first: bool = False, max_bytes: int = MAX_FILE_BYTES) -> ParseResult:
    """Parse one raw file. `path` is relative to RAW; `now` bounds plausible dates; content over `max_bytes`
    (also after decompression: a gzip bomb stops there) is rejected, not loaded."""
    raw_sha = sha256(data)
    fmt, gz = format_of(path)

    def reject(reason: str, detail: str, record: int | None = None, sha: str = raw_sha) -> ParseResult:
        return ParseResult(rejections=[Rejection(path, record, reason, detail, sha)])

    if fmt is None:
        return reject("unsupported_format", f"no reader for {path.rsplit('/', 1)[-1]!r}; supported: {', '.join(sorted(FORMATS))} (optionally .gz)")
    if len(data) > max_bytes:
        return reject("too_large", f"{len(data):,} bytes; the limit is {max_bytes:,} (setting max_file_mb)")
    if gz:
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
                data = fh.read(max_bytes + 1)
        except (OSError, EOFError, zlib.error) as exc:
            return reject("bad_gzip", f"cannot decompress: {exc}")
        if len(data) > max_bytes:
            return reject("too_large", f"decompresses to more than {max_bytes:,} bytes (setting max_file_mb)")
    try:
        text = textmod.decode_bytes(data)
    except textmod.DecodeError as exc:
        return reject(exc.reason, exc.detail)
    reader = _READERS[fmt]
    ctx = _Context(path, fmt, raw_sha, now, day_first)
    try:
        reader(text, ctx)
    except _FileError as exc:
        ctx.result.rejections.append(Rejection(path, exc.record, exc.reason, exc.detail, raw_sha))
    if not ctx.result.articles and not ctx.result.rejections:  # `[]`, a CSV header alone: accounted for, not lost
        return reject("no_records", "the file holds no records")
    return ctx.result


class _FileError(Exception):
    def __init__(self, reason: str, detail: str, record: int | None = None):
        super().__init__(detail)
        self.reason, self.detail, self.record = reason, detail, record


class _Context:
    def __init__(self, path: str, fmt: str, raw_sha: str, now: datetime, day_first: bool):
        self.path, self.fmt, self.raw_sha, self.now, self.day_first = path, fmt, raw_sha, now, day_first
        self.result = ParseResult()

    def reject(self, record: int | None, reason: str, detail: str, raw: str | None = None) -> None:
        sha = sha256(raw) if raw is not None else self.raw_sha
        # The detail may quote the bad value; a lone surrogate in it could not be written to Parquet.
        detail = detail.encode("utf-8", "backslashreplace").decode("utf-8")
        self.result.rejections.append(Rejection(self.path, record, reason, detail, sha))

    def add(self, record: int, fields: dict, raw: str | None = None) -> None:
        """Validate and add one article from already extracted fields; a bad record becomes a rejection."""
        body = textmod.normalize(fields.get("body") or "")
        title = textmod.normalize_inline(fields.get("title")) or ""
        if not body:
            self.reject(record, "no_body", "the record has no article text" + (f" (title {title!r})" if title else ""), raw)
            return
        try:
            published = self.date(fields.get("published_at"), "published_at")
            updated = self.date(fields.get("updated_at"), "updated_at")
        except _FileError as exc:
            self.reject(record, exc.reason, exc.detail, raw)
            return
        self.result.articles.append(
            RawArticle(
                source_path=self.path,
                source_record=record,
                source_format=self.fmt,
                title=title,
                body=body,
                caption=textmod.normalize_inline(fields.get("caption")),
                image_credit=textmod.normalize_inline(fields.get("image_credit")),
                authors=split_authors(fields.get("authors")),
                published_at=published,
                updated_at=updated,
                url=textmod.normalize_inline(fields.get("url")),
                publisher=textmod.normalize_inline(fields.get("publisher")),
                language=_language_code(fields.get("language")),
            )
        )

    def date(self, value, name: str) -> datetime | None:
        try:
            parsed = parse_timestamp(value, self.day_first)
        except ValueError as exc:
            raise _FileError("bad_date", f"{name}: {exc}") from None
        if parsed is not None and (parsed.year < MIN_YEAR or parsed > self.now.replace(microsecond=0) + _ONE_DAY):
            raise _FileError("implausible_date", f"{name} {parsed.isoformat()} is before {MIN_YEAR} or after the run")
        return parsed


_ONE_DAY = FUTURE_TOLERANCE


def _load_zones() -> dict:
    """Abbreviation -> tzinfo from the shipped table (an IANA zone, or a fixed `+HH:MM` offset)."""
    zones = {}
    for line in (Path(__file__).parent / "lexicons" / "timezones.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("abbreviation\t"):
            continue
        abbrev, zone = line.split("\t")
        if zone[0] in "+-":
            sign = -1 if zone[0] == "-" else 1
            hours, minutes = zone[1:].split(":")
            zones[abbrev] = timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))
        else:
            zones[abbrev] = ZoneInfo(zone)
    return zones


ZONES = _load_zones()
_YEAR = re.compile(r"(?<!\d)(1[0-9]|2[0-9])\d\d(?!\d)")
_ISO_START = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")


def parse_timestamp(value, day_first: bool = False) -> datetime | None:
    """A date or timestamp in any common form to an aware UTC datetime; naive values are taken as UTC.

    Raises ValueError for values that are not dates, and for dates without a year (never filled in from today).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a date")
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    if isinstance(value, datetime):
        dt = value
    else:
        s = str(value).strip()
        if not s:
            return None
        if re.fullmatch(r"\d{9,13}", s):
            return parse_timestamp(int(s))
        if not _YEAR.search(s):
            raise ValueError(f"{s!r} has no four-digit year")
        try:
            # day_first is for numeric day/month dates; dateutil would also swap an ISO 2021-03-04 into April
            dt = dateparser.parse(s, dayfirst=day_first and not _ISO_START.match(s), fuzzy=False, tzinfos=ZONES)
        except (ValueError, OverflowError, dateparser.ParserError) as exc:
            raise ValueError(f"{s!r} is not a date ({exc})") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


_AUTHOR_SPLIT = re.compile(r"\s*(?:;|\||\band\b|&)\s*")


def split_authors(value) -> tuple[str, ...]:
    """Author field (string or list) to a tuple of names; `By` prefixes removed, order kept, duplicates dropped."""
    if value is None:
        return ()
    items = value if isinstance(value, (list, tuple)) else [value]
    names: list[str] = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("name")
        if item is None:
            continue
        line = textmod.normalize_inline(str(item)) or ""
        line = re.sub(r"^by\s+", "", line, flags=re.I)
        parts = _AUTHOR_SPLIT.split(line)
        if len(parts) == 1 and line.count(",") >= 1:
            comma_parts = [p.strip() for p in line.split(",")]
            if all(len(p.split()) >= 2 for p in comma_parts):
                parts = comma_parts
        for part in parts:
            part = part.strip(" ,")
            if part and part.lower() not in {"none", "null", "n/a", "unknown"} and part not in names:
                names.append(part)
    return tuple(names)


def _language_code(value) -> str | None:
    if not value or not isinstance(value, str):
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None


# --- record formats (JSON, JSON Lines, CSV) ----------------------------------------------------------------------

_KEYS = {
    "title": ("title", "headline"),
    "body": ("text", "body", "maintext", "content", "article"),
    "authors": ("authors", "author", "byline"),
    "published_at": ("published_at", "date", "date_publish", "published", "pubdate", "publish_date"),
    "updated_at": ("updated_at", "date_modify", "modified", "date_modified"),
    "url": ("url", "link"),
    "publisher": ("publisher", "source_domain", "source"),
    "language": ("language", "lang"),
    "caption": ("caption",),
    "image_credit": ("image_credit",),
}


def _fields_from_mapping(obj: dict) -> dict:
    lowered = {str(k).strip().lower(): v for k, v in obj.items()}
    fields = {}
    for name, keys in _KEYS.items():
        for key in keys:
            value = lowered.get(key)
            if value is not None and value != "" and value != []:
                fields[name] = value
                break
    for name in ("title", "body", "url", "publisher", "caption", "image_credit"):
        if name in fields and not isinstance(fields[name], str):
            fields[name] = str(fields[name]) if not isinstance(fields[name], (dict, list)) else None
    return fields


def _read_jsonl(text: str, ctx: _Context) -> None:
    for index, line in enumerate(text.split("\n")):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            ctx.reject(index, "malformed_record", f"line {index + 1}: invalid JSON ({exc.msg} at column {exc.colno})", line)
            continue
        except RecursionError:
            ctx.reject(index, "malformed_record", f"line {index + 1}: JSON nested too deeply to read", line)
            continue
        _add_object(obj, index, ctx, line)


def _read_json(text: str, ctx: _Context) -> None:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _FileError("malformed_file", f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise _FileError("malformed_file", "JSON nested too deeply to read") from None
    if isinstance(obj, dict):
        for key in ("articles", "items", "data", "records"):
            if isinstance(obj.get(key), list):
                obj = obj[key]
                break
    records = obj if isinstance(obj, list) else [obj]
    for index, item in enumerate(records):
        _add_object(item, index, ctx, json.dumps(item, sort_keys=True, ensure_ascii=False))


def _add_object(obj, index: int, ctx: _Context, raw: str) -> None:
    if not isinstance(obj, dict):
        ctx.reject(index, "malformed_record", f"record {index} is a JSON {type(obj).__name__}, not an object", raw)
        return
    ctx.add(index, _fields_from_mapping(obj), raw)


# The csv module stops a whole file at a field over 128 KiB; the file's size is already bounded (max_file_mb), so a
# long field is read like any other and the rows after it are not lost.
csv.field_size_limit(2**31 - 1)


def _read_csv(text: str, ctx: _Context) -> None:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise _FileError("malformed_file", "the CSV file has no header row") from None
    except csv.Error as exc:
        raise _FileError("malformed_file", f"the CSV header does not parse: {exc}") from None
    header = [h.strip().lower() for h in header]
    if not any(h in _KEYS["body"] for h in header):
        raise _FileError("malformed_file", f"no body column: the header has {header}, expected one of {list(_KEYS['body'])}")
    index = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise _FileError("malformed_file", f"CSV parse error after row {index}: {exc}; the rows before it were read", index) from None
        raw = ",".join(row)
        if not any(cell.strip() for cell in row):
            index += 1
            continue
        if len(row) != len(header):
            ctx.reject(index, "malformed_record", f"row {index} has {len(row)} fields, the header has {len(header)}", raw)
        else:
            ctx.add(index, _fields_from_mapping(dict(zip(header, row))), raw)
        index += 1


# --- plain text ----------------------------------------------------------------------------------------------------

# An optional time after a header date: `2:15 PM`, `10:05 a.m. ET`, `14:15 +0100`, `at 9:30 PM GMT`; only zones
# the table knows, so an unknown one never passes for UTC.
_ZONE = "|".join(sorted(map(re.escape, ZONES), key=len, reverse=True))
_TIME = rf"(?:,?\s+(?:at\s+)?\d{{1,2}}:\d{{2}}(?::\d{{2}})?(?:\s?[AaPp]\.?[Mm]\.?)?(?:\s+(?:{_ZONE}|[+-]\d{{2}}:?\d{{2}}))?)?"
_NUMERIC_DATE = re.compile(rf"^\d{{1,2}}/\d{{1,2}}/\d{{4}}{_TIME}$")
_WORDY_DATE = re.compile(rf"^(?:[A-Z][a-z]+,? )?(?:[A-Z][a-z]{{2,8}}\.? \d{{1,2}},? \d{{4}}|\d{{1,2}} [A-Z][a-z]{{2,8}} \d{{4}}){_TIME}$")
_UPDATED = re.compile(r"^(?:Updated|Last updated|Modified)\s*:?\s*(.*)$", re.I)
_CREDIT = re.compile(r"^(?P<caption>.+?)\s*\((?P<credit>[^()]{3,200})\)\s*$")
_CREDIT_WORDS = re.compile(r"/|\bvia\b|Getty|Images|Photo|Reuters|AP\b|AFP|Courtesy|Shutterstock|EPA|Bloomberg|Press|Pool", re.I)
_NAME = r"[A-Z][\w'’.-]*(?: (?:[A-Z][\w'’.-]*|de|van|von|der|da|del|la|le|bin|al-\w+))*"
_BYLINE = re.compile(rf"^(?:By:? )?{_NAME}(?:(?:,| and| &) {_NAME})*$")


def _is_date_line(line: str) -> bool:
    return bool(_NUMERIC_DATE.match(line) or _WORDY_DATE.match(line))


def _read_txt(text: str, ctx: _Context) -> None:
    lines = text.split("\n")
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    if not nonblank:
        raise _FileError("empty_file", "the file holds only white space")
    first = nonblank[0]
    title = lines[first]
    fields: dict = {"title": clean_headline(title)}
    pos = first + 1
    following = [i for i in nonblank if i > first]
    if following and lines[following[0]].strip() == title.strip():
        pos = _read_scrape_header(lines, following[0] + 1, fields)
    else:
        # A plain headline-first file may still carry a "By ..." line or a date line before the body.
        pos = _read_light_header(lines, pos, fields)
    fields["body"] = "\n".join(lines[pos:])
    ctx.add(0, fields)


def _next_nonblank(lines: list[str], pos: int) -> int:
    while pos < len(lines) and not lines[pos].strip():
        pos += 1
    return pos


def _read_scrape_header(lines: list[str], pos: int, fields: dict) -> int:
    """Caption (credit), byline, date, `Updated:` date after a repeated headline, in that order, each optional."""
    pos = _next_nonblank(lines, pos)
    if pos < len(lines):
        m = _CREDIT.match(lines[pos])
        if m and _CREDIT_WORDS.search(m.group("credit")) and not _is_date_line(lines[pos]):
            fields["caption"], fields["image_credit"] = m.group("caption"), m.group("credit")
            pos = _next_nonblank(lines, pos + 1)
    return _read_light_header(lines, pos, fields, allow_bare_byline=True)


def _read_light_header(lines: list[str], pos: int, fields: dict, allow_bare_byline: bool = False) -> int:
    start = pos
    pos = _next_nonblank(lines, pos)
    if pos < len(lines):
        line = lines[pos]
        is_byline = _BYLINE.match(line) and len(line.split()) <= 12 and (allow_bare_byline or line.lower().startswith("by "))
        if is_byline and not _is_date_line(line) and not _UPDATED.match(line):
            fields["authors"] = line
            pos = _next_nonblank(lines, pos + 1)
    if pos < len(lines) and _is_date_line(lines[pos]):
        fields["published_at"] = lines[pos]
        pos = _next_nonblank(lines, pos + 1)
    if pos < len(lines):
        m = _UPDATED.match(lines[pos])
        if m:
            rest = m.group(1).strip()
            if rest and _is_date_line(rest):
                fields["updated_at"] = rest
                pos += 1
            elif not rest:
                nxt = _next_nonblank(lines, pos + 1)
                if nxt < len(lines) and _is_date_line(lines[nxt]):
                    fields["updated_at"] = lines[nxt]
                    pos = nxt + 1
    return pos if pos != _next_nonblank(lines, start) else start


_ABBREV_END = re.compile(r"(?:\b[A-Z]\.(?:[A-Z]\.)+|\b(?:Inc|Jr|Sr|Co|Corp|Ltd|St|Dr|Mr|Mrs|Ms|Gov|Sen|Rep|Gen|No|vs|etc)\.)$")


_SENTENCE_BREAK = re.compile(r"\b(?!(?:Gov|Rep|Sen|St|Dr|Mr|Mrs|Ms|Gen|Jr|Sr|Inc|Corp|Co|vs)\.)\w*[a-z]{2}\. [A-Z]")


def clean_headline(line: str) -> str:
    """A headline without the sentence period some exports append (`Trump wins Iowa.`), nor dangling `;`/`:`."""
    title = line.strip()
    title = re.sub(r"\s*[;:,]$", "", title)
    if title.endswith("...") or title.endswith("…"):
        return title
    m = re.match(r"^(.*\S)\.([’'\"”]?)$", title)
    # A headline of two sentences ("X did Y. Again.") keeps its final period; a one-sentence headline does not.
    multi_sentence = _SENTENCE_BREAK.search(title) is not None
    if m and not multi_sentence and not _ABBREV_END.search(m.group(1) + "."):
        title = m.group(1) + m.group(2)
    return title


# --- HTML ----------------------------------------------------------------------------------------------------------

_META = re.compile(r"<meta\s+[^>]*?(?:property|name|itemprop)\s*=\s*[\"'](?P<key>[^\"']+)[\"'][^>]*?>", re.I | re.S)
_CONTENT = re.compile(r"content\s*=\s*(?:\"(?P<a>[^\"]*)\"|'(?P<b>[^']*)')", re.I | re.S)
_TIME_KEYS = {
    "published_at": ("article:published_time", "datepublished", "og:published_time", "pubdate", "date", "dc.date"),
    "updated_at": ("article:modified_time", "datemodified", "og:updated_time", "last-modified"),
}


# A sentence of at least this many words: what separates an article's text from navigation and cookie banners.
_PROSE_WORDS = 8


def _has_prose(text: str) -> bool:
    return any(len(sentence.split()) >= _PROSE_WORDS for sentence in re.split(r"[.!?\n]", text))


def _read_html(text: str, ctx: _Context) -> None:
    import trafilatura  # heavy import, only needed for HTML

    options = dict(with_metadata=True, include_comments=False, include_tables=False, deduplicate=False)
    # Precise extraction first; trafilatura's fallback extractors find text on more pages, but on a page without
    # an article they return its menus and banners, so their text counts only when it holds a real sentence.
    doc = trafilatura.bare_extraction(text, favor_precision=True, fast=True, **options)
    if doc is None:
        doc = trafilatura.bare_extraction(text, **options)
        if doc is not None and not _has_prose((doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)).get("text") or ""):
            doc = None
    if doc is None:
        raise _FileError("no_body", "no main text found in the page")
    meta = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    metas: dict[str, str] = {}
    for m in _META.finditer(text):
        c = _CONTENT.search(m.group(0))
        if c:
            metas.setdefault(m.group("key").lower(), c.group("a") if c.group("a") is not None else c.group("b"))
    fields = {
        "title": meta.get("title"),
        "body": meta.get("text"),
        "authors": meta.get("author"),
        "url": meta.get("url"),
        "publisher": meta.get("sitename") or meta.get("hostname"),
        "published_at": next((metas[k] for k in _TIME_KEYS["published_at"] if metas.get(k)), meta.get("date")),
        "updated_at": next((metas[k] for k in _TIME_KEYS["updated_at"] if metas.get(k)), None),
        "language": meta.get("language"),
    }
    body_lines = (fields["body"] or "").split("\n")
    if body_lines and fields["title"] and textmod.normalize_inline(body_lines[0]) == textmod.normalize_inline(fields["title"]):
        fields["body"] = "\n".join(body_lines[1:])  # the page's <h1> repeats the headline
    if isinstance(fields["authors"], str):
        fields["authors"] = fields["authors"].split(";")
    ctx.add(0, fields)


# --- Reuters-21578 SGML -------------------------------------------------------------------------------------------

_REUTERS = re.compile(r"<REUTERS\b[^>]*>(.*?)</REUTERS>", re.S | re.I)
_SGML_DATE = re.compile(r"(\d{1,2}-[A-Za-z]{3}-\d{4})(\s+\d{2}:\d{2}:\d{2}(?:\.\d+)?)?")
# A paragraph starts on an indented line (`&\t` in some copies of the corpus, spaces or a tab in the original).
_PARAGRAPH_START = re.compile(r"^(?:&\\t|\t| {2,})")
# The wire's sign-off on its own last line (not a closing "told Reuters").
_SIGN_OFF = re.compile(r"\n(?:&\\t)?[ \t]*Reuters?\s*$", re.I)
_AUTHOR_AGENCY = re.compile(r",\s*Reuters?\s*$", re.I)
# Lines at least this long were wrapped by the wire's fixed width; shorter ones end a paragraph or are table rows.
_WRAPPED = 50


def _sgml_tag(name: str, block: str) -> str | None:
    m = re.search(rf"<{name}\b[^>]*>(.*?)</{name}>", block, re.S | re.I)
    return html.unescape(m.group(1)) if m else None


def _unwrap(body: str) -> str:
    """Fixed-width wire lines back into paragraphs; short lines (tables of figures) keep their line breaks. The
    first line shares its width with the dateline, so it is always wrapped."""
    out: list[str] = []
    wrapped = gap = False
    for raw in body.split("\n"):
        starts = bool(_PARAGRAPH_START.match(raw))
        line = _PARAGRAPH_START.sub("", raw).strip()
        if not line:
            gap = True
            continue
        if out:
            out.append("\n\n" if starts or gap else " " if wrapped else "\n")
        out.append(line)
        wrapped, gap = len(out) == 1 or len(line) >= _WRAPPED, False
    return "".join(out)


def _read_sgm(text: str, ctx: _Context) -> None:
    """One article per `<REUTERS>` element: TITLE, DATE, AUTHOR and BODY; source_record is the element's index."""
    blocks = _REUTERS.findall(text)
    if not blocks:
        raise _FileError("malformed_file", "no <REUTERS> element: not a Reuters-21578 SGML file")
    for index, block in enumerate(blocks):
        body = _sgml_tag("BODY", block)
        date = _SGML_DATE.search(_sgml_tag("DATE", block) or "")
        author = _sgml_tag("AUTHOR", block)
        fields = {
            "title": _sgml_tag("TITLE", block),
            "body": _unwrap(_SIGN_OFF.sub("", body)) if body else None,
            "published_at": "".join(g for g in date.groups() if g) if date else None,
            "authors": _AUTHOR_AGENCY.sub("", author.strip()) if author else None,
        }
        ctx.add(index, fields, block)


_READERS = {"txt": _read_txt, "jsonl": _read_jsonl, "json": _read_json, "csv": _read_csv, "html": _read_html, "sgm": _read_sgm}
