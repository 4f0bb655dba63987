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


_SUBCOMMANDS = "_graphc_subcommands"


def _backend(text: str) -> str:
    if text not in ("numba", "numpy", "cuda"):  # cuda: the old spelling of --device cuda
        raise argparse.ArgumentTypeError(f"invalid choice: {text!r} (choose from numba, "
                                         "numpy; for the GPU use --device cuda)")
    return text


def _format(text: str) -> str:
    try:
        return graphc.viz.check_format(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="graphc", description="graphc: a static-graph DL compiler")
    p.add_argument("--version", action="version", version=f"graphc {graphc.__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="{demo,render}")
    demo = sub.add_parser("demo", help="train the seeds' two-layer network, time and draw it",
                          description="Train the seeds' two-layer network as a static graph, "
                          "print ms/step for graphc and for hand-written numpy, and write "
                          "forward.svg, backward.svg and optimized.svg (and loss.png if "
                          "matplotlib is installed) into --out.")
    demo.add_argument("--steps", type=_positive, default=500, help="training steps (500)")
    demo.add_argument("--out", default="graphc-demo", help="output folder (./graphc-demo)")
    demo.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                      help="where to run: cpu (default), or cuda (an NVIDIA GPU; needs "
                      "graphc[cuda])")
    demo.add_argument("--backend", type=_backend, default=None, metavar="{numba,numpy}",
                      help="on the CPU only: numba (machine code; the default when numba "
                      "is installed) or numpy (the reference interpreter)")
    demo.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                      help="element type of the model (float32)")
    render = sub.add_parser("render", help="run a graph-building script and draw its graph",
                            description="Run SCRIPT.py and draw the graph it built (the "
                            "default graph, else the last graph it created).")
    render.add_argument("script", type=Path)
    render.add_argument("--fetch", action="append", default=[], metavar="NAME",
                        help="draw only what these tensors or ops need (repeatable)")
    render.add_argument("--out", type=Path, default=None,
                        help="output file (default: SCRIPT.FORMAT beside the script); the "
                        "format's extension is added unless it is there")
    render.add_argument("--format", type=_format, default=None,
                        help="svg (default, or the extension of --out), png, pdf, or any "
                        "format graphviz's dot writes")
    render.add_argument("--optimized", action="store_true",
                        help="draw the graph after graphc's passes")
    render.add_argument("--show-initializers", action="store_true",
                        help="draw the variables' initializers too")
    render.add_argument("--expand-gradients", action="store_true",
                        help="draw every node of the backward pass, not one per user op")
    p.set_defaults(**{_SUBCOMMANDS: {"demo": demo, "render": render}})
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args, extra = p.parse_known_args(argv)
    command = getattr(args, _SUBCOMMANDS)[args.command]
    if extra:  # a mistyped flag of a subcommand: show that subcommand's usage
        command.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        if args.command == "demo":
            return _demo(command, args)
        if args.command == "render":
            return _render(command, args)
    except graphc.viz.GraphvizNotFoundError as err:
        print(f"graphc: {err}", file=sys.stderr)
        return 1
    return 0


def _demo(p: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from graphc import demo
    from graphc.runtime.cuda.device import DeviceUnavailableError

    if args.backend == "cuda":
        print("graphc: --backend cuda is deprecated; use --device cuda", file=sys.stderr)
        args.backend, args.device = None, "cuda"
    if args.device == "cuda" and args.backend is not None:
        p.error(f"--backend {args.backend} chooses how to run on the CPU; with --device "
                "cuda leave --backend out")
    try:
        demo.run(args.steps, args.backend, args.dtype, args.out, device=args.device)
    except (DeviceUnavailableError, ValueError) as err:
        print(f"graphc: {err}", file=sys.stderr)
        return 1
    return 0


def _fetchable(graph: graphc.Graph, limit: int = 40) -> str:
    """The names --fetch accepts, for an error message."""
    names = [n.name for n in graph.nodes]
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


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
        p.error(f"--fetch: {err.args[0]}; the names in the graph are: {_fetchable(graph)}")
    fmt = args.format
    if fmt is None:
        suffix = args.out.suffix.lstrip(".").lower() if args.out else ""
        fmt = suffix if suffix in graphc.viz.formats() else "svg"
    out = args.out or args.script.with_suffix(f".{fmt}")
    path = graphc.viz.render(target, out, format=fmt, optimized=args.optimized,
                             title=f"{args.script.name}",
                             show_initializers=args.show_initializers,
                             collapse_gradients=not args.expand_gradients)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
