"""The graphc command: each subcommand's errors show its own usage, --fetch names what the
graph has, formats are checked before the script runs, and --device says where to run."""

import html
import os
import pathlib
import subprocess
import sys

import pytest

from graphc import cli

ROOT = pathlib.Path(__file__).resolve().parents[1]


def graphc(*args, env=None):
    return subprocess.run([sys.executable, "-m", "graphc.cli", *args], capture_output=True,
                          text=True, timeout=300, cwd=ROOT, env=env)


def fails(capsys, *args):
    """Run the command in this process; the exit status and what it printed to stderr."""
    with pytest.raises(SystemExit) as exit_:
        cli.main(list(args))
    return exit_.value.code, capsys.readouterr().err


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "model.py"
    path.write_text("import graphc as gc\n"
                    "x = gc.placeholder(gc.float32, (None, 3), name='x')\n"
                    "h = gc.tanh(x, name='hidden')\n"
                    "y = gc.reduce_sum(h * 2, name='total')\n"
                    "open(__file__ + '.ran', 'w').close()\n")
    return path


def test_render_a_script(script, tmp_path):
    done = graphc("render", str(script))
    assert done.returncode == 0, done.stderr
    svg = html.unescape((tmp_path / "model.svg").read_text())
    assert "hidden" in svg and "total" in svg
    assert f"at {script}:3" in svg  # the site is the user's script, not the console script
    assert "bin/graphc" not in svg and "runpy" not in svg and "cli.py" not in svg
    done = graphc("render", str(script), "--fetch", "hidden", "--out", str(tmp_path / "h"),
                  "--format", "png")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "h.png").read_bytes()[:4] == b"\x89PNG"


def test_render_out_folder_is_created_and_format_follows_out(script, tmp_path, capsys):
    assert cli.main(["render", str(script), "--out", str(tmp_path / "new" / "m.png")]) == 0
    assert (tmp_path / "new" / "m.png").read_bytes()[:4] == b"\x89PNG"
    assert f"wrote {tmp_path / 'new' / 'm.png'}" in capsys.readouterr().out


def test_missing_script(tmp_path, capsys):
    code, err = fails(capsys, "render", str(tmp_path / "missing.py"))
    assert code == 2 and "no such script" in err and "usage: graphc render" in err


def test_unknown_fetch_lists_the_names_there_are(script, capsys):
    code, err = fails(capsys, "render", str(script), "--fetch", "loss")
    assert code == 2 and "usage: graphc render" in err
    assert "no node named 'loss'" in err
    assert "the names in the graph are: x, hidden, constant, mul, total" in err


def test_unknown_format_is_refused_before_the_script_runs(script, capsys):
    code, err = fails(capsys, "render", str(script), "--format", "jpeg2")
    assert code == 2 and "usage: graphc render" in err
    assert "argument --format: unknown format 'jpeg2': graphviz writes" in err
    assert " png," in err and " svg," in err and "Traceback" not in err
    assert not pathlib.Path(f"{script}.ran").exists()


@pytest.mark.parametrize("args", [["render", "--bogus", "x.py"], ["demo", "--bogus"],
                                  ["demo", "--steps", "0"], ["demo", "--dtype", "int8"],
                                  ["demo", "--device", "tpu"], ["demo", "--backend", "jax"],
                                  ["render"]])
def test_a_subcommands_errors_show_its_usage(args, capsys):
    code, err = fails(capsys, *args)
    assert code == 2
    assert f"usage: graphc {args[0]} " in err and f"graphc {args[0]}: error:" in err
    assert "usage: graphc [-h] [--version]" not in err


def test_mistyped_flag_names_it(capsys):
    code, err = fails(capsys, "demo", "--stpes", "3")
    assert code == 2 and "usage: graphc demo" in err
    code, err = fails(capsys, "render", "model.py", "--fromat", "png")
    assert "graphc render: error: unrecognized arguments: --fromat png" in err


@pytest.mark.parametrize("args", [[], ["frobnicate"]])
def test_top_level_errors_show_the_top_level_usage(args, capsys):
    code, err = fails(capsys, *args)
    assert code == 2 and "usage: graphc [-h] [--version] {demo,render}" in err


def test_backend_is_for_the_cpu_only(capsys):
    code, err = fails(capsys, "demo", "--device", "cuda", "--backend", "numpy")
    assert code == 2 and "usage: graphc demo" in err
    assert "--backend numpy chooses how to run on the CPU; with --device cuda leave " \
           "--backend out" in err
    code, err = fails(capsys, "demo", "--backend", "jax")
    assert "invalid choice: 'jax' (choose from numba, numpy; for the GPU use --device " \
           "cuda)" in err


def test_cuda_device_without_a_gpu_is_refused_clearly():
    no_gpu = {**os.environ, "NUMBA_ENABLE_CUDASIM": "0", "NUMBA_DISABLE_CUDA": "1"}
    done = graphc("demo", "--device", "cuda", "--steps", "1", env=no_gpu)
    assert done.returncode == 1
    assert "no usable NVIDIA GPU" in done.stderr and "NUMBA_ENABLE_CUDASIM=1" in done.stderr
    assert "Traceback" not in done.stderr
    # the old spelling still works, and says what to write instead
    done = graphc("demo", "--backend", "cuda", "--steps", "1", env=no_gpu)
    assert done.returncode == 1
    assert "--backend cuda is deprecated; use --device cuda" in done.stderr
    assert "no usable NVIDIA GPU" in done.stderr


def test_version():
    done = graphc("--version")
    assert done.returncode == 0 and done.stdout.startswith("graphc ")
