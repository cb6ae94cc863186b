"""Comparing the variants of an A/B test on their call-to-action click-through rate (plain Python).

The question: is the data enough to say one variant's viewers click its call to action more often
than every other variant's, and which one?

Method
------
Each variant is a binomial experiment: ``views`` trials, ``clicks`` successes (CTA clicks, capped
at the views: the rollups count click events, and a viewer who clicks twice must not push the rate
over 1). Its click-through rate ``p`` gets a uniform prior, Beta(1, 1), so its posterior is
Beta(1 + clicks, 1 + views - clicks).

* **Probability to be best**: for each variant ``i``, P(p_i > p_j for every other j) =
  integral of f_i(x) * prod_{j != i} F_j(x) dx, where f is a posterior density and F a posterior
  distribution function. It is computed by numerical integration (Simpson's rule on a grid that
  samples every posterior finely over all but 1e-12 of its mass), so the figures match the
  closed form for two variants to about 1e-7 and are the same at every call: no sampling noise,
  no seed.
* **Frequentist check**: a two-proportion z-test (pooled standard error, two-sided) of the leader
  (highest probability to be best) against the runner-up (highest observed rate among the others),
  with its p-value.
* **Decision**: a ``leader`` is named only when every variant has at least ``min_views`` views, the
  leader's probability to be best is at least ``threshold`` and the z-test's p-value is below
  ``alpha``; otherwise the status says why: ``insufficient_data`` (and which variants need how many
  more views) or ``no_clear_leader``. Both criteria, because with two equal variants either one can
  reach a 0.95 probability to be best, so that rule alone names a false leader about 10% of the time
  at a single look; the z-test's two-sided 0.05 brings it to about 5% (``analytics/tests/test_ab_testing.py``
  measures it on simulated A/A tests).

Caveat, stated in the result: looking at the figures every day and stopping as soon as a leader
appears ("peeking") raises the chance of naming the wrong one above 1 - threshold; the minimum
sample guards the worst of it, not all of it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

# scipy is imported where it is used: the worker processes load this app too, and scipy would cost
# each of them ~75 MB for a comparison only the web side makes.

MIN_VIEWS_PER_VARIANT = 100
PROBABILITY_TO_LEAD = 0.95
ALPHA = 0.05
CREDIBLE_MASS = 0.95
_TAIL = 1e-12  # posterior mass left outside the integration range
_GRID_POINTS = 601  # per arm

INSUFFICIENT_DATA, NO_CLEAR_LEADER, LEADER = "insufficient_data", "no_clear_leader", "leader"

METHOD = (
    "CTA click-through rate (CTA clicks / views, clicks capped at views). Each variant's rate gets a Beta(1,1) "
    "prior, so its posterior is Beta(1 + clicks, 1 + views - clicks); the probability that each variant's rate "
    "is the highest of all is computed by numerical integration (exact, no sampling). A leader is named only when "
    "every variant has at least {min_views} views, one variant's probability to be best is at least "
    "{threshold:g}, and a two-proportion z-test (pooled, two-sided) of it against the runner-up gives p < {alpha:g}. "
    "Checking repeatedly and stopping at the first leader raises the chance of a wrong call."
)


@dataclass(frozen=True)
class Arm:
    """One variant's data: a key the caller knows it by, its views and its CTA clicks."""

    key: object
    views: int
    clicks: int

    @property
    def successes(self) -> int:
        return max(0, min(self.clicks, self.views))

    @property
    def rate(self) -> float:
        return self.successes / self.views if self.views else 0.0


@dataclass(frozen=True)
class ArmResult:
    key: object
    views: int
    clicks: int
    rate: float
    posterior_mean: float
    credible_interval: tuple[float, float]
    probability_best: float


@dataclass(frozen=True)
class ZTest:
    leader: object
    runner_up: object
    difference: float  # leader's rate minus the runner-up's
    z: float | None  # None when both rates are 0 or 1 (no variance: nothing to test)
    p_value: float | None


@dataclass(frozen=True)
class Missing:
    key: object
    views: int
    views_needed: int


@dataclass(frozen=True)
class Comparison:
    status: str
    leader: object | None
    reason: str
    min_views: int
    threshold: float
    alpha: float
    arms: list[ArmResult]
    test: ZTest | None
    missing: list[Missing] = field(default_factory=list)

    @property
    def method(self) -> str:
        return METHOD.format(min_views=self.min_views, threshold=self.threshold, alpha=self.alpha)


def _posterior(arm: Arm):
    from scipy import stats

    return stats.beta(1 + arm.successes, 1 + arm.views - arm.successes)


def probabilities_best(arms: list[Arm]) -> list[float]:
    """P(arm i's rate is the highest), for each arm, under Beta(1,1) priors; they sum to 1.

    Integral of f_i(x) * prod_{j != i} F_j(x) over one grid shared by all arms: the union of
    `_GRID_POINTS` points across each arm's posterior range (all but 1e-12 of its mass), so every
    posterior, however narrow, is sampled finely where its density and its distribution function
    change; integrated with Simpson's rule.
    """
    from scipy import integrate
    if len(arms) == 1:
        return [1.0]
    posteriors = [_posterior(arm) for arm in arms]
    grid = np.unique(np.concatenate([
        np.linspace(posterior.ppf(_TAIL), posterior.isf(_TAIL), _GRID_POINTS) for posterior in posteriors]))
    densities = np.array([posterior.pdf(grid) for posterior in posteriors])
    distributions = np.array([posterior.cdf(grid) for posterior in posteriors])
    result = []
    for i in range(len(arms)):
        integrand = densities[i] * np.prod(np.delete(distributions, i, axis=0), axis=0)
        result.append(float(min(max(integrate.simpson(integrand, x=grid), 0.0), 1.0)))
    total = sum(result)
    return [value / total for value in result] if total > 0 else [1.0 / len(arms)] * len(arms)


def two_proportion_z_test(a: Arm, b: Arm) -> tuple[float | None, float | None]:
    """(z, two-sided p-value) for rate(a) - rate(b), with the pooled standard error."""
    from scipy import stats
    if not a.views or not b.views:
        return None, None
    pooled = (a.successes + b.successes) / (a.views + b.views)
    variance = pooled * (1 - pooled) * (1 / a.views + 1 / b.views)
    if variance <= 0:
        return None, None
    z = (a.rate - b.rate) / math.sqrt(variance)
    return z, float(2 * stats.norm.sf(abs(z)))


def compare(arms: list[Arm], *, min_views: int = MIN_VIEWS_PER_VARIANT,
            threshold: float = PROBABILITY_TO_LEAD, alpha: float = ALPHA) -> Comparison:
    """Compare two or more variants on CTA click-through; see the module docstring for the method."""
    if len(arms) < 2:
        raise ValueError("an A/B comparison needs at least two variants")
    probabilities = probabilities_best(arms)
    results = []
    for arm, probability in zip(arms, probabilities, strict=True):
        posterior = _posterior(arm)
        low, high = posterior.interval(CREDIBLE_MASS)
        results.append(ArmResult(key=arm.key, views=arm.views, clicks=arm.clicks, rate=round(arm.rate, 6),
                                 posterior_mean=round(float(posterior.mean()), 6),
                                 credible_interval=(round(float(low), 6), round(float(high), 6)),
                                 probability_best=round(probability, 6)))
    best = max(range(len(arms)), key=lambda index: (probabilities[index], arms[index].rate, -index))
    runner_up = max((index for index in range(len(arms)) if index != best),
                    key=lambda index: (arms[index].rate, probabilities[index], -index))
    z, p_value = two_proportion_z_test(arms[best], arms[runner_up])
    test = ZTest(leader=arms[best].key, runner_up=arms[runner_up].key,
                 difference=round(arms[best].rate - arms[runner_up].rate, 6),
                 z=None if z is None else round(z, 4), p_value=None if p_value is None else round(p_value, 6))
    common = {"min_views": min_views, "threshold": threshold, "alpha": alpha, "arms": results, "test": test}

    missing = [Missing(key=arm.key, views=arm.views, views_needed=min_views - arm.views)
               for arm in arms if arm.views < min_views]
    if missing:
        return Comparison(status=INSUFFICIENT_DATA, leader=None, missing=missing, reason=(
            f"{len(missing)} of {len(arms)} variants have fewer than {min_views} views; a leader is named only "
            f"when every variant has at least {min_views}."), **common)
    if probabilities[best] < threshold:
        return Comparison(status=NO_CLEAR_LEADER, leader=None, reason=(
            f"The most likely leader has a {probabilities[best]:.1%} probability to be best; naming one needs "
            f"{threshold:.0%}. The variants may perform alike, or need more views to tell apart."), **common)
    if p_value is None or p_value >= alpha:
        shown = "cannot be computed (no variance)" if p_value is None else f"is {p_value:.3g}"
        return Comparison(status=NO_CLEAR_LEADER, leader=None, reason=(
            f"The most likely leader has a {probabilities[best]:.1%} probability to be best, but the z-test against "
            f"the runner-up {shown}; naming a leader also needs p < {alpha:g}."), **common)
    return Comparison(status=LEADER, leader=arms[best].key, reason=(
        f"{probabilities[best]:.1%} probability to have the highest CTA click-through rate "
        f"(at least {threshold:.0%} required), z-test against the runner-up p = {p_value:.3g} (below {alpha:g}), "
        f"every variant with at least {min_views} views."), **common)
