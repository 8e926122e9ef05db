"""Shared pytest set-up: figures render off-screen (Agg) everywhere, doctests too."""

import matplotlib

matplotlib.use("Agg")


import os  # noqa: E402

import pytest  # noqa: E402

#: Each test process may use at most this much memory (GiB; the environment
#: variable DFDX_TEST_MEMORY_GB changes it): an input that makes dfdx allocate
#: without bound fails its own test with a MemoryError instead of taking the
#: machine (the suite was once killed at 24 GB). Child processes inherit it;
#: the browser tests lift it for Chromium, which reserves more address space.
TEST_MEMORY_GB = float(os.environ.get("DFDX_TEST_MEMORY_GB", "4"))


def pytest_configure(config):
    try:
        import resource
    except ImportError:  # not on this platform: no cap
        return
    cap = int(TEST_MEMORY_GB * 2**30)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY or soft > cap:
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


#: The time limit every test gets (dfdx's default is 5 s): a test must not
#: depend on the machine's speed, and a busy 2-core machine runs the suite's
#: heavier symbolic checks several times slower. Tests of the limit itself set
#: their own (dfdx.set_time_limit) inside the test.
TEST_TIME_LIMIT = 20.0


@pytest.fixture(autouse=True)
def _generous_time_limit():
    import dfdx

    old = dfdx.set_time_limit(TEST_TIME_LIMIT)
    yield
    dfdx.set_time_limit(old)
