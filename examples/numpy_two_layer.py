"""The seed's two-layer network, forward and backward written by hand in numpy.

This is the reference the graphc programs are checked against.
Run: python examples/numpy_two_layer.py
"""

import numpy as np


def train(x, y, w1, w2, steps=500, learning_rate=1e-6, log=None):
    """Gradient descent on sum((relu(x @ w1) @ w2 - y)**2); returns losses and final weights."""
    w1, w2 = w1.copy(), w2.copy()
    losses = []
    for t in range(steps):
        h = x @ w1
        h_relu = np.maximum(h, 0)
        y_pred = h_relu @ w2
        loss = np.square(y_pred - y).sum()
        losses.append(loss)
        if log:
            log(t, loss)

        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.T @ grad_y_pred
        grad_h = grad_y_pred @ w2.T
        grad_h[h < 0] = 0
        grad_w1 = x.T @ grad_h

        w1 -= learning_rate * grad_w1
        w2 -= learning_rate * grad_w2
    return np.array(losses), w1, w2


def main():
    n, d_in, hidden, d_out = 64, 1000, 100, 10
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((n, d_in)), rng.standard_normal((n, d_out))
    w1, w2 = rng.standard_normal((d_in, hidden)), rng.standard_normal((hidden, d_out))
    train(x, y, w1, w2, log=lambda t, loss: print(t, loss))


if __name__ == "__main__":
    main()
