import contextlib
import logging
import os

import numpy as np
import pytest


def make_data(m, n_x, seed=0, dtype=np.float64):
    """A seeded random problem: X (m, n_x), y (m,) 0/1 with both classes present."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n_x)).astype(dtype)
    y = (X[:, 0] + 0.5 * rng.standard_normal(m) > 0).astype(np.int64)
    y[0], y[1] = 0, 1
    return X, y


def at_line_of(filename):
    """The ``filename`` a warning must point at to be at the caller's line: the test's own
    ``__file__``. Under ``make mutate`` mutmut's trampoline stands between a test and each function
    it mutates, so a warning that correctly skips npdnn's frames lands on the trampoline; there
    the expected name is the trampoline's, and every other assertion of the test still runs."""
    if "MUTANT_UNDER_TEST" in os.environ:  # set by mutmut in every run it makes, "" in the clean one
        return os.path.join(os.path.dirname(__import__("mutmut").__file__), "mutation", "trampoline.py")
    return filename


@pytest.fixture
def data():
    return make_data(40, 6)


# The distributed tests' marks: slow, kernel-dependent, and dask's own deprecations and shutdown
# notices are not ours to fail on.
DASK_MARKS = [
    pytest.mark.slow,
    pytest.mark.numerics,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning:distributed"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def local_cluster(n_workers=2, processes=True, memory_limit="1GiB", silence_logs=logging.ERROR, **kw):
    """The distributed tests' cluster: a ``distributed.LocalCluster`` of 2 worker processes of one
    thread each, as ``--workers 2`` starts it: no dashboard, its HTTP server on the loopback address
    (imported here, so that collecting needs no dask)."""
    from npdnn.cli.train_cluster import local_cluster as cli_cluster

    return cli_cluster(n_workers, processes=processes, memory_limit=memory_limit, silence_logs=silence_logs, **kw)


@contextlib.contextmanager
def cluster_client(**kw):
    """A client of a fresh :func:`local_cluster`; both closed on exit."""
    import distributed

    cluster = local_cluster(**kw)
    try:
        with distributed.Client(cluster) as c:
            yield c
    finally:
        try:
            cluster.close()
        except KeyError as e:
            # distributed's own race while closing: its worker-status watcher looks up a worker the
            # scheduler already forgot (KeyError 'tcp://127.0.0.1:36293' in LocalCluster._update_worker_status,
            # at the teardown of test_distributed_faults.py's cluster, whose tests kill and restart
            # workers; seen once in a clean-clone CI run, 2026-12-07). Any other error is raised.
            if not str(e).strip("'").startswith(("tcp://", "inproc://")):
                raise


# Mutation testing (`make mutate`, docs/testing.md). mutmut runs, for each mutant, the tests that
# reached the mutated function and names the mutant in MUTANT_UNDER_TEST (outside mutmut this hook
# does nothing). A mutant of the model core is judged without the tests below: they reach the core
# through DNNClassifier (the estimator's tests, and tests named for it), or take seconds each where
# a core test of a small X checks the same thing. A test left out can only let a mutant survive,
# never hide one, so the score is a lower bound for the whole suite; the estimator's and the CSV
# reader's mutants keep every test.
# The estimator is estimator.py and the modules it mixes in, plus its glue in l2_search.py (mutmut
# names a module-level function's mutants module.x_name__mutmut_N; l2_search's own search stays core).
MUTATION_EDGE_MODULES = (
    "npdnn.sklearn.estimator.",
    "npdnn.sklearn.estimator_inputs.",
    "npdnn.sklearn.estimator_labels.",
    "npdnn.sklearn.estimator_setup.",
    "npdnn.sklearn.estimator_attributes.",
    "npdnn.sklearn.l2_search.x_searched_l2__",
    "npdnn.sklearn.standardization.",
    "npdnn.cli.datasets.",
    "npdnn.cli.labels.",
    "npdnn.cli.csv_header.",
)
LEFT_OUT_FOR_CORE_MUTANTS = (
    "tests/test_estimator.py::",
    "tests/test_estimator_surface.py::",
    "tests/test_diagnostics.py::",
    "tests/test_layouts.py::test_fit_does_not_copy_X",
)


def _left_out_for_core_mutants(item):
    return item.nodeid.startswith(LEFT_OUT_FOR_CORE_MUTANTS) or "estimator" in getattr(item, "originalname", "")


def pytest_collection_modifyitems(config, items):
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    if "__mutmut_" not in mutant or mutant.startswith(MUTATION_EDGE_MODULES):
        return
    left_out = [item for item in items if _left_out_for_core_mutants(item)]
    if left_out and len(left_out) < len(items):
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not _left_out_for_core_mutants(item)]
