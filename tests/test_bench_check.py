"""``benchmarks/bench.py --check``: Keras's and JAX's gradients and optimizer steps equal
npdnn's in float64. Runs only where the ``bench`` extra (tensorflow-cpu, keras, jax,
optax) is installed; ``make test`` does not install it."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench.py"
MISSING = [m for m in ("tensorflow", "keras", "jax", "optax") if importlib.util.find_spec(m) is None]

# find_spec rather than pytest.importorskip: importing TensorFlow into the test process
# would turn its import-time DeprecationWarnings into errors (filterwarnings = error), and
# the check runs each framework in its own process anyway.
pytestmark = [
    pytest.mark.skipif(bool(MISSING), reason=f"the bench extra is not installed (missing {MISSING})"),
    pytest.mark.slow,
]


@pytest.mark.parametrize("framework", ["keras", "jax"])
def test_gradients_and_steps_equal_npdnn(framework):
    # A: Adam over a 3-layer net; D: gradient descent, 4 layers, 12288 inputs
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--check-one", framework, "--workloads", "A,D"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert [(r["workload"], r["what"]) for r in rows] == [
        ("A", "gradients"),
        ("A", "params after 3 steps"),
        ("D", "gradients"),
        ("D", "params after 3 steps"),
    ]
    for r in rows:
        bound = 1e-10 if r["what"] == "gradients" else 1e-13
        assert r["max_abs_diff"] <= bound, r


def test_check_mode_exit_code_and_summary():
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--check", "--workloads", "A"], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    assert "check: all within bounds" in proc.stdout
    assert proc.stdout.count(" ok") == 4  # keras and jax, gradients and steps
