"""The seed's nn program: Sequential(Linear, ReLU, Linear) with MSELoss(reduction="sum") and a
hand-written gradient-descent update, trained eagerly and then as a static graph.
Run: python examples/nn_two_layer.py
"""

import numpy as np

import graphc as gc
import graphc.eager as ge
from graphc import nn

N, D_IN, H, D_OUT = 64, 1000, 100, 10
LEARNING_RATE = 1e-4


def make_model():
    return nn.Sequential(nn.Linear(D_IN, H, dtype=gc.float64), nn.ReLU(),
                         nn.Linear(H, D_OUT, dtype=gc.float64))


def train_eager(model, x, y, steps, log):
    loss_fn = nn.MSELoss(reduction="sum")
    for t in range(steps):
        loss = loss_fn(model(ge.tensor(x)), ge.tensor(y))
        log(t, loss.item())
        model.zero_grad()
        loss.backward()
        with ge.no_grad():
            for param in model.parameters():
                param -= LEARNING_RATE * param.grad


def train_static(model, x_value, y_value, steps, log):
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float64, (None, D_IN))
        y = gc.placeholder(gc.float64, (None, D_OUT))
        loss = nn.MSELoss(reduction="sum")(model(x), y)  # the same module builds nodes
        params = [p.variable(graph) for p in model.parameters()]
        grads = gc.gradients(loss, params)
        update = gc.group([p.assign_sub(LEARNING_RATE * g) for p, g in zip(params, grads)])
    with gc.Session(graph) as sess:
        for t in range(steps):
            loss_value, _ = sess.run([loss, update], {x: x_value, y: y_value})
            log(t, loss_value)


def compare_modes(make_model, train_eager, train_static, steps=500):
    """Train two copies of one model, eagerly and statically, from the same starting point
    and data, printing "eager t loss" and "static t loss" lines."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((N, D_IN)), rng.standard_normal((N, D_OUT))
    ge.manual_seed(0)
    eager_model, static_model = make_model(), make_model()
    static_model.load_state_dict(eager_model.state_dict())
    train_eager(eager_model, x, y, steps, lambda t, loss: print("eager", t, loss))
    train_static(static_model, x, y, steps, lambda t, loss: print("static", t, loss))


if __name__ == "__main__":
    compare_modes(make_model, train_eager, train_static)
