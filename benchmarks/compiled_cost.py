"""What the compiled step (npdnn[fast]) costs before it pays: import and first call.

    .venv/bin/python benchmarks/compiled_cost.py

Three fresh processes share an empty numba cache folder (``NUMBA_CACHE_DIR``): the first
compiles the kernels and writes them there, the next two load them. Each reports the
time to ``import npdnn`` (NumPy only), to import the compiled step (numba, SciPy's BLAS),
the first ``fit`` of one float32 batch (compiling or loading the kernels) and a second
such fit (no compilation left: the plain cost of a tiny fit).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

CHILD = """
import json, time
t0 = time.perf_counter()
import numpy as np
import npdnn
t1 = time.perf_counter()
import npdnn.compiled.step
t2 = time.perf_counter()
X = np.random.default_rng(0).standard_normal((256, 20)).astype(np.float32)
y = X[:, 0] > 0
kw = dict(optimizer="adam", epochs=1, batch_size=256, compiled=True, diagnostics=False)
npdnn.Network([20, 64, 32, 1], dtype=np.float32, seed=0).fit(X, y, **kw)
t3 = time.perf_counter()
npdnn.Network([20, 64, 32, 1], dtype=np.float32, seed=0).fit(X, y, **kw)
t4 = time.perf_counter()
print(json.dumps({"import npdnn": t1 - t0, "import compiled step": t2 - t1, "first fit": t3 - t2,
                  "second fit": t4 - t3}))
"""


def main():
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for label in ("cold cache (compiles)", "warm cache", "warm cache"):
            load = os.getloadavg()[0]
            out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True)
            rows.append((label, json.loads(out.stdout.strip().splitlines()[-1]), load))
    keys = list(rows[0][1])
    print(time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "seconds, float32, [20, 64, 32, 1] one batch of 256")
    print("| process | " + " | ".join(keys) + " | load |")
    print("|---|" + "---|" * len(keys) + "---|")
    for label, r, load in rows:
        print(f"| {label} | " + " | ".join(f"{r[k]:.3f}" for k in keys) + f" | {load:.1f} |")


if __name__ == "__main__":
    sys.exit(main())
