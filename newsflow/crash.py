"""Deterministic kill points, so crash safety is tested at chosen steps instead of by timing.

`NEWSFLOW_CRASH_AT=<name>[:<n>]` makes the n-th call (default the first) of `checkpoint(name)` in this process kill
the process with SIGKILL, as a power cut or the out-of-memory killer would: no `finally`, no `atexit`. Unset (always,
outside tests), a checkpoint costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

ENV = "NEWSFLOW_CRASH_AT"
_calls: dict[str, int] = {}


def checkpoint(name: str) -> None:
    target = os.environ.get(ENV)
    if not target:
        return
    wanted, _, nth = target.partition(":")
    if wanted != name:
        return
    _calls[name] = _calls.get(name, 0) + 1
    if _calls[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
