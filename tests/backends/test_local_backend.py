"""LocalBackend: ordered results, captured errors, streaming, and retries after a worker dies."""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

from tests.backends import jobs
from tsautoml.backends import Failure, LocalBackend, make_backend
from tsautoml.exceptions import ConfigError


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_map_keeps_order_and_captures_errors(n_jobs: int) -> None:
    results = LocalBackend(n_jobs).map(jobs.square_or_raise, list(range(6)))
    assert results[:3] == [0, 1, 4] and results[4:] == [16, 25]
    assert results[3] == Failure("ValueError: three is not allowed")


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_imap_unordered_yields_every_index_once(n_jobs: int) -> None:
    pairs = list(LocalBackend(n_jobs).imap_unordered(jobs.square_or_raise, list(range(7))))
    assert sorted(index for index, _ in pairs) == list(range(7))
    assert dict(pairs)[5] == 25 and isinstance(dict(pairs)[3], Failure)


def test_empty_items_give_nothing() -> None:
    assert LocalBackend(2).map(abs, []) == []


@pytest.mark.slow  # joblib stops its workers after the error: new ones import tsautoml
def test_an_item_that_cannot_be_sent_fails_alone() -> None:
    results = LocalBackend(2).map(abs, [-1, threading.Lock(), -2])
    assert results[0] == 1 and results[2] == 2
    assert isinstance(results[1], Failure) and "pickle" in results[1].error


def test_put_returns_the_object_and_items_may_hold_it() -> None:
    array = np.arange(10.0)
    with LocalBackend(2) as backend:
        handle = backend.put(array)
        assert handle is array
        assert backend.map(jobs.scaled_sum, [(i, handle) for i in range(3)]) == [0.0, 45.0, 90.0]


@pytest.mark.slow  # every lost worker is replaced by a new process that imports tsautoml
def test_a_killed_worker_is_retried_and_finished_items_are_kept(tmp_path: Path) -> None:
    items = [(i, str(tmp_path / "marker") if i == 2 else "") for i in range(6)]
    assert LocalBackend(2).map(jobs.exit_once, items) == [i * i for i in range(6)]
    assert (tmp_path / "marker").exists()


@pytest.mark.slow
def test_an_item_killing_its_worker_twice_fails_alone() -> None:
    items = [(i, i == 1) for i in range(6)]
    results = LocalBackend(2).map(jobs.exit_always, items)
    assert isinstance(results[1], Failure) and "worker lost twice" in results[1].error
    assert results[:1] + results[2:] == [0, 4, 9, 16, 25]


def test_make_backend_builds_local_backends_and_names_the_choices() -> None:
    assert isinstance(make_backend("joblib", 2), LocalBackend)
    assert make_backend("local", 1).n_workers == 1
    with pytest.raises(ConfigError, match=r"'spark'.*'joblib', 'local', 'dask'"):
        make_backend("spark", 1)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_an_item_stuck_past_the_deadline_is_abandoned(n_jobs: int) -> None:
    import time

    start = time.time()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = LocalBackend(n_jobs).map(jobs.nap, [0.05, 60.0, 0.05], deadline=start + 3)
        again = LocalBackend(n_jobs).map(jobs.square_or_raise, [2, 4])
    assert time.time() - start < 6
    assert not [w for w in caught if "worker stopped" in str(w.message)]  # we killed it: no alarm for the user
    assert out[0] == 0.05
    assert isinstance(out[1], Failure) and out[1].timed_out and out[1].status == "timeout"
    if n_jobs == 1:  # one after the other here: the item after the stuck one never started
        assert isinstance(out[2], Failure) and out[2].timed_out
    else:
        assert out[2] == 0.05
    assert again == [4, 16]  # the next call has workers again


def test_without_a_deadline_nothing_is_abandoned() -> None:
    assert LocalBackend(2).map(jobs.nap, [0.2, 0.2], deadline=None) == [0.2, 0.2]
