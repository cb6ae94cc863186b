"""The few signal-processing routines the soundtrack needs, in numpy alone.

They compute what scipy's ``signal.firwin``, ``signal.sosfilt``, ``signal.upfirdn`` (upsampling),
``signal.resample_poly`` and ``ndimage.minimum_filter1d`` compute for the soundtrack's inputs
(``ai_studio/tests/generation/test_dsp.py`` holds them to it): importing scipy for them took
~75 MB in every worker process (scipy.signal pulls in most of scipy).
"""

from __future__ import annotations

import math

import numpy as np

# A biquad's impulse response is cut where it has decayed far below float32 precision (what the
# callers keep): the K-weighting high-pass, the slowest here (poles at radius 0.995), is down to
# ~2e-9 of its start after 2^12 samples.
IMPULSE_SAMPLES = 1 << 12
# The FFT size of ``fir_filter``'s overlap-add: 4x the impulse response was the fastest.
FFT_SIZE = 1 << 14


def firwin_lowpass(numtaps: int, cutoff: float, beta: float) -> np.ndarray:
    """A linear-phase low-pass FIR with unit gain at DC: the sinc at ``cutoff`` (a fraction of
    the Nyquist frequency) times a Kaiser window (scipy's ``firwin(numtaps, cutoff,
    window=("kaiser", beta))``)."""
    m = np.arange(numtaps) - (numtaps - 1) / 2
    taps = cutoff * np.sinc(cutoff * m) * np.kaiser(numtaps, beta)
    return taps / taps.sum()


def sos_impulse_response(sos: np.ndarray, length: int = IMPULSE_SAMPLES) -> np.ndarray:
    """The impulse response of cascaded biquads (rows b0 b1 b2 a0 a1 a2), ``length`` samples."""
    response = np.zeros(length)
    response[0] = 1.0
    for b0, b1, b2, _a0, a1, a2 in np.asarray(sos, dtype=np.float64) / np.asarray(sos)[:, 3:4]:
        x = response.tolist()
        y = [0.0] * length
        x1 = x2 = y1 = y2 = 0.0
        for n in range(length):
            y[n] = b0 * x[n] + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
            x2, x1, y2, y1 = x1, x[n], y1, y[n]
        response = np.array(y)
    return response


def fir_filter(taps: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """``samples`` (samples, channels) through the causal FIR ``taps``, as long as the input and
    starting from rest (as ``sosfilt`` does with the IIR whose impulse response ``taps`` is):
    FFT convolution by overlap-add (~0.07 s for 30 s of 48 kHz stereo; sosfilt took 0.02 s)."""
    length, size = len(samples), max(FFT_SIZE, 1 << math.ceil(math.log2(2 * len(taps))))
    block = size - len(taps) + 1
    spectrum = np.fft.rfft(np.asarray(taps, dtype=np.float64), size)[:, None]
    samples = np.asarray(samples, dtype=np.float64)
    out = np.zeros((length + size, samples.shape[1]))
    for start in range(0, length, block):
        out[start:start + size] += np.fft.irfft(np.fft.rfft(samples[start:start + block], size, axis=0) * spectrum,
                                                size, axis=0)
    return out[:length]


def upsample(taps: np.ndarray, samples: np.ndarray, up: int) -> np.ndarray:
    """``samples`` zero-stuffed ``up`` times and filtered by ``taps``, along the last axis, the
    full convolution (scipy's ``upfirdn(taps, samples, up=up, axis=-1)``), computed per phase.

    Each phase's few taps are applied to all the rows at once, one shifted multiply-add per tap:
    a convolution per row and phase (thousands of 62-sample rows for a reel's loud ticks) cost
    ~0.3 s in call overhead alone."""
    samples = np.asarray(samples)
    taps = np.asarray(taps)
    count = samples.shape[-1]
    dtype = np.result_type(samples, taps)
    out = np.zeros((*samples.shape[:-1], (count - 1) * up + len(taps)), dtype=dtype)
    for phase in range(up):
        branch = taps[phase::up]
        if not branch.size:
            continue
        filtered = np.zeros((*samples.shape[:-1], count + len(branch) - 1), dtype=dtype)
        for shift, tap in enumerate(branch):
            filtered[..., shift:shift + count] += tap * samples
        stuffed = out[..., phase::up]
        stuffed[..., :filtered.shape[-1]] = filtered[..., :stuffed.shape[-1]]
    return out


def resample_poly(samples: np.ndarray, up: int, down: int, beta: float = 5.0) -> np.ndarray:
    """``samples`` (1-D) at ``up / down`` times their rate through a polyphase Kaiser FIR, as
    scipy's ``resample_poly(samples, up, down)`` does (the same filter, delay and length)."""
    divisor = math.gcd(up, down)
    up, down = up // divisor, down // divisor
    samples = np.asarray(samples, dtype=np.float64)
    if up == down == 1:
        return samples.copy()
    half = 10 * max(up, down)
    taps = firwin_lowpass(2 * half + 1, 1 / max(up, down), beta) * up
    pre_pad = down - half % down
    remove = (half + pre_pad) // down
    wanted = len(samples) * up // down + bool(len(samples) * up % down)
    post_pad = 0
    while _upfirdn_length(len(taps) + pre_pad + post_pad, len(samples), up, down) < wanted + remove:
        post_pad += 1
    taps = np.concatenate((np.zeros(pre_pad), taps, np.zeros(post_pad)))
    # Output k of the full upfirdn is sum over n of taps[k * down - n * up] * samples[n]: the
    # phase (k * down) % up picks every up-th tap, from input sample (k * down) // up backwards.
    # Outputs up apart share their phase, and their inputs are down apart: one matrix-vector
    # product over a strided view of the input per phase (~0.05 s for 28 s of voice to 48 kHz).
    per_phase = math.ceil(len(taps) / up)
    padded = np.concatenate((np.zeros(per_phase - 1), samples, np.zeros(per_phase)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, per_phase)  # oldest sample first
    result = np.empty(wanted)
    for first in range(min(up, wanted)):
        k = first + remove
        branch = np.zeros(per_phase)
        phase_taps = taps[(k * down) % up::up]
        branch[:len(phase_taps)] = phase_taps
        count = len(range(first, wanted, up))
        newest = (k * down) // up  # the window starting here ends at the newest input sample
        result[first::up] = windows[newest:newest + count * down:down][:count] @ branch[::-1]
    return result


def _upfirdn_length(taps: int, samples: int, up: int, down: int) -> int:
    return ((samples - 1) * up + taps - 1) // down + 1


def minimum_filter1d(values: np.ndarray, size: int, origin: int = 0) -> np.ndarray:
    """The minimum over a window of ``size`` values around each one, shifted by ``origin``, the
    edges extended with the end values (scipy's ``ndimage.minimum_filter1d(values, size,
    origin=origin, mode="nearest")``)."""
    values = np.asarray(values)
    before = size // 2 + origin
    after = size - 1 - before
    padded = np.concatenate((np.repeat(values[:1], max(before, 0)), values, np.repeat(values[-1:], max(after, 0))))
    windows = np.lib.stride_tricks.sliding_window_view(padded, size)
    return windows.min(axis=1)[:len(values)]
