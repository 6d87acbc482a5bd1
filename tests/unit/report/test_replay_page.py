"""The replay page says how live quality was judged, per policy when the policies differ."""

from __future__ import annotations

from seqcast.report.replay import _live_text

LIVE = {"window": 168, "factor": 1.3, "min_scored": 20, "cooldown_hours": 24.0}


def test_one_sentence_when_every_policy_judged_alike():
    text = _live_text([{"live": LIVE}, {"live": dict(LIVE)}], ["never", "on-degradation"])
    assert text == (
        "live quality is judged over the newest 168 periods, degraded above 1.3x the promise "
        "(at least 20 scored), with 24 h between degradation events."
    )


def test_each_policy_named_when_their_windows_differ():
    """A policy replayed with --live-window 48 beside one with the default window."""
    short = {**LIVE, "window": 48}
    text = _live_text([{"live": LIVE}, {"live": short}], ["never", "on-degradation"])
    assert "never: over the newest 168 periods" in text
    assert "on-degradation: over the newest 48 periods" in text
