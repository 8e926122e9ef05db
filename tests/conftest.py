"""Fixtures shared by the test modules."""

from __future__ import annotations

import pytest

import dfdx


@pytest.fixture
def roomy_time_limit():
    """A gradient check is judged on what it finds, not on how fast this
    machine is: a full check of 200 elements is about 400 calls, and under
    load (CI beside another test run) a call took 15 ms, so the 5 s limit
    refused the check (the refusal itself:
    test_slow_full_check_is_refused_within_the_time_limit)."""
    old = dfdx.set_time_limit(120)
    yield
    dfdx.set_time_limit(old)
