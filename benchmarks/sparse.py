"""Peak memory and time of DNNClassifier on scipy sparse X against the same X dense (issue 25).

Each case runs in a fresh subprocess: X is built first, then the process's peak RSS (VmHWM) is
reset (Linux ``/proc/self/clear_refs``), so the peak reported is what ``fit`` (then ``predict_proba``)
added on top of X, the interpreter and the libraries. The dense column trains on
``X.toarray()`` (built before the reset too); it is skipped where that would not fit in memory.
Both fits give bit-identical parameters (tests/test_sparse.py), so the columns compare the
same arithmetic on two inputs.

Run: ``.venv/bin/python benchmarks/sparse.py`` (prints a Markdown table; ``--big`` adds the
200,000 x 5,000 case, whose dense form is 4 GB, sparse only).
"""

import subprocess
import sys

CHILD = r"""
import sys, time, warnings
import numpy as np, scipy.sparse as sp
from npdnn import DNNClassifier

def hwm():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) * 1024

m, n_x, density, form = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
rng = np.random.default_rng(0)
X = sp.random(m, n_x, density=density, format="csr", dtype=np.float32, random_state=rng)
y = (np.asarray(X[:, :20].sum(axis=1)).ravel() > 0) ^ (rng.random(m) < 0.3)
if form == "dense":
    X = X.toarray()
est = DNNClassifier(hidden_layer_sizes=(32,), epochs=2, batch_size=256, random_state=0)
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
base = hwm()
t = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    est.fit(X, y)
fit_s, fit_peak = time.perf_counter() - t, hwm() - base
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
base = hwm()
t = time.perf_counter()
est.predict_proba(X)
print(fit_s, fit_peak, time.perf_counter() - t, hwm() - base)
"""

CASES = [(20_000, 1_000, 0.01), (60_000, 2_000, 0.002)]
BIG = (200_000, 5_000, 0.001)


def run(m, n_x, density, form):
    out = subprocess.run([sys.executable, "-c", CHILD, str(m), str(n_x), str(density), form], capture_output=True)
    if out.returncode:
        raise RuntimeError(out.stderr.decode()[-2000:])
    return [float(v) for v in out.stdout.split()]


def main():
    cases = [(*c, True) for c in CASES] + ([(*BIG, False)] if "--big" in sys.argv else [])
    print("| X (float32) | density | dense X | form | fit s (2 epochs) | fit peak MB | predict s | predict peak MB |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for m, n_x, density, with_dense in cases:
        for form in ("sparse", "dense") if with_dense else ("sparse",):
            fit_s, fit_peak, pred_s, pred_peak = run(m, n_x, density, form)
            print(
                f"| {m:,} x {n_x:,} | {density} | {m * n_x * 4 / 1e6:,.0f} MB | {form} | {fit_s:.2f} | "
                f"{fit_peak / 1e6:,.0f} | {pred_s:.2f} | {pred_peak / 1e6:,.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
