"""The nn examples, briefly: each trains one model eagerly and as a static graph, and the two
agree step by step. (tests/test_examples.py runs every example in full as a soak test.)"""

import contextlib
import io
from functools import partial

import custom_module
import nn_two_layer
import numpy as np
import optim_adam
import pytest

EXAMPLES = {
    "nn_two_layer": (nn_two_layer.make_model, nn_two_layer.train_eager,
                     nn_two_layer.train_static),
    "optim_adam": (optim_adam.make_model, optim_adam.train_eager, optim_adam.train_static),
    "custom_module": (lambda: custom_module.TwoLayerNet(nn_two_layer.D_IN, nn_two_layer.H,
                                                        nn_two_layer.D_OUT),
                      partial(optim_adam.train_eager, make_optimizer=custom_module.sgd),
                      partial(optim_adam.train_static, make_optimizer=custom_module.sgd)),
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_trains_the_same_eagerly_and_statically(name):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        nn_two_layer.compare_modes(*EXAMPLES[name], steps=20)
    losses: dict[str, list[float]] = {"eager": [], "static": []}
    for line in out.getvalue().splitlines():
        mode, _, loss = line.split()
        losses[mode].append(float(loss))
    assert len(losses["eager"]) == len(losses["static"]) == 20
    np.testing.assert_allclose(losses["static"], losses["eager"], rtol=1e-10)
    assert losses["eager"][-1] < losses["eager"][0]
