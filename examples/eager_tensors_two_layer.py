"""The seed's "tensors by hand" program in graphc's eager mode: the forward and backward
passes written out on eager tensors, no autograd.
Run: python examples/eager_tensors_two_layer.py
"""

import graphc as gc
import graphc.eager as ge


def train(x, y, w1, w2, steps=500, learning_rate=1e-6, log=None):
    """Gradient descent with a hand-written backward pass; returns losses and final weights."""
    x, y, w1, w2 = (ge.tensor(a) for a in (x, y, w1, w2))
    losses = []
    for t in range(steps):
        h = x.mm(w1)
        h_relu = h.clamp(min=0)
        y_pred = h_relu.mm(w2)

        loss = (y_pred - y).pow(2).sum().item()
        losses.append(loss)
        if log:
            log(t, loss)

        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.t().mm(grad_y_pred)
        grad_h_relu = grad_y_pred.mm(w2.t())
        grad_h = grad_h_relu.clone()
        grad_h[h < 0] = 0
        grad_w1 = x.t().mm(grad_h)

        w1 -= learning_rate * grad_w1
        w2 -= learning_rate * grad_w2
    return losses, w1.numpy(), w2.numpy()


def main():
    ge.manual_seed(0)
    n, d_in, hidden, d_out = 64, 1000, 100, 10
    x, y = ge.randn(n, d_in, dtype=gc.float64), ge.randn(n, d_out, dtype=gc.float64)
    w1, w2 = ge.randn(d_in, hidden, dtype=gc.float64), ge.randn(hidden, d_out, dtype=gc.float64)
    train(x, y, w1, w2, log=lambda t, loss: print(t, loss))


if __name__ == "__main__":
    main()
