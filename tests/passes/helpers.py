"""What the pass tests share: the ops of a Program, fused expressions as nested op names,
and a graph run with passes on and off."""

import numpy as np

import graphc as gc


def ops_of(program):
    return [n.op for n in program.schedule]


def expression_names(expression, product=False):
    """A fused op's expression as nested op names (no dtypes), input i as "x{i}"; with
    `product`, input 0 (a matmul_epilogue's product) as "p"."""
    if expression[0] == "input":
        return "p" if product and expression[1] == 0 else f"x{expression[1]}"
    return (expression[0], *(expression_names(e, product) for e in expression[2:]))


def results_with_and_without_passes(fetches, feeds, then=(), **session):
    """[results with every pass, results with none], each from a fresh Session; with
    `then`, each followed by the values of those tensors after the run (the variables the
    fetches assign)."""
    runs = []
    for optimize in (True, False):
        with gc.Session(optimize=optimize, **session) as sess:
            sess.run(gc.global_variables_initializer())
            results = sess.run(fetches, feeds)
            runs.append([*results, *sess.run(list(then))] if then else results)
    return runs


def assert_same_with_and_without_passes(fetches, feeds, then=(), **session):
    """The fetches (and `then` after the run), optimized, equal the unoptimized run's: bit
    for bit on the numpy backend (each fused op computes with the ops' numpy references),
    to a few ulps on another (its own BLAS and loops). Returns the optimized results."""
    got, want = results_with_and_without_passes(fetches, feeds, then, **session)
    for g, w in zip(got if isinstance(got, list) else [got],
                    want if isinstance(want, list) else [want]):
        if session.get("backend", "numpy") == "numpy":
            np.testing.assert_array_equal(g, w)
        else:
            np.testing.assert_allclose(g, w, rtol=1e-13, atol=1e-15)
    return got
