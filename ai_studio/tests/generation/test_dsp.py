"""The soundtrack's numpy signal processing computes what scipy's routines it replaced compute
(scipy, still installed, is the reference here; the engine no longer imports it)."""

import math
import subprocess
import sys

import numpy as np
import pytest
from scipy import ndimage, signal

from ai_studio.generation import dsp, lufs

RNG = np.random.default_rng(7)


@pytest.mark.parametrize(("numtaps", "cutoff", "beta"), [(48, 1 / 4, 6.0), (6401, 1 / 320, 5.0), (21, 0.5, 5.0)])
def test_the_low_pass_is_scipys_firwin(numtaps, cutoff, beta):
    expected = signal.firwin(numtaps, cutoff, window=("kaiser", beta))
    assert np.allclose(dsp.firwin_lowpass(numtaps, cutoff, beta), expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize("length", [1, 1000, 48_000 * 3 + 17])
def test_k_weighting_is_scipys_sosfilt_from_rest(length):
    samples = RNG.normal(0, 0.3, (length, 2)).astype(np.float32)
    expected = signal.sosfilt(lufs._SOS, samples, axis=0)
    assert np.allclose(lufs.k_weighted(samples), expected, rtol=0, atol=1e-6)


def test_upsampling_is_scipys_upfirdn_for_one_channel_and_for_rows():
    channel = RNG.normal(0, 0.3, 10_001).astype(np.float32)
    expected = signal.upfirdn(lufs._INTERPOLATOR, channel, up=4)
    assert dsp.upsample(lufs._INTERPOLATOR, channel, 4).shape == expected.shape
    assert np.allclose(dsp.upsample(lufs._INTERPOLATOR, channel, 4), expected, rtol=0, atol=1e-6)
    rows = RNG.normal(0, 0.3, (6, 60)).astype(np.float32)
    assert np.allclose(dsp.upsample(lufs._INTERPOLATOR, rows, 4),
                       signal.upfirdn(lufs._INTERPOLATOR, rows, up=4, axis=1), rtol=0, atol=1e-6)


@pytest.mark.parametrize("rate", [22_050, 44_100, 32_000, 24_000, 16_000, 96_000, 8_000])
def test_resampling_to_48k_is_scipys_resample_poly(rate):
    samples = RNG.normal(0, 0.3, rate + 13)
    common = math.gcd(rate, 48_000)
    expected = signal.resample_poly(samples, 48_000 // common, rate // common)
    got = dsp.resample_poly(samples, 48_000 // common, rate // common)
    assert got.shape == expected.shape
    assert np.allclose(got, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("ticks", [1, 2, 5, 20, 149, 150, 5000])
def test_held_dips_are_scipys_minimum_filter(ticks):
    values = RNG.normal(0, 5, 3000)
    expected = ndimage.minimum_filter1d(values, size=ticks + 1, origin=ticks // 2, mode="nearest")
    assert np.array_equal(dsp.minimum_filter1d(values, ticks + 1, ticks // 2), expected)


def test_a_worker_does_not_import_scipy():
    # scipy.signal costs ~75 MB in every worker process for these few routines.
    program = ("import sys; import ai_studio.generation.pipeline; "
               "sys.exit('scipy' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", program], check=False).returncode == 0
