"""Does shuffling in spans (:func:`npdnn.train.batching.epoch_order` above
:data:`npdnn.train.batching.SHUFFLE_SPAN_BYTES`) change what training learns, against a
uniform permutation of the rows? (issue 13)

Above the span, X's rows are cut into blocks of 64 bytes of rows (16 float32 rows), the
blocks put in random order and that sequence shuffled uniformly ``span`` positions at a
time. Two rows of a block always share a span, so a batch holds more neighbouring rows
of X than under a uniform order; on data whose neighbouring rows are alike that makes
batches less representative. This script measures it where it matters most: a span that
is a thin share of the rows (m/47, the B network's ratio at 10^6 rows) and rows sorted
(by label: every block pure; by an informative feature).

Data: ``make_classification(n_features=20, n_informative=10, flip_y=0.01, class_sep=1)``,
``--rows`` training rows (float32) and ``--test-rows`` held-out rows drawn the same way.
Three orders of the training rows: random, sorted by label, sorted by the informative
feature most correlated with the label. Two shuffles, everything else equal: ``uniform``
(the default span, which holds the whole set: ``rng.permutation(m)``) and ``spans``
(``SHUFFLE_SPAN_BYTES`` monkeypatched to m/47 rows' worth). Training:
``Network([20, 64, 32, 1], dtype=float32, seed=s).fit(X, y, optimizer="adam",
batch_size=64, epochs=3, seed=s, diagnostics=False)`` for each seed s, the cells
interleaved (seed-major). Per cell: mean and sd over the seeds of the final training
loss, the test log-loss and the test accuracy; then spans - uniform per order with
the standard error of a two-sample difference (Welch).

Batch statistics (no training): on the sorted-by-label order, ``--stat-epochs`` epoch
orders of each setting: the variance of a batch's positive count (ratio spans/uniform)
and the mean number of pairs of rows of the same block per batch, next to the formulas
``1 + (b-1)(block-1)/(span-1)`` and ``b(b-1)/2 * (block-1)/(span-1)``.

Runs only while /tmp/s3/QUIET does not exist (waits otherwise). One BLAS thread::

    PYTHONPATH=src nice -n 19 .venv/bin/python benchmarks/shuffle_quality.py
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timezone  # noqa: E402

import numpy as np  # noqa: E402

import npdnn  # noqa: E402
from npdnn.train import batching  # noqa: E402

QUIET = "/tmp/s3/QUIET"
N_FEATURES = 20
LAYERS = [N_FEATURES, 64, 32, 1]
ORDERS = ("random", "by label", "by feature")
SHUFFLES = ("uniform", "spans")


def wait_quiet():
    """Sleep while the lead benchmarks (the file QUIET exists)."""
    if os.path.exists(QUIET):
        print(f"  ({QUIET} exists: waiting)", flush=True)
        while os.path.exists(QUIET):
            time.sleep(10)


def load():
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def make_data(m, m_test, seed=0):
    """``(X, y, X_test, y_test, feature, corr)``: float32 rows in random order; ``feature``
    the informative column most correlated with y (``corr``)."""
    from sklearn.datasets import make_classification

    # shuffle=False keeps the informative features in columns 0..9 (rows are permuted below)
    X, y = make_classification(
        n_samples=m + m_test,
        n_features=N_FEATURES,
        n_informative=10,
        n_redundant=2,
        flip_y=0.01,
        class_sep=1.0,
        shuffle=False,
        random_state=seed,
    )
    p = np.random.default_rng(seed).permutation(m + m_test)
    X, y = X[p].astype(np.float32), y[p].astype(np.int64)
    corr = [np.corrcoef(X[:m, j], y[:m])[0, 1] for j in range(10)]
    feature = int(np.argmax(np.abs(corr)))
    return X[:m], y[:m], X[m:], y[m:], feature, corr[feature]


def orders(X, y, feature):
    """Each row order of the training set, as a C-ordered copy."""
    by_label = np.argsort(y, kind="stable")
    by_feature = np.argsort(X[:, feature], kind="stable")
    return {"random": (X, y), "by label": (X[by_label], y[by_label]), "by feature": (X[by_feature], y[by_feature])}


@contextlib.contextmanager
def span_bytes(value):
    old = batching.SHUFFLE_SPAN_BYTES
    batching.SHUFFLE_SPAN_BYTES = value
    try:
        yield
    finally:
        batching.SHUFFLE_SPAN_BYTES = old


def log_loss(y, p):
    p = np.clip(p.astype(np.float64), 1e-15, 1 - 1e-15)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


def train(X, y, X_test, y_test, seed, epochs, batch):
    net = npdnn.Network(LAYERS, dtype=np.float32, seed=seed)
    t0 = time.perf_counter()
    history = net.fit(X, y, optimizer="adam", batch_size=batch, epochs=epochs, seed=seed, diagnostics=False)
    seconds = time.perf_counter() - t0
    p = net.predict_proba(X_test)
    return {
        "train loss": history["loss"][-1],
        "test log-loss": log_loss(y_test, p),
        "test accuracy": float(np.mean((p >= 0.5) == y_test)),
        "seconds": seconds,
    }


def batch_stats(y, span, block, b, epochs, seed):
    """(variance of a batch's positive count over all full batches, mean same-block pairs per batch)."""
    m = y.shape[0]
    nb = m // b
    rng = np.random.default_rng(seed)
    counts, pairs = [], 0
    for _ in range(epochs):
        order = batching.epoch_order(m, span, block, rng)[: nb * b].reshape(nb, b)
        counts.append(y[order].sum(axis=1))
        key = np.arange(nb)[:, None] * (m // block + 1) + order // block  # (batch, block) pairs
        c = np.unique(key, return_counts=True)[1]
        pairs += int((c * (c - 1) // 2).sum())
    return float(np.var(np.concatenate(counts))), pairs / (nb * epochs)


def mean_sd(values):
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--test-rows", type=int, default=50_000)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--span-share", type=float, default=47.0, help="span = rows / this")
    ap.add_argument("--stat-epochs", type=int, default=200)
    args = ap.parse_args(argv)
    m, b = args.rows, args.batch

    wait_quiet()
    print(f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, start: {load()}", flush=True)
    start = time.perf_counter()
    X, y, X_test, y_test, feature, corr = make_data(m, args.test_rows)
    data = orders(X, y, feature)
    itemsize = np.dtype(np.float32).itemsize
    span_rows = round(m / args.span_share)
    spans_bytes = span_rows * N_FEATURES * itemsize
    uniform_plan = batching.shuffle_plan(m, b, N_FEATURES, np.float32)
    with span_bytes(spans_bytes):
        spans_plan = batching.shuffle_plan(m, b, N_FEATURES, np.float32)
    if uniform_plan[0] < m:
        raise SystemExit(f"the default span {uniform_plan[0]} < m = {m}: 'uniform' would not be uniform")
    if spans_plan[0] >= m:
        raise SystemExit(f"SHUFFLE_SPAN_BYTES = {spans_bytes} leaves the span {spans_plan[0]} >= m = {m}")
    span, block = spans_plan
    print(
        f"m = {m:,} training rows x {N_FEATURES} float32 (positives {y.mean():.4f}), {args.test_rows:,} test rows; "
        f"'by feature' sorts by column {feature} (corr with y {corr:+.3f})\n"
        f"uniform: span {uniform_plan[0]:,} (rng.permutation); spans: SHUFFLE_SPAN_BYTES = {spans_bytes:,} -> "
        f"span {span:,} rows (m/{m / span:.1f}), block {block} rows\n"
        f"fit: Network({LAYERS}, float32, seed=s).fit(adam, batch_size={b}, epochs={args.epochs}, seed=s), "
        f"s = 0..{args.seeds - 1}, seed-major",
        flush=True,
    )

    results = {(o, s): [] for o in ORDERS for s in SHUFFLES}
    for seed in range(args.seeds):
        for o in ORDERS:
            # the two shuffles alternate which goes first, seed by seed
            for s in SHUFFLES if seed % 2 == 0 else SHUFFLES[::-1]:
                wait_quiet()
                Xo, yo = data[o]
                with span_bytes(spans_bytes) if s == "spans" else contextlib.nullcontext():
                    results[o, s].append(train(Xo, yo, X_test, y_test, seed, args.epochs, b))

    metrics = ("train loss", "test log-loss", "test accuracy")
    print(f"\n{'order':<11} {'shuffle':<8} " + " ".join(f"{k + ' (sd)':>31}" for k in metrics) + f" {'s/fit':>6}")
    for o in ORDERS:
        for s in SHUFFLES:
            cells = []
            for k in metrics:
                mu, sd = mean_sd([r[k] for r in results[o, s]])
                cells.append(f"{mu:.5f} ({sd:.5f})")
            secs = statistics.fmean(r["seconds"] for r in results[o, s])
            print(f"{o:<11} {s:<8} " + " ".join(f"{c:>31}" for c in cells) + f" {secs:>6.2f}")
        cells = []
        for k in metrics:
            a = [r[k] for r in results[o, "spans"]]
            u = [r[k] for r in results[o, "uniform"]]
            d = statistics.fmean(a) - statistics.fmean(u)
            se = math.sqrt(statistics.variance(a) / len(a) + statistics.variance(u) / len(u)) if len(a) > 1 else 0.0
            cells.append(f"{d:+.5f} +- {se:.5f} ({d / se if se else 0.0:+.1f} se)")
        print(f"{'':<11} {'s - u':<8} " + " ".join(f"{c:>31}" for c in cells))

    # Batch statistics on the sorted-by-label order: no training.
    y_sorted = data["by label"][1]
    var_u, pairs_u = batch_stats(y_sorted, m, block, b, args.stat_epochs, 1)
    var_s, pairs_s = batch_stats(y_sorted, span, block, b, args.stat_epochs, 1)
    p = y_sorted.mean()
    # The same with the finite-population terms: two rows of a batch are of one block with probability
    # q (correlation 1 when blocks are pure), else of two blocks drawn without replacement from m/block
    # (correlation -1/(m/block - 1)); a uniform order's two rows: -1/(m-1). And with the last span
    # (m mod span rows, whole batches here) as short as it is: q per batch, averaged over the batches.
    q = (block - 1) / (span - 1)
    lens = np.minimum(span, m - np.arange(0, m // b * b, b) // span * span)  # (batches,) its span's rows
    q_i = (block - 1) / (lens - 1)
    exact = np.mean(1 + (b - 1) * (q_i - (1 - q_i) / (m / block - 1))) / (1 - (b - 1) / (m - 1))
    print(
        f"\nbatch statistics, sorted by label, {args.stat_epochs} epochs x {m // b} batches of {b} per setting:\n"
        f"  variance of a batch's positive count: uniform {var_u:.3f} (b p(1-p) = {b * p * (1 - p):.3f}), "
        f"spans {var_s:.3f}\n"
        f"  ratio spans/uniform {var_s / var_u:.4f}; formula 1 + (b-1)(block-1)/(span-1) = "
        f"{1 + (b - 1) * q:.4f} ({exact:.4f} with the finite-population terms and the last span of "
        f"{lens[-1]} rows)\n"
        f"  same-block pairs per batch: uniform {pairs_u:.3f} (b(b-1)/2 (block-1)/(m-1) = "
        f"{b * (b - 1) / 2 * (block - 1) / (m - 1):.3f}), spans {pairs_s:.3f} "
        f"(b(b-1)/2 (block-1)/(span-1) = {b * (b - 1) / 2 * q:.3f}; {b * (b - 1) / 2 * q_i.mean():.3f} "
        f"with the last span)"
    )
    print(
        f"\n{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, end: {load()}; {time.perf_counter() - start:.0f} s in all",
        flush=True,
    )


if __name__ == "__main__":
    main()
