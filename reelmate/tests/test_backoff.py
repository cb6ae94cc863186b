"""Retry waits: exponential, capped, and spread out so clients that failed together retry apart."""
import pytest

from reelmate.backoff import jittered_backoff


@pytest.mark.parametrize(("attempt", "ceiling"), [(1, 5.0), (2, 10.0), (3, 20.0), (4, 40.0), (7, 60.0), (30, 60.0)])
def test_each_wait_is_half_to_all_of_the_capped_exponential_delay(attempt, ceiling):
    waits = [jittered_backoff(attempt, base=5.0, cap=60.0) for _ in range(200)]
    assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
    assert len(set(waits)) > 1  # jittered, not one fixed value


def test_a_fixed_schedule_step_is_jittered_within_the_share_asked_for():
    from reelmate.backoff import jittered

    waits = [jittered(300.0, low=0.8) for _ in range(200)]
    assert all(240.0 <= wait <= 300.0 for wait in waits)
    assert len(set(waits)) > 1
