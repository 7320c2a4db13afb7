"""A two-worker Dask cluster shared by the module (starting one costs a few seconds)."""
from __future__ import annotations

import logging

import pytest


@pytest.fixture(scope="module")
def scheduler() -> str:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0",
                                  silence_logs=logging.ERROR) as cluster:
        yield cluster.scheduler_address
