"""The seed's optim program: the nn model trained by Adam, eagerly (optimizer.step()) and as a
static graph (optimizer.minimize(loss), TensorFlow style).
Run: python examples/optim_adam.py
"""

import numpy as np
from nn_two_layer import D_IN, D_OUT, N, make_model

import graphc as gc
import graphc.eager as ge
from graphc import nn, optim

LEARNING_RATE = 1e-4


def train_eager(model, x, y, steps, log):
    loss_fn = nn.MSELoss(reduction="sum")
    optimizer = optim.Adam(model.parameters(), lr=LEARNING_RATE)
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
        train = optim.Adam(model.parameters(), lr=LEARNING_RATE).minimize(loss)
        init = gc.global_variables_initializer()  # Adam's moments and step count
    with gc.Session(graph) as sess:
        sess.run(init)
        for t in range(steps):
            loss_value, _ = sess.run([loss, train], {x: x_value, y: y_value})
            log(t, loss_value)


def main(steps=500):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((N, D_IN)), rng.standard_normal((N, D_OUT))
    ge.manual_seed(0)
    eager_model, static_model = make_model(), make_model()
    static_model.load_state_dict(eager_model.state_dict())
    train_eager(eager_model, x, y, steps, lambda t, loss: print("eager", t, loss))
    train_static(static_model, x, y, steps, lambda t, loss: print("static", t, loss))


if __name__ == "__main__":
    main()
