"""What the pass tests share: the ops of a Program, and a graph run with passes on and off."""

import graphc as gc


def ops_of(program):
    return [n.op for n in program.schedule]


def results_with_and_without_passes(fetches, feeds):
    """[results with every pass, results with none], each from a fresh Session."""
    runs = []
    for optimize in (True, False):
        with gc.Session(optimize=optimize) as sess:
            sess.run(gc.global_variables_initializer())
            runs.append(sess.run(fetches, feeds))
    return runs
