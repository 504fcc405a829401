"""newsflow/heartbeats.py: Prefect's flow-run heartbeats, without the wait at the end of a run (no flow run)."""

from __future__ import annotations

import logging
import time
from types import SimpleNamespace

import prefect.flow_engine

from newsflow import heartbeats


class FakeEngine:
    """What `_send_heartbeats` reads of a flow run engine."""

    def __init__(self, seconds):
        self.heartbeat_seconds = seconds
        self.flow_run = SimpleNamespace(state=SimpleNamespace(is_final=lambda: False))
        self.logger = logging.getLogger("test-heartbeats")
        self.sent = 0

    def _build_heartbeat_event_template(self):
        return {}, []

    def _emit_flow_run_heartbeat(self, resource, related):
        self.sent += 1


def test_the_replacement_is_in_place():
    assert heartbeats.install(), "Prefect changed _send_heartbeats: review newsflow/heartbeats.py and its hash"
    assert prefect.flow_engine._send_heartbeats is heartbeats.send_heartbeats
    assert heartbeats.source_hash(heartbeats.ORIGINAL["_send_heartbeats"]) == heartbeats.REPLACED


def test_a_run_ends_without_waiting_for_the_heartbeat_thread():
    engine = FakeEngine(180)
    started = time.monotonic()
    with heartbeats.send_heartbeats(engine):
        pass
    # Prefect's own thread sleeps in one-second steps, so its run ended about a second later
    assert time.monotonic() - started < 0.5
    assert engine.sent == 1  # the heartbeat at the start, as Prefect sends it


def test_heartbeats_keep_coming_at_the_interval_while_the_run_lasts(monkeypatch):
    monkeypatch.setattr(prefect.flow_engine, "MINIMUM_HEARTBEAT_INTERVAL", 0)
    engine = FakeEngine(0.05)
    with heartbeats.send_heartbeats(engine):
        time.sleep(0.4)
    assert 4 <= engine.sent <= 10
    engine = FakeEngine(None)  # heartbeats turned off
    with heartbeats.send_heartbeats(engine):
        pass
    assert engine.sent == 0


def test_no_heartbeat_once_the_run_is_final():
    engine = FakeEngine(180)
    engine.flow_run.state.is_final = lambda: True
    with heartbeats.send_heartbeats(engine):
        pass
    assert engine.sent == 0
