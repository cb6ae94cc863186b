#!/usr/bin/env python
"""The A/B comparison's cost and accuracy: the exact probability to be best (analytics.ab_testing,
numerical integration) against a seeded Monte Carlo estimate, the usual alternative, measured in
the same run.

Run by hand (it prints its figures; no database needed):

    .venv/bin/python bench/ab_testing.py                 # 2, 5 and 10 variants, 200,000 draws
    .venv/bin/python bench/ab_testing.py --draws 1000000 --repeat 5

For each group size: the median time of `compare()` (exact probabilities, credible intervals and
z-test) and of a Monte Carlo estimate of the probabilities alone (`--draws` draws per variant from
the same Beta posteriors, numpy), their ratio, and the largest difference between the two
estimates (the Monte Carlo error, about 1/sqrt(draws)). The variants' data are fixed: views
5,000-9,500 and CTA rates 3-6%.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics.ab_testing import Arm, compare


def arms(count: int) -> list[Arm]:
    return [Arm(key=index, views=5000 + 500 * index, clicks=int((5000 + 500 * index) * (0.03 + 0.003 * index)))
            for index in range(count)]


def monte_carlo(group: list[Arm], draws: int, seed: int = 15) -> np.ndarray:
    rng = np.random.default_rng(seed)
    samples = rng.beta([1 + arm.successes for arm in group], [1 + arm.views - arm.successes for arm in group],
                       size=(draws, len(group)))
    return np.bincount(samples.argmax(axis=1), minlength=len(group)) / draws


def median_seconds(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--draws", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    compare(arms(2))  # warm up scipy
    print(f"{'variants':>8} {'exact compare() s':>18} {'Monte Carlo s (baseline)':>25} {'ratio':>7} "
          f"{'max |exact - MC|':>17}")
    for count in (2, 5, 10):
        group = arms(count)
        exact_seconds = median_seconds(lambda group=group: compare(group), options.repeat)
        sampled_seconds = median_seconds(lambda group=group: monte_carlo(group, options.draws), options.repeat)
        exact = np.array([arm.probability_best for arm in compare(group).arms])
        error = float(np.abs(exact - monte_carlo(group, options.draws)).max())
        print(f"{count:>8} {exact_seconds:>18.4f} {sampled_seconds:>25.4f} {exact_seconds / sampled_seconds:>7.2f} "
              f"{error:>17.5f}")


if __name__ == "__main__":
    main()
