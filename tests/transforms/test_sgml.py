"""The Reuters-21578 SGML reader: inline SGML written for these tests, and a count on the real corpus file."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from tests.conftest import CORPORA, needs_corpora
from transforms.readers import format_of, parse_file

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)

# Three stories in the corpus's layout: the second has no BODY (a brief), the third a broken time in its DATE.
SGML = """<!DOCTYPE lewis SYSTEM "lewis.dtd">
<REUTERS TOPICS="YES" LEWISSPLIT="TRAIN" NEWID="101">
<DATE>26-FEB-1987 15:01:01.79</DATE>
<TOPICS><D>grain</D></TOPICS>
<UNKNOWN>&#5;&#5;&#5;C T
&#22;&#22;&#1;f0704&#31;reute</UNKNOWN>
<TEXT>&#2;
<TITLE>NORDLAND MILLS &lt;NML> RAISES FLOUR OUTPUT</TITLE>
<AUTHOR>    By Ines Marlow, Reuters</AUTHOR>
<DATELINE>    HALDEN, Feb 26 - </DATELINE><BODY>Nordland Mills said it will raise flour
output at its Halden plant by a fifth from next month as export
orders from West Africa keep growing.
&\\tThe company said the extra shifts would add 40 jobs &amp; cost
about two mln crowns a year.
    Output 1986 120,000 tonnes vs 98,000
    Orders 1986 80,000 tonnes vs 61,000
 Reuter
&#3;</BODY></TEXT>
</REUTERS>
<REUTERS TOPICS="NO" LEWISSPLIT="TEST" NEWID="102">
<DATE>26-FEB-1987 15:02:20.00</DATE>
<TEXT TYPE="BRIEF">&#2;
<TITLE>******HALDEN PORT CLOSED BY ICE</TITLE>
&#3;</TEXT>
</REUTERS>
<REUTERS TOPICS="NO" LEWISSPLIT="TRAIN" NEWID="103">
<DATE>31-MAR-1987 605:12:19.12</DATE>
<TEXT>&#2;
<TITLE>FERRY LINE ADDS SAILINGS</TITLE>
<BODY>Skagen Ferries said it would add two
sailings a day.
 REUTER
&#3;</BODY></TEXT>
</REUTERS>
"""


def test_sgm_is_a_supported_format():
    assert format_of("reuters/reut2-000.sgm") == ("sgm", False)
    assert format_of("reuters/reut2-000.SGM.gz") == ("sgm", True)


def test_one_article_per_reuters_element_and_no_body_is_quarantined():
    result = parse_file("reuters/sample.sgm", SGML.encode("latin-1"), now=NOW)
    first, third = result.articles
    assert [a.source_record for a in result.articles] == [0, 2]
    assert {a.source_format for a in result.articles} == {"sgm"}
    assert first.title == "NORDLAND MILLS <NML> RAISES FLOUR OUTPUT"
    assert first.published_at == datetime(1987, 2, 26, 15, 1, 1, 790000, tzinfo=timezone.utc)
    assert first.authors == ("Ines Marlow",)
    # wrapped wire lines joined, `&\\t` starts a paragraph, short table rows keep their lines, sign-off removed
    assert first.body == (
        "Nordland Mills said it will raise flour output at its Halden plant by a fifth from next month as export "
        "orders from West Africa keep growing.\n\n"
        "The company said the extra shifts would add 40 jobs & cost about two mln crowns a year.\n\n"
        "Output 1986 120,000 tonnes vs 98,000\n\n"
        "Orders 1986 80,000 tonnes vs 61,000"
    )
    # a DATE whose time is broken keeps its day
    assert third.published_at == datetime(1987, 3, 31, tzinfo=timezone.utc)
    assert third.body == "Skagen Ferries said it would add two sailings a day."
    (rejection,) = result.rejections
    assert (rejection.source_path, rejection.source_record, rejection.reason) == ("reuters/sample.sgm", 1, "no_body")
    assert "HALDEN PORT CLOSED BY ICE" in rejection.detail


def test_latin1_bytes_decode():
    text = SGML.replace("Skagen Ferries", "Sk\u00e5gen F\u00e6rger")
    (_, third) = parse_file("r.sgm", text.encode("latin-1"), now=NOW).articles
    assert third.body.startswith("Sk\u00e5gen F\u00e6rger said")


def test_a_file_without_reuters_elements_is_malformed():
    (rejection,) = parse_file("r.sgm", b"<DOC><TEXT>Not Reuters at all.</TEXT></DOC>", now=NOW).rejections
    assert rejection.reason == "malformed_file" and rejection.source_record is None


@needs_corpora
@pytest.mark.corpora
def test_reut2_000_gives_one_article_per_element_with_a_body():
    data = (CORPORA / "reuters21578" / "reut2-000.sgm").read_bytes()
    elements = data.split(b"<REUTERS ")[1:]
    with_body = [i for i, element in enumerate(elements) if b"<BODY>" in element]
    assert len(elements) == 1000 and 0 < len(with_body) < len(elements)
    result = parse_file("reut2-000.sgm", data, now=NOW)
    assert [a.source_record for a in result.articles] == with_body
    assert sorted(r.source_record for r in result.rejections) == [i for i in range(len(elements)) if i not in with_body]
    assert {r.reason for r in result.rejections} == {"no_body"}
    for a in result.articles:
        assert a.published_at is not None and a.published_at.year == 1987
        assert a.body and "&lt;" not in a.body and "&#" not in a.body and "\\t" not in a.body
        assert not re.search(r"\bReuter\s*$", a.body, re.I)
