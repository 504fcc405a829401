"""`attribution_units`: how `eval quotes` turns our rows into PolNeAR's unit, one attribution relation."""

from __future__ import annotations

from newsflow.evaluation.runner import attribution_units


def row(start, end, paragraph=0, speaker=(100, 110), cue="said"):
    return {"field": "body", "paragraph_index": paragraph, "start_char": start, "end_char": end,
            "speaker_start_char": speaker[0] if speaker else None, "speaker_end_char": speaker[1] if speaker else None,
            "cue": cue if speaker else None}


def test_pieces_of_one_interrupted_quote_are_one_unit():
    first, second = row(1, 40), row(60, 90)
    assert attribution_units([first, second]) == [((1, 90), first)]


def test_other_paragraph_other_speaker_other_cue_or_no_speaker_stay_apart():
    rows = [row(1, 40), row(60, 90, paragraph=1), row(120, 150, speaker=(200, 210)), row(160, 170, cue="told"),
            row(300, 320, speaker=None), row(330, 340, speaker=None)]
    assert [span for span, _ in attribution_units(rows)] == [(1, 40), (60, 90), (120, 150), (160, 170), (300, 320), (330, 340)]
