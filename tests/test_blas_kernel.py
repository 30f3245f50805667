"""The numerics reruns are only worth something if OpenBLAS takes the kernel and thread
count they ask for: OPENBLAS_CORETYPE and OPENBLAS_NUM_THREADS (set by `make test-numerics`)
must show in what the loaded BLAS reports."""

import os

import pytest
from threadpoolctl import threadpool_info

pytestmark = pytest.mark.numerics


def _openblas():
    return [i for i in threadpool_info() if i.get("internal_api") == "openblas"]


@pytest.mark.skipif("OPENBLAS_CORETYPE" not in os.environ, reason="OPENBLAS_CORETYPE not set: the machine's own kernel")
def test_the_requested_kernel_is_the_one_loaded():
    found = {i["architecture"].lower() for i in _openblas()}
    assert found == {os.environ["OPENBLAS_CORETYPE"].lower()}, found


@pytest.mark.skipif("OPENBLAS_NUM_THREADS" not in os.environ, reason="OPENBLAS_NUM_THREADS not set")
def test_the_requested_thread_count_is_the_one_used():
    wanted = min(int(os.environ["OPENBLAS_NUM_THREADS"]), os.cpu_count())
    assert {i["num_threads"] for i in _openblas()} == {wanted}
