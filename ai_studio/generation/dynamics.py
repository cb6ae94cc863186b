"""Gain curves for the soundtrack, computed offline: the limiter's and the music's ducking.

A curve is one gain in dB per tick (``lufs.TICK`` samples, 1 ms) that never rises above a
target and changes at a bounded rate. The whole soundtrack is known in advance, so a gain can
start falling *before* the sound that needs it (look-ahead) without delaying anything: what the
curves are applied to stays sample-exact in time, and the lip sync and captions with it.
"""

from __future__ import annotations

import numpy as np

from . import dsp


def ramped(target_db: np.ndarray, *, fall_per_tick: float, rise_per_tick: float) -> np.ndarray:
    """The highest curve that stays at or below ``target_db`` with bounded slopes.

    Before each dip it falls by at most ``fall_per_tick`` dB a tick, reaching the dip on time;
    after it, it rises by at most ``rise_per_tick``. Linear ramps in dB: gain(k) is the
    minimum over j of target(j) + slope * |k - j|, with the slope of the side k is on.
    """
    ticks = np.arange(len(target_db), dtype=np.float64)
    after = np.minimum.accumulate(target_db - rise_per_tick * ticks) + rise_per_tick * ticks
    before = np.minimum.accumulate((target_db + fall_per_tick * ticks)[::-1])[::-1] - fall_per_tick * ticks
    return np.minimum(after, before)


def held(target_db: np.ndarray, ticks: int) -> np.ndarray:
    """``target_db`` with every dip lasting ``ticks`` ticks longer (the lowest value of the last ticks)."""
    if ticks <= 0:
        return target_db
    return dsp.minimum_filter1d(target_db, size=ticks + 1, origin=ticks // 2)


def per_sample(gains_db: np.ndarray, tick: int, length: int) -> np.ndarray:
    """Linear gain for each of ``length`` samples from per-tick gains in dB.

    Interpolated linearly between tick boundaries, each boundary taking the lower gain of the
    two ticks it separates: within a tick the gain never exceeds that tick's own.
    """
    boundaries = np.concatenate((gains_db[:1], np.minimum(gains_db[:-1], gains_db[1:]), gains_db[-1:]))
    linear = np.power(10.0, boundaries / 20).astype(np.float32)
    fraction = np.arange(tick, dtype=np.float32) / tick
    ramps = linear[:-1, None] + (linear[1:] - linear[:-1])[:, None] * fraction  # one row per tick
    return ramps.ravel()[:length]
