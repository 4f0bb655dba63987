"""A ReLU with a hand-written gradient in a static graph, through @gc.custom_gradient:
the static counterpart of the seed's custom autograd function.
Run: python examples/static_custom_relu.py
"""

import numpy as np

import graphc as gc


@gc.custom_gradient
def my_relu(x):
    """max(x, 0); its gradient passes dy where x >= 0 (as the seed's MyReLU does)."""
    def grad(dy):
        return gc.where(x < 0, 0.0, dy)
    return gc.maximum(x, 0.0), grad


def train(x_value, y_value, w1_init, w2_init, steps=500, learning_rate=1e-6, dtype=gc.float64,
          log=None):
    """The static two-layer program with my_relu; returns losses and the final weights."""
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(dtype, (None, x_value.shape[1]), name="x")
        y = gc.placeholder(dtype, (None, y_value.shape[1]), name="y")
        w1 = gc.Variable(w1_init, dtype=dtype, name="w1")
        w2 = gc.Variable(w2_init, dtype=dtype, name="w2")
        loss = gc.reduce_sum((my_relu(x @ w1) @ w2 - y) ** 2, name="loss")
        grad_w1, grad_w2 = gc.gradients(loss, [w1, w2])
        step = gc.group(w1.assign_sub(learning_rate * grad_w1),
                        w2.assign_sub(learning_rate * grad_w2))
        init = gc.global_variables_initializer()
    losses = []
    with gc.Session(graph) as sess:
        sess.run(init)
        for t in range(steps):
            loss_value, _ = sess.run([loss, step], {x: x_value, y: y_value})
            losses.append(loss_value)
            if log:
                log(t, loss_value)
        return np.array(losses), *sess.run([w1, w2])


def main():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((64, 1000)), rng.standard_normal((64, 10))
    w1, w2 = rng.standard_normal((1000, 100)), rng.standard_normal((100, 10))
    train(x, y, w1, w2, log=lambda t, loss: print(t, loss))


if __name__ == "__main__":
    main()
