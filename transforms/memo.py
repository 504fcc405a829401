"""Memo caches for the pure look-ups the extractors repeat (name cores, places, date normalisation).

Every one holds at most `MEMO_SIZE` entries. Entries cost memory (about 500 bytes each with their keys and values)
and a worker lives for a whole run: with 4,096-8,192 entries per cache, the caches of a worker went on filling for its
first 4,000 articles (12 MB), so a long run ended higher than a short one. At 1,024 they are full within a worker's
first few hundred articles, and the look-ups they no longer hold cost 0.3 s of CPU per 4,000 Reuters articles (of
168 s): most repeats are of the few names and places a day's news is about, which stay in any of these sizes.
"""

from __future__ import annotations

from functools import lru_cache

MEMO_SIZE = 1024


def memo(fn):
    """`fn` remembered for its last `MEMO_SIZE` distinct arguments (they must be hashable; `fn` must be pure)."""
    return lru_cache(maxsize=MEMO_SIZE)(fn)
