"""The `graphc` command: `graphc demo` and `graphc render`."""

from __future__ import annotations

import argparse
import runpy
import sys
from pathlib import Path

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
    demo = sub.add_parser("demo", help="train the seeds' two-layer network, time and draw it",
                          description="Train the seeds' two-layer network as a static graph, "
                          "print ms/step for graphc and for hand-written numpy, and write "
                          "forward.svg, backward.svg and optimized.svg (and loss.png if "
                          "matplotlib is installed) into --out.")
    demo.add_argument("--steps", type=_positive, default=500, help="training steps (500)")
    demo.add_argument("--out", default="graphc-demo", help="output folder (./graphc-demo)")
    demo.add_argument("--backend", choices=sorted(graphc.runtime.BACKENDS), default=None,
                      help="execution backend (default: the fastest available)")
    demo.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                      help="where to run: cpu, or cuda (an NVIDIA GPU; needs graphc[cuda])")
    demo.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                      help="element type of the model (float32)")
    render = sub.add_parser("render", help="run a graph-building script and draw its graph",
                            description="Run SCRIPT.py and draw the graph it built (the "
                            "default graph, else the last graph it created).")
    render.add_argument("script", type=Path)
    render.add_argument("--fetch", action="append", default=[], metavar="NAME",
                        help="draw only what these tensors or ops need (repeatable)")
    render.add_argument("--out", type=Path, default=None,
                        help="output file (default: SCRIPT.svg beside the script)")
    render.add_argument("--format", default="svg", help="svg (default), png, pdf, ...")
    render.add_argument("--optimized", action="store_true",
                        help="draw the graph after graphc's passes")
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    try:
        if args.command == "demo":
            from graphc import demo
            from graphc.runtime.cuda.device import DeviceUnavailableError

            try:
                demo.run(args.steps, args.backend, args.dtype, args.out, device=args.device)
            except (DeviceUnavailableError, ValueError) as err:
                print(f"graphc: {err}", file=sys.stderr)
                return 1
        elif args.command == "render":
            return _render(p, args)
    except graphc.viz.GraphvizNotFoundError as err:
        print(f"graphc: {err}", file=sys.stderr)
        return 1
    return 0


def _render(p: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if not args.script.is_file():
        p.error(f"no such script: {args.script}")
    graphc.reset_default_graph()
    with graphc.graph.track_graphs() as made:
        runpy.run_path(str(args.script), run_name="__main__")
    candidates = [graphc.get_default_graph()] + made[::-1]
    graph = next((g for g in candidates if g.nodes), None)
    if graph is None:
        p.error(f"{args.script} built no graph nodes")
    try:
        target = [graph.get_tensor(n) if graph.get_node(n.partition(":")[0]).types
                  else graph.get_node(n) for n in args.fetch] or graph
    except KeyError as err:
        p.error(str(err.args[0]))
    out = args.out or args.script.with_suffix(f".{args.format}")
    path = graphc.viz.render(target, out, format=args.format, optimized=args.optimized,
                             title=f"{args.script.name}")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
