"""Record-level versus table-level expectations, by Great Expectations' own severity."""

from __future__ import annotations

RECORD = "warning"  # GX severity of record-level expectations; table-level ones keep the default, critical


def record_level(expectations: list) -> list:
    """Mark expectations as record-level (GX severity `warning`): a failure quarantines the failing articles."""
    for e in expectations:
        e.severity = RECORD
    return expectations
