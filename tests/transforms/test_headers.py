"""Page-scrape header dates with a time and a time zone, read into UTC and removed from the body.

The headers are written for these tests; every expected UTC value is worked out by hand."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from transforms.readers import ZONES, parse_file, parse_timestamp

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
BODY = "The depot reopened on Wednesday after a week of repairs, the transit board said.\n\nBuses ran on time."


def scrape(date_line: str, updated_line: str | None = None) -> str:
    lines = ["Depot Reopens After Repairs", "", "Depot Reopens After Repairs", "Marta Quill", date_line]
    if updated_line:
        lines.append(updated_line)
    return "\n".join(lines + ["", BODY, ""])


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "date_line, updated_line, published, updated",
    [
        # no zone: taken as UTC, like every naive time
        ("12/29/2021 2:15 PM", "Updated: 12/29/2021 10:05 AM ET", utc(2021, 12, 29, 14, 15), utc(2021, 12, 29, 15, 5)),
        # ET follows daylight saving: EDT (UTC-4) in July, and 9:30 PM is already the next day in UTC
        ("07/04/2021 9:30 PM ET", None, utc(2021, 7, 5, 1, 30), None),
        ("12/29/2021 2:15 p.m. EST", "Updated:\n12/30/2021 8:00 AM EST", utc(2021, 12, 29, 19, 15), utc(2021, 12, 30, 13, 0)),
        ("06/15/2022 8:00 AM EDT", None, utc(2022, 6, 15, 12, 0), None),
        ("03/01/2022 11:45 GMT", "Updated: 03/01/2022 13:05 UTC", utc(2022, 3, 1, 11, 45), utc(2022, 3, 1, 13, 5)),
        ("03/01/2022 14:15 +0100", None, utc(2022, 3, 1, 13, 15), None),
        ("03/01/2022, 14:15 -05:00", None, utc(2022, 3, 1, 19, 15), None),
        ("03/01/2022 at 6:40 PM PT", None, utc(2022, 3, 2, 2, 40), None),
        ("Dec. 29, 2021 2:15 PM PT", None, utc(2021, 12, 29, 22, 15), None),
        ("December 29, 2021, 10:05 a.m. CST", None, utc(2021, 12, 29, 16, 5), None),
        ("Wednesday, 29 December 2021 17:30 CET", None, utc(2021, 12, 29, 16, 30), None),
    ],
)
def test_header_times_and_zones_are_read_into_utc_and_leave_the_body(date_line, updated_line, published, updated):
    result = parse_file("news/depot.txt", scrape(date_line, updated_line).encode(), now=NOW)
    assert not result.rejections
    (a,) = result.articles
    assert a.published_at == published
    assert a.updated_at == updated
    assert a.authors == ("Marta Quill",)
    assert a.body == BODY


def test_an_unknown_zone_is_not_a_header_date():
    """A zone the table does not know must never pass for UTC: the line is not taken as the date."""
    (a,) = parse_file("news/depot.txt", scrape("12/29/2021 2:15 PM QZT").encode(), now=NOW).articles
    assert a.published_at is None
    assert a.body.startswith("12/29/2021 2:15 PM QZT")


# Every entry of transforms/lexicons/timezones.tsv: (UTC offset on 15 January 2022, on 15 July 2022) in hours.
OFFSETS = {
    "ET": (-5, -4), "EST": (-5, -5), "EDT": (-4, -4),
    "CT": (-6, -5), "CST": (-6, -6), "CDT": (-5, -5),
    "MT": (-7, -6), "MST": (-7, -7), "MDT": (-6, -6),
    "PT": (-8, -7), "PST": (-8, -8), "PDT": (-7, -7),
    "GMT": (0, 0), "UTC": (0, 0), "Z": (0, 0),
    "BST": (1, 1), "CET": (1, 1), "CEST": (2, 2),
}


def test_every_zone_of_the_table_is_checked():
    table = Path(__file__).resolve().parents[2] / "transforms" / "lexicons" / "timezones.tsv"
    listed = [line.split("\t")[0] for line in table.read_text().splitlines() if line and not line.startswith(("#", "abbreviation\t"))]
    assert len(listed) == len(set(listed))
    assert set(listed) == set(OFFSETS) == set(ZONES)


@pytest.mark.parametrize("abbreviation", sorted(OFFSETS))
def test_zone_offsets_in_winter_and_summer(abbreviation):
    winter, summer = OFFSETS[abbreviation]
    assert parse_timestamp(f"01/15/2022 12:00 PM {abbreviation}") == utc(2022, 1, 15, 12 - winter)
    assert parse_timestamp(f"07/15/2022 12:00 PM {abbreviation}") == utc(2022, 7, 15, 12 - summer)
