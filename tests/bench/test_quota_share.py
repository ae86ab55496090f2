"""The quota-share bench's own figures: what it calls the share, the first window and a window's fewest and most.

The bench runs by hand (a sandbox server and worker processes on the real clock); these tests keep its
pure counting honest so a share it reports means what its label says.
"""

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "quota_share.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_quota_share", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_a_full_quota_is_100_percent_and_the_first_windows_refusals_are_counted_apart(bench):
    # 10 calls per 1 s window, one every 0.1 s for 5 s; two refused in the first window, one later
    arrivals = [(i / 10, True) for i in range(51)] + [(0.05, False), (0.95, False), (3.02, False)]

    figures = bench.lane_figures(arrivals, count=10, period=1.0, first=0.0)

    assert figures["share_percent"] == pytest.approx(100.0)
    assert figures["refused_429_first_window"] == 2
    assert figures["refused_429_after_first_window"] == 1
    assert (figures["window_min"], figures["window_max"]) == (10, 10)


def test_a_gap_after_the_first_window_lowers_the_share_and_the_fewest_in_a_window(bench):
    # one call every 0.1 s, but none from 2.0 s to 2.5 s: the windows across the gap hold 5 to 6 calls
    arrivals = [(i / 10, True) for i in range(51) if not 20 < i < 25]

    figures = bench.lane_figures(arrivals, count=10, period=1.0, first=0.0)

    assert figures["share_percent"] == pytest.approx(90.0)  # 36 intervals over 4 s: 9 a window, not 10
    assert figures["window_min"] <= 6 and figures["window_max"] == 10


def test_a_scaled_budget_keeps_the_rate(bench):
    assert bench.scaled(((600, 60),), 6) == "100/10s"
    assert bench.scaled(((20, 10), (10_000, 3_600)), 1) == "20/10s, 10000/3600s"
