"""The seed's optim program: the nn model trained by Adam, eagerly (optimizer.step()) and as a
static graph (optimizer.minimize(loss), TensorFlow style).
Run: python examples/optim_adam.py
"""

from nn_two_layer import D_IN, D_OUT, compare_modes, make_model

import graphc as gc
import graphc.eager as ge
from graphc import nn, optim


def adam(parameters):
    return optim.Adam(parameters, lr=1e-4)


def train_eager(model, x, y, steps, log, make_optimizer=adam):
    loss_fn = nn.MSELoss(reduction="sum")
    optimizer = make_optimizer(model.parameters())
    for t in range(steps):
        loss = loss_fn(model(ge.tensor(x)), ge.tensor(y))
        log(t, loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def train_static(model, x_value, y_value, steps, log, make_optimizer=adam):
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float64, (None, D_IN))
        y = gc.placeholder(gc.float64, (None, D_OUT))
        loss = nn.MSELoss(reduction="sum")(model(x), y)
        train = make_optimizer(model.parameters()).minimize(loss)
        init = gc.global_variables_initializer()  # the optimizer's state, e.g. Adam's moments
    with gc.Session(graph) as sess:
        sess.run(init)
        for t in range(steps):
            loss_value, _ = sess.run([loss, train], {x: x_value, y: y_value})
            log(t, loss_value)


if __name__ == "__main__":
    compare_modes(make_model, train_eager, train_static)
