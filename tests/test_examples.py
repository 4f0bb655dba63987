"""Every example runs as a program, and `graphc demo` trains, times and draws (the rest of
the command: tests/test_cli.py)."""

import os
import pathlib
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
# digits_classifier.py reports test accuracy, not a loss falling over 500 steps (tested below)
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.py") if p.name != "digits_classifier.py")


# soak: every example in full (500 steps, most of them trained twice) takes minutes; the
# example functions are checked against numpy by the tests of their features.
@pytest.mark.soak
@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_and_trains(script):
    """Every example prints "step loss" lines, or "mode step loss" when it trains the same
    model eagerly and statically; each run's loss must fall a thousandfold in 500 steps."""
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    runs: dict[str, list[float]] = {}
    for line in done.stdout.splitlines():
        *label, step, loss = line.split()
        runs.setdefault(" ".join(label), []).append(float(loss))
    for label, losses in runs.items():
        assert len(losses) == 500, label
        assert losses[-1] < 1e-3 * losses[0], label


@pytest.mark.soak
def test_digits_classifier_reaches_95_percent_three_ways():
    """The digits example in full (30 epochs, float32): TensorFlow style, PyTorch style and
    numpy each classify at least 95% of the held-out digits, and report their epoch times."""
    pytest.importorskip("sklearn")
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "digits_classifier.py")],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line.split()[1:] for line in done.stdout.splitlines()
            if line.split() and line.split()[0] in ("tf", "torch", "numpy")}
    assert sorted(rows) == ["numpy", "tf", "torch"]
    for name, (accuracy, seconds_per_epoch, *_) in rows.items():
        assert float(accuracy) >= 0.95, name
        assert float(seconds_per_epoch) > 0, name


def graphc(*args, env=None):
    return subprocess.run([sys.executable, "-m", "graphc.cli", *args], capture_output=True,
                          text=True, timeout=300, cwd=ROOT, env=env)


def test_demo_trains_reports_timings_and_draws(tmp_path):
    done = graphc("demo", "--steps", "20", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "step    0" in done.stdout and "step   19" in done.stdout
    assert "ms/step" in done.stdout and "hand-written numpy" in done.stdout
    assert "timed alternately in one loop" in done.stdout
    assert "ready after" in done.stdout
    for name in ("forward.svg", "backward.svg", "optimized.svg"):
        root = ET.parse(tmp_path / "out" / name).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "matmul + relu" in (tmp_path / "out" / "optimized.svg").read_text()


@pytest.mark.soak  # compiles the demo's step from empty caches: about 25 s
def test_demo_waits_for_machine_code_and_says_where_it_came_from(tmp_path):
    # the default: numba, compiling in the background; the timed steps are native
    env = dict(os.environ, GRAPHC_BACKEND="numba", GRAPHC_COMPILE="background",
               GRAPHC_CACHE_DIR=str(tmp_path / "cache"), NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    for source in ("compiled in", "loaded from the disk cache in"):
        done = graphc("demo", "--steps", "20", "--out", str(tmp_path / "out"), env=env)
        assert done.returncode == 0, done.stderr
        assert "machine code ready after" in done.stdout and source in done.stdout
        assert "steps ran on the numpy references meanwhile" in done.stdout
        assert "numba backend, machine code" in done.stdout


def test_loss_curve_is_skipped_quietly_without_matplotlib(tmp_path, monkeypatch):
    import builtins

    from graphc import demo

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("matplotlib is not installed")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    assert demo.plot_losses([3.0, 2.0, 1.0], tmp_path / "loss.png") is None
    assert not (tmp_path / "loss.png").exists()
