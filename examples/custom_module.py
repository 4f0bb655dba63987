"""The seed's custom module: a TwoLayerNet subclass of nn.Module trained by SGD, eagerly and
as a static graph, from the same code.
Run: python examples/custom_module.py
"""

import numpy as np
from nn_two_layer import D_IN, D_OUT, H, N

import graphc as gc
import graphc.eager as ge
from graphc import nn, optim

LEARNING_RATE = 1e-4


class TwoLayerNet(nn.Module):
    """Linear, clamp at zero, Linear: the seed's model written as a Module."""

    def __init__(self, d_in, hidden, d_out):
        super().__init__()
        self.linear1 = nn.Linear(d_in, hidden, dtype=gc.float64)
        self.linear2 = nn.Linear(hidden, d_out, dtype=gc.float64)

    def forward(self, x):
        h_relu = self.linear1(x).clamp(min=0)
        return self.linear2(h_relu)


def train_eager(model, x, y, steps, log):
    loss_fn = nn.MSELoss(reduction="sum")
    optimizer = optim.SGD(model.parameters(), lr=LEARNING_RATE)
    for t in range(steps):
        loss = loss_fn(model(ge.tensor(x)), ge.tensor(y))
        log(t, loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def train_static(model, x_value, y_value, steps, log):
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float64, (None, D_IN))
        y = gc.placeholder(gc.float64, (None, D_OUT))
        loss = nn.MSELoss(reduction="sum")(model(x), y)
        train = optim.SGD(model.parameters(), lr=LEARNING_RATE).minimize(loss)
        init = gc.global_variables_initializer()
    with gc.Session(graph) as sess:
        sess.run(init)
        for t in range(steps):
            loss_value, _ = sess.run([loss, train], {x: x_value, y: y_value})
            log(t, loss_value)


def main(steps=500):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((N, D_IN)), rng.standard_normal((N, D_OUT))
    ge.manual_seed(0)
    eager_model, static_model = TwoLayerNet(D_IN, H, D_OUT), TwoLayerNet(D_IN, H, D_OUT)
    static_model.load_state_dict(eager_model.state_dict())
    train_eager(eager_model, x, y, steps, lambda t, loss: print("eager", t, loss))
    train_static(static_model, x, y, steps, lambda t, loss: print("static", t, loss))


if __name__ == "__main__":
    main()
