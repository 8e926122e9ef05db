"""Shared pytest set-up: figures render off-screen (Agg) everywhere, doctests too."""

import matplotlib

matplotlib.use("Agg")


import pytest  # noqa: E402

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
