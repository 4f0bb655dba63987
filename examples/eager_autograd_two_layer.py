"""The seed's autograd program in graphc's eager mode: the forward pass records a tape and
loss.backward() fills w1.grad and w2.grad.
Run: python examples/eager_autograd_two_layer.py
"""

import sys

import graphc as gc
import graphc.eager as ge


def train(x, y, w1, w2, steps=500, learning_rate=1e-6, relu=None, log=None, device="cpu"):
    """Gradient descent with autograd; `relu` replaces the built-in clamp when given;
    device="cuda" runs every op on the GPU."""
    x, y = ge.tensor(x, device=device), ge.tensor(y, device=device)
    w1 = ge.tensor(w1, requires_grad=True, device=device)
    w2 = ge.tensor(w2, requires_grad=True, device=device)
    losses = []
    for t in range(steps):
        h = x.mm(w1)
        y_pred = (relu(h) if relu else h.clamp(min=0)).mm(w2)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        if log:
            log(t, loss.item())

        loss.backward()
        with ge.no_grad():  # the update itself is not part of what we differentiate
            w1 -= learning_rate * w1.grad
            w2 -= learning_rate * w2.grad
            w1.grad.zero_()
            w2.grad.zero_()
    return losses, w1.detach().cpu().numpy(), w2.detach().cpu().numpy()


def main(relu=None, device="cpu"):
    """Train on seeded random data, printing the loss; `relu` as in train(). For the GPU:
    python examples/eager_autograd_two_layer.py cuda"""
    ge.manual_seed(0)
    n, d_in, hidden, d_out = 64, 1000, 100, 10
    x, y = ge.randn(n, d_in, dtype=gc.float64), ge.randn(n, d_out, dtype=gc.float64)
    w1, w2 = ge.randn(d_in, hidden, dtype=gc.float64), ge.randn(hidden, d_out, dtype=gc.float64)
    train(x, y, w1, w2, relu=relu, log=lambda t, loss: print(t, loss), device=device)


if __name__ == "__main__":
    main(device=sys.argv[1] if len(sys.argv) > 1 else "cpu")
