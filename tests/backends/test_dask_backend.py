"""DaskBackend on a real two-worker LocalCluster: same results as LocalBackend, retries, put."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.backends import jobs
from tsautoml.backends import DaskBackend, Failure, LocalBackend, make_backend
from tsautoml.exceptions import ConfigError

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def started() -> Iterator[tuple[DaskBackend, str]]:
    """A two-worker local cluster and what it printed when it started."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        backend = DaskBackend(n_workers=2)
    with backend:
        yield backend, printed.getvalue()


@pytest.fixture
def dask(started: tuple[DaskBackend, str]) -> DaskBackend:
    return started[0]


def test_starting_a_local_cluster_prints_where_to_watch_it(
    started: tuple[DaskBackend, str],
) -> None:
    backend, printed = started
    assert backend.n_workers == 2
    if backend.dashboard_link is None:  # bokeh is not installed: the scheduler address instead
        assert (
            printed
            == f"Dask scheduler: {backend.scheduler_address} (install bokeh for a dashboard)\n"
        )
    else:
        assert printed == f"Dask dashboard: {backend.dashboard_link}\n"


def test_map_matches_local_backend_in_order_and_failures(dask: DaskBackend) -> None:
    items = list(range(6))
    expected = LocalBackend(1).map(jobs.square_or_raise, items)
    assert dask.map(jobs.square_or_raise, items) == expected
    assert expected[3] == Failure("ValueError: three is not allowed")
    assert dask.map(abs, []) == []


def test_imap_unordered_yields_every_index_once(dask: DaskBackend) -> None:
    pairs = list(dask.imap_unordered(jobs.square_or_raise, list(range(9))))
    assert sorted(index for index, _ in pairs) == list(range(9))
    assert dict(pairs)[8] == 64 and isinstance(dict(pairs)[3], Failure)


def test_make_backend_connects_to_a_running_scheduler(dask: DaskBackend) -> None:
    # before the tests that kill workers: their replacements take a moment to join
    with make_backend("dask", 1, dask.scheduler_address) as connected:
        assert isinstance(connected, DaskBackend) and connected.n_workers == 1
        assert connected.map(abs, [-2]) == [2]
    with DaskBackend(dask.scheduler_address) as connected:
        assert connected.n_workers == 2
    assert dask.map(abs, [-3]) == [3]  # closing a client leaves the cluster running


def test_an_item_that_cannot_be_sent_fails_alone(dask: DaskBackend) -> None:
    results = dask.map(abs, [-1, threading.Lock(), -2])
    assert results[0] == 1 and results[2] == 2
    assert isinstance(results[1], Failure) and "serialize" in results[1].error


def test_put_ships_an_array_once_for_every_item(dask: DaskBackend) -> None:
    array = np.random.default_rng(0).integers(0, 100, size=200_000).astype(float)  # exact sums
    handle = dask.put(array)
    items = [(i, handle) for i in range(4)]
    assert dask.map(jobs.scaled_sum, items) == LocalBackend(1).map(
        jobs.scaled_sum, [(i, array) for i in range(4)]
    )


def test_a_killed_worker_is_retried_and_finished_items_are_kept(
    dask: DaskBackend, tmp_path: Path
) -> None:
    items = [(i, str(tmp_path / "marker") if i == 2 else "") for i in range(6)]
    assert dask.map(jobs.exit_once, items) == [i * i for i in range(6)]
    assert (tmp_path / "marker").exists()


def test_an_item_killing_its_worker_twice_fails_alone(dask: DaskBackend) -> None:
    handle = dask.put(np.ones(3))  # scattered data must survive the workers dying
    results = dask.map(jobs.exit_always, [(i, i == 1) for i in range(6)])
    assert isinstance(results[1], Failure) and "worker lost twice" in results[1].error
    assert results[:1] + results[2:] == [0, 4, 9, 16, 25]
    assert dask.map(jobs.scaled_sum, [(2, handle)]) == [6.0]


def test_missing_extra_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ConfigError, match=r'pip install "tsautoml\[dask\]"'):
        DaskBackend()


def test_importing_tsautoml_does_not_import_dask() -> None:
    code = "import tsautoml, sys; assert 'distributed' not in sys.modules and 'dask' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_an_item_stuck_past_the_deadline_is_reported_timed_out(dask: DaskBackend) -> None:
    import time

    assert dask.map(jobs.nap, [0.0, 0.0]) == [0.0, 0.0]  # the workers have imported the job module
    start = time.time()
    [out] = dask.map(jobs.nap, [8.0], deadline=start + 2)  # the task finishes unseen on its worker
    assert time.time() - start < 5
    assert isinstance(out, Failure) and out.timed_out
