"""The seed's DynamicNet: each forward pass reuses the middle layer a random number of times
(0 to 3). Eagerly that is a Python loop; in a static graph the depth is a fed int32 placeholder
and gc.while_loop runs the shared layer, so the graph is built and compiled once. Both train
with SGD and momentum on the same sequence of depths. They part ways after the first depth-0
step: eagerly the unused middle layer has no gradient, so SGD skips it, momentum included
(as PyTorch does); in the graph its gradient is zero and momentum still moves it (as
TensorFlow does).
Run: python examples/dynamic_net.py
"""

import numpy as np
from nn_two_layer import D_IN, D_OUT, H, compare_modes

import graphc as gc
import graphc.eager as ge
from graphc import nn, optim


class DynamicNet(nn.Module):
    def __init__(self, d_in, hidden, d_out):
        super().__init__()
        self.input_linear = nn.Linear(d_in, hidden, dtype=gc.float64)
        self.middle_linear = nn.Linear(hidden, hidden, dtype=gc.float64)
        self.output_linear = nn.Linear(hidden, d_out, dtype=gc.float64)

    def forward(self, x, depth):
        h_relu = self.input_linear(x).clamp(min=0)
        # The same middle layer on every trip: its gradient is the sum over the trips.
        _, h_relu = gc.while_loop(lambda i, h: i < depth,
                                  lambda i, h: (i + 1, self.middle_linear(h).clamp(min=0)),
                                  [0, h_relu])
        return self.output_linear(h_relu)


def depths(steps):
    return np.random.default_rng(1).integers(0, 4, steps)  # 0..3, the same in both modes


def sgd(parameters):
    return optim.SGD(parameters, lr=1e-4, momentum=0.9)


def train_eager(model, x, y, steps, log):
    loss_fn = nn.MSELoss(reduction="sum")
    optimizer = sgd(model.parameters())
    for t, depth in enumerate(depths(steps)):
        loss = loss_fn(model(ge.tensor(x), int(depth)), ge.tensor(y))
        log(t, loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def train_static(model, x_value, y_value, steps, log):
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float64, (None, D_IN))
        y = gc.placeholder(gc.float64, (None, D_OUT))
        depth = gc.placeholder(gc.int32, (), name="depth")
        loss = nn.MSELoss(reduction="sum")(model(x, depth), y)
        train = sgd(model.parameters()).minimize(loss)
        init = gc.global_variables_initializer()  # the momentum buffers
    with gc.Session(graph) as sess:
        sess.run(init)
        for t, d in enumerate(depths(steps)):
            loss_value, _ = sess.run([loss, train], {x: x_value, y: y_value, depth: d})
            log(t, loss_value)


if __name__ == "__main__":
    compare_modes(lambda: DynamicNet(D_IN, H, D_OUT), train_eager, train_static)
