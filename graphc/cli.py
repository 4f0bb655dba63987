"""The `graphc` command."""

from __future__ import annotations

import argparse
import sys

import graphc


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="graphc", description="graphc: a static-graph DL compiler")
    p.add_argument("--version", action="version", version=f"graphc {graphc.__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="train the seeds' two-layer network and time it")
    demo.add_argument("--steps", type=_positive, default=500, help="training steps (500)")
    demo.add_argument("--backend", choices=sorted(graphc.runtime.BACKENDS), default=None,
                      help="execution backend (default: the fastest available)")
    demo.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "demo":
        from graphc import demo
        demo.run(args.steps, args.backend, args.dtype)
    return 0


if __name__ == "__main__":
    sys.exit(main())
