"""One Session serving many threads: reads are right and no assignment is lost."""

import threading

import numpy as np

import graphc as gc

THREADS, RUNS = 8, 50


def in_threads(work):
    errors = []

    def guarded(k):
        try:
            work(k)
        except Exception as err:  # collected, so a failure in a thread fails the test
            errors.append(err)

    threads = [threading.Thread(target=guarded, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)


def test_read_only_runs_from_many_threads():
    x = gc.placeholder(gc.float64, (None, 4))
    w = gc.Variable(np.arange(12.0).reshape(4, 3))
    y = gc.tanh(x @ w)
    with gc.Session() as sess:
        sess.run(w.initializer)

        def work(k):
            rng = np.random.default_rng(k)
            for _ in range(RUNS):
                value = rng.standard_normal((k + 1, 4))
                np.testing.assert_allclose(sess.run(y, {x: value}),
                                           np.tanh(value @ np.arange(12.0).reshape(4, 3)),
                                           rtol=1e-14)

        in_threads(work)


def test_concurrent_assign_add_loses_no_update():
    counter = gc.Variable(np.array(0, np.int64))
    total = gc.Variable(np.zeros(3))
    bump = gc.group(counter.assign_add(1), total.assign_add([1.0, 2.0, 3.0]))
    with gc.Session() as sess:
        sess.run(gc.global_variables_initializer())
        in_threads(lambda k: [sess.run(bump) for _ in range(RUNS)])
        assert sess.run(counter) == THREADS * RUNS
        np.testing.assert_array_equal(sess.run(total), np.array([1, 2, 3]) * THREADS * RUNS)
