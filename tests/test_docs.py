"""Every ```python block of README.md, CONTRIBUTING.md and docs/*.md runs as it is.

Each block runs as a script in a fresh process, in an empty temporary folder (blocks that
write files write there), with the test suite's environment (so on the numpy backend unless
GRAPHC_BACKEND says otherwise: the same code, without compiling). A block preceded by
`<!-- not run: reason -->` is skipped with that reason; use it only for what this machine
cannot run (a GPU). BLAS gets one thread: on a busy machine two threads spin against each
other and the blocks take ten times as long.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys
from typing import NamedTuple

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\S*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
NOT_RUN = re.compile(r"<!--\s*not run:\s*(.*?)\s*-->\s*$", re.S)


class Block(NamedTuple):
    page: pathlib.Path
    line: int
    language: str
    code: str
    not_run: str | None

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: pathlib.Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        before = text[:match.start()].rstrip()
        reason = NOT_RUN.search(before[-300:])
        found.append(Block(page, text.count("\n", 0, match.start()) + 1, match.group(1),
                           match.group(2), reason.group(1) if reason else None))
    return found


ALL = [b for page in PAGES if page.exists() for b in blocks(page)]
PYTHON = [b for b in ALL if b.language == "python"]


def test_the_pages_have_python_blocks_and_every_fence_names_its_language():
    assert len(PYTHON) >= 8
    assert [b.id for b in ALL if not b.language] == []


def test_blocks_not_run_are_few():
    assert len([b for b in PYTHON if b.not_run]) <= 2


@pytest.mark.parametrize("block", PYTHON, ids=lambda b: b.id)
def test_python_block_runs(block: Block, tmp_path: pathlib.Path) -> None:
    if block.not_run:
        pytest.skip(f"not run: {block.not_run}")
    if "gc.viz.render" in block.code and shutil.which("dot") is None:
        pytest.skip("graphviz's dot is not installed")
    script = tmp_path / "block.py"
    script.write_text(block.code, encoding="utf-8")
    env = {"OPENBLAS_NUM_THREADS": "1", **os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (
        f"the block at {block.id} failed:\n{block.code}\n{done.stdout[-2000:]}"
        f"{done.stderr[-4000:]}")


def _anchors(page: pathlib.Path) -> set[str]:
    """GitHub's anchors for the headings of a page."""
    headings = re.findall(r"^#+ (.*)$", page.read_text(encoding="utf-8"), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("page", [p for p in PAGES if p.exists()], ids=lambda p: p.name)
def test_relative_links_lead_somewhere(page: pathlib.Path) -> None:
    broken = []
    for link in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", link):
            continue
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        if not target.exists() or (anchor and target.suffix == ".md"
                                   and anchor not in _anchors(target)):
            broken.append(link)
    assert broken == []
