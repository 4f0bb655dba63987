"""Every example runs as a program, and the graphc command behaves."""

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_and_trains(script):
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split("\n")
    losses = [float(line.split()[1]) for line in lines if line.strip()]
    assert len(losses) == 500
    assert losses[-1] < 1e-3 * losses[0]


def graphc(*args):
    return subprocess.run([sys.executable, "-m", "graphc.cli", *args], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)


def test_demo_trains_and_reports_timings():
    done = graphc("demo", "--steps", "20")
    assert done.returncode == 0, done.stderr
    assert "step    0" in done.stdout and "step   19" in done.stdout
    assert "ms/step" in done.stdout and "hand-written numpy" in done.stdout


def test_version():
    done = graphc("--version")
    assert done.returncode == 0 and done.stdout.startswith("graphc ")


@pytest.mark.parametrize("args", [["demo", "--steps", "0"], ["demo", "--dtype", "int8"], []])
def test_bad_arguments_give_usage_and_fail(args):
    done = graphc(*args)
    assert done.returncode == 2
    assert "usage: graphc" in done.stderr
