"""Loudness (LUFS) and true peak (dBTP) as ITU-R BS.1770-4 measures them, on 48 kHz float samples.

Samples are float arrays in [-1, 1] shaped (samples,) for mono or (samples, channels) for
stereo (both channels weigh 1, as in the standard). The work is split so that a caller that
changes the gain of a signal many times (the soundtrack's limiter) filters it only once:

    weighted = k_weighted(samples)            # the standard's K-weighting filter
    energies = tick_energies(weighted)        # its energy per millisecond ("tick")
    gated_loudness(energies * gains ** 2)     # integrated loudness with any per-tick gain

``integrated_loudness`` chains the three. ``tick_true_peaks`` is each tick's peak between
samples, found by 4x oversampling (BS.1770-4, Annex 2).
"""

from __future__ import annotations

import math

import numpy as np

from . import dsp

SAMPLE_RATE = 48_000
TICK = SAMPLE_RATE // 1000  # samples per tick (1 ms): the resolution of energies and peaks

# K-weighting at 48 kHz (BS.1770-4, tables 1 and 2): a high-frequency shelf, then a high-pass.
_SHELF = ([1.53512485958697, -2.69169618940638, 1.19839281085285], [1.0, -1.69065929318241, 0.73248077421585])
_HIGH_PASS = ([1.0, -2.0, 1.0], [1.0, -1.99004745483398, 0.99007225036621])
_SOS = np.array([[*_SHELF[0], *_SHELF[1]], [*_HIGH_PASS[0], *_HIGH_PASS[1]]])
_K_WEIGHTING = dsp.sos_impulse_response(_SOS)  # the two biquads as one (long) FIR

BLOCK_TICKS = 400  # gating blocks of 400 ms ...
STEP_TICKS = 100  # ... starting every 100 ms (75% overlap)
ABSOLUTE_GATE = -70.0  # LUFS
RELATIVE_GATE = -10.0  # LU below the loudness of the blocks above the absolute gate
# The K-filter's gain at 1 kHz: a 1 kHz sine peaking at -23 dBFS in both channels reads -23 LUFS.
LOUDNESS_OFFSET = -0.691

OVERSAMPLING = 4
# A 48-tap interpolating low-pass, as long as the standard's example filter; gain 4 keeps the
# level of the zero-stuffed signal.
_INTERPOLATOR = (dsp.firwin_lowpass(48, 1 / OVERSAMPLING, 6.0) * OVERSAMPLING).astype(np.float32)
_INTERPOLATOR_DELAY = (len(_INTERPOLATOR) - 1) // 2  # at the oversampled rate
# Samples either side of a tick that reach into its oversampled values (the filter's half length).
_MARGIN = math.ceil(len(_INTERPOLATOR) / 2 / OVERSAMPLING) + 1


def as_channels(samples: np.ndarray) -> np.ndarray:
    """``samples`` shaped (samples, channels)."""
    return samples.reshape(len(samples), -1)


def k_weighted(samples: np.ndarray) -> np.ndarray:
    """The samples through the K-weighting filter, shaped (samples, channels)."""
    return dsp.fir_filter(_K_WEIGHTING, as_channels(samples)).astype(np.float32)


def tick_energies(weighted: np.ndarray) -> np.ndarray:
    """Sum of squares over all channels in each tick of K-weighted samples (a partial last tick counts)."""
    squares = np.square(weighted, dtype=np.float64).sum(axis=1)
    ticks = math.ceil(len(squares) / TICK)
    return np.pad(squares, (0, ticks * TICK - len(squares))).reshape(ticks, TICK).sum(axis=1)


def gated_loudness(energies: np.ndarray) -> float:
    """Integrated loudness in LUFS of per-tick energies; -inf for silence or under 400 ms of audio."""
    blocks = (len(energies) - BLOCK_TICKS) // STEP_TICKS + 1
    if blocks < 1:
        return -math.inf
    cumulative = np.concatenate(([0.0], np.cumsum(energies)))
    starts = np.arange(blocks) * STEP_TICKS
    power = (cumulative[starts + BLOCK_TICKS] - cumulative[starts]) / (BLOCK_TICKS * TICK)
    with np.errstate(divide="ignore"):
        block_loudness = LOUDNESS_OFFSET + 10 * np.log10(power)
    loud = power[block_loudness > ABSOLUTE_GATE]
    if loud.size == 0:
        return -math.inf
    relative_gate = LOUDNESS_OFFSET + 10 * math.log10(loud.mean()) + RELATIVE_GATE
    gated = power[(block_loudness > ABSOLUTE_GATE) & (block_loudness > relative_gate)]
    return LOUDNESS_OFFSET + 10 * math.log10(gated.mean())


def integrated_loudness(samples: np.ndarray) -> float:
    """Integrated loudness of 48 kHz samples in LUFS (-inf for silence)."""
    return gated_loudness(tick_energies(k_weighted(samples)))


def tick_true_peaks(samples: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """Each tick's largest magnitude over all channels, between samples included (linear, 1 = full scale).

    Oversampling all of 30 s of audio costs ~100 ms per channel, so it is spent only on the
    ticks whose sample peak reaches ``floor``; quieter ticks report their sample peak. (Between
    samples, speech and music peak at most ~3.5 dB above a tick's sample peak: measured on
    Piper's voice at 48 kHz.)
    """
    channels = as_channels(samples).astype(np.float32)
    ticks = math.ceil(len(channels) / TICK)
    padded = np.pad(channels, ((_MARGIN, ticks * TICK - len(channels) + _MARGIN), (0, 0)))
    peaks = np.abs(padded[_MARGIN:_MARGIN + ticks * TICK]).reshape(ticks, -1).max(axis=1)
    loud = np.flatnonzero(peaks >= floor)
    if loud.size > ticks // 2:  # most of the signal: oversampling all of it in one go is faster
        first = _MARGIN * OVERSAMPLING + _INTERPOLATOR_DELAY
        for channel in padded.T:  # one contiguous channel at a time: several times faster than axis=0
            upsampled = dsp.upsample(_INTERPOLATOR, np.ascontiguousarray(channel), OVERSAMPLING)
            core = np.abs(upsampled[first:first + ticks * TICK * OVERSAMPLING]).reshape(ticks, -1).max(axis=1)
            peaks = np.maximum(peaks, core)
        return peaks
    if loud.size:
        # Each loud tick with _MARGIN samples either side, one row per tick and channel.
        rows = padded[loud[:, None] * TICK + np.arange(TICK + 2 * _MARGIN)].transpose(0, 2, 1)
        rows = rows.reshape(-1, TICK + 2 * _MARGIN)
        upsampled = dsp.upsample(_INTERPOLATOR, rows, OVERSAMPLING)
        first = _MARGIN * OVERSAMPLING + _INTERPOLATOR_DELAY  # the tick's first sample, oversampled
        core = upsampled[:, first:first + TICK * OVERSAMPLING]
        peaks[loud] = np.maximum(peaks[loud], np.abs(core).reshape(len(loud), -1).max(axis=1))
    return peaks


def true_peak(samples: np.ndarray) -> float:
    """The true peak in dBTP (dB relative to full scale, between samples included); -inf for silence."""
    peak = float(tick_true_peaks(samples).max(initial=0.0))
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def decibels(ratio: float) -> float:
    return 20 * math.log10(ratio)


def gain(decibels: float) -> float:
    """The amplitude ratio of a gain in dB."""
    return 10 ** (decibels / 20)
