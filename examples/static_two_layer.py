"""The seed's "TensorFlow: static graphs" program, in graphc.

Build the graph once (placeholders, Variables, forward pass, loss, gradients, updates),
then run it 500 times in a Session, feeding the same data each time.
Run: python examples/static_two_layer.py
"""

import sys

import numpy as np

import graphc as gc


def build(d_in, hidden, d_out, w1_init=None, w2_init=None, dtype=gc.float32,
          learning_rate=1e-6):
    """The training graph; weights start from the given arrays, else from random_normal."""
    x = gc.placeholder(dtype, shape=(None, d_in), name="x")
    y = gc.placeholder(dtype, shape=(None, d_out), name="y")
    w1 = gc.Variable(gc.random_normal((d_in, hidden), dtype=dtype) if w1_init is None
                     else w1_init, dtype=dtype, name="w1")
    w2 = gc.Variable(gc.random_normal((hidden, d_out), dtype=dtype) if w2_init is None
                     else w2_init, dtype=dtype, name="w2")

    # Forward pass: these calls only add nodes to the graph; nothing is computed yet.
    h = gc.matmul(x, w1)
    h_relu = gc.maximum(h, gc.zeros(1, dtype=dtype))
    y_pred = gc.matmul(h_relu, w2)
    loss = gc.reduce_sum((y - y_pred) ** 2.0, name="loss")

    # Backward pass and update, also as graph nodes: the update is part of the graph.
    grad_w1, grad_w2 = gc.gradients(loss, [w1, w2])
    new_w1 = w1.assign(w1 - learning_rate * grad_w1)
    new_w2 = w2.assign(w2 - learning_rate * grad_w2)
    return dict(x=x, y=y, w1=w1, w2=w2, loss=loss, updates=[new_w1, new_w2])


def train(x_value, y_value, w1_init=None, w2_init=None, steps=500, dtype=gc.float32,
          backend=None, seed=None, log=None, device=None):
    """Run the graph `steps` times; returns the losses and the final weights.
    device="cuda" keeps the weights on the GPU and runs every step there."""
    graph = gc.Graph()
    with graph.as_default():
        gc.set_random_seed(seed)
        g = build(x_value.shape[1], 100 if w1_init is None else w1_init.shape[1],
                  y_value.shape[1], w1_init, w2_init, dtype)
    losses = []
    with gc.Session(graph, backend=backend, device=device) as sess:
        sess.run(gc.variables_initializer(graph.variables))
        for t in range(steps):
            loss, _ = sess.run([g["loss"], g["updates"]],
                               feed_dict={g["x"]: x_value, g["y"]: y_value})
            losses.append(loss)
            if log:
                log(t, loss)
        w1, w2 = sess.run([g["w1"], g["w2"]])
    return np.array(losses), w1, w2


def main(device=None):
    """For the GPU: python examples/static_two_layer.py cuda"""
    n, d_in, d_out = 64, 1000, 10
    rng = np.random.default_rng(0)
    x_value, y_value = rng.standard_normal((n, d_in)), rng.standard_normal((n, d_out))
    train(x_value, y_value, seed=0, log=lambda t, loss: print(t, loss), device=device)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
