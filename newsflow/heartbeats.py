"""A fix for a wait Prefect adds to the end of every flow run that sends heartbeats.

Prefect's `flow_engine._send_heartbeats` sends a flow run's heartbeats (every `flows.heartbeat_frequency` seconds,
180 by default, so a server can tell a crashed run) from a thread that sleeps in steps of one second, and the run
joins that thread when it ends: every run against a server waited up to a second (half a second on average, a
tenth of a one-file run here) for a thread with nothing left to do. The replacement sends the same heartbeats at
the same times and wakes as soon as the run ends. It replaces only the exact code it was written against, checked
by hash: a Prefect release that changes `_send_heartbeats` keeps its own, and the test that the fix is in place
fails so someone looks again.
"""

from __future__ import annotations

import contextvars
import hashlib
import inspect
import threading
from contextlib import contextmanager

# sha1 of the source of `prefect.flow_engine._send_heartbeats` as in prefect 3.9.1.
REPLACED = "cfe962d73af6893edc13605223778a9716c2f569"
ORIGINAL: dict = {}


def source_hash(fn) -> str:
    return hashlib.sha1(inspect.getsource(getattr(fn, "__wrapped__", fn)).encode()).hexdigest()


@contextmanager
def send_heartbeats(engine, join_on_exit: bool = True):
    """Prefect's `_send_heartbeats`, with the thread waiting on the stop event rather than sleeping in steps."""
    from prefect.flow_engine import MINIMUM_HEARTBEAT_INTERVAL

    heartbeat_seconds = engine.heartbeat_seconds
    if heartbeat_seconds is None:
        yield
        return
    heartbeat_seconds = max(heartbeat_seconds, MINIMUM_HEARTBEAT_INTERVAL)
    resource, related = engine._build_heartbeat_event_template()
    stop_event = threading.Event()

    def heartbeat_loop() -> None:
        while not stop_event.is_set():
            if engine.flow_run and engine.flow_run.state and engine.flow_run.state.is_final():
                engine.logger.debug("Flow run in terminal state, stopping heartbeat")
                return
            try:
                engine._emit_flow_run_heartbeat(resource, related)
            except Exception:
                engine.logger.debug("Failed to emit heartbeat", exc_info=True)
            if stop_event.wait(heartbeat_seconds):
                return

    # As Prefect's: the thread sees the caller's settings (its API URL), not the process-wide ones.
    thread = threading.Thread(target=contextvars.copy_context().run, args=(heartbeat_loop,), daemon=True)
    thread.start()
    engine.logger.debug("Started flow run heartbeat context")
    try:
        yield
    finally:
        stop_event.set()
        if join_on_exit:
            thread.join(timeout=2)
        engine.logger.debug("Stopped flow run heartbeat context")


def install() -> bool:
    """Put `send_heartbeats` in place of Prefect's when Prefect's is the one it was written against; True when it
    is in place."""
    import prefect.flow_engine as engine

    current = engine._send_heartbeats
    if current is send_heartbeats:
        return True
    if source_hash(current) != REPLACED:
        return False
    ORIGINAL["_send_heartbeats"] = current
    engine._send_heartbeats = send_heartbeats
    return True
