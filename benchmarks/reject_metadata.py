"""Time and peak memory to reject a model file whose metadata is ~4 MiB (the cap),
for each of the shapes in tests/test_edited_files.py (issue 27: < 1 s, < 100 MB).

Each shape runs in a fresh subprocess: the peak is that process's VmHWM, reset after the
imports (Linux ``/proc/self/clear_refs``), minus its RSS then: the interpreter, NumPy
and scikit-learn do not count.
Run: ``.venv/bin/python benchmarks/reject_metadata.py`` (prints a Markdown table).
"""

import os
import subprocess
import sys
import tempfile

CHILD = r"""
import sys, time
import numpy as np
from npdnn.sklearn.estimator import DNNClassifier
from npdnn.files.archive import ModelFileError

def hwm():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))

with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # resets the peak (VmHWM) to the current RSS: imports do not count
base = hwm()
t = time.perf_counter()
try:
    DNNClassifier.load(sys.argv[1])
    outcome = "LOADED"
except ModelFileError as e:
    outcome = f"ModelFileError ({len(str(e))} chars)"
dt = time.perf_counter() - t
peak = hwm()
print(f"{dt:.3f} {(peak - base) / 1024:.1f} {outcome}")
"""


def main():
    sys.path.insert(0, "tests")
    import numpy as np
    from sklearn.datasets import make_classification

    from npdnn.files.archive import META_KEY
    from npdnn.sklearn.estimator import DNNClassifier
    from test_edited_files import _meta_texts, members, npy_bytes, rewrite

    folder = tempfile.mkdtemp()
    X, y = make_classification(40, 4, random_state=0)
    model = os.path.join(folder, "c.npz")
    DNNClassifier(hidden_layer_sizes=(5,), epochs=3, standardize=True, random_state=0).fit(X, y).save(model)
    load = os.popen("uptime").read().strip()
    print(f"machine load: {load}\n")
    print("| metadata shape | bytes | reject time (s) | extra peak RSS (MB) | outcome |")
    print("|---|---|---|---|---|")
    from pathlib import Path

    for shape, text in sorted(_meta_texts().items()):
        blob = text.encode()
        parts = {**members(model), META_KEY: npy_bytes(np.frombuffer(blob, np.uint8))}
        path = rewrite(Path(folder) / f"{shape.replace(' ', '_')}.npz", parts)
        out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True)
        dt, mb, outcome = out.stdout.split(" ", 2) if out.returncode == 0 else ("-", "-", out.stderr[-200:])
        print(f"| {shape} | {len(blob)} | {dt} | {mb} | {outcome.strip()} |")


if __name__ == "__main__":
    main()
