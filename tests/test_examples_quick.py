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


def test_digits_classifier_trains_the_same_three_ways():
    """A short float64 run of examples/digits_classifier.py: TensorFlow style, PyTorch style
    and numpy by hand compute the same losses and weights (one formula, same minibatches;
    float64 rounding differs by ~1e-15 over 3 epochs, checked to 1e-10) and learn."""
    pytest.importorskip("sklearn")
    import digits_classifier

    lines = []
    results = digits_classifier.train_all(epochs=3, hidden=16, dtype="float64",
                                          log=lines.append)
    assert len(lines) == 3 and "seconds tf" in lines[0]
    reference = results["numpy"]
    assert reference["losses"][-1] < 0.5 * reference["losses"][0]
    for name in ("tf", "torch"):
        np.testing.assert_allclose(results[name]["losses"], reference["losses"], rtol=1e-10)
        for key, value in reference["weights"].items():
            np.testing.assert_allclose(results[name]["weights"][key], value, rtol=1e-10,
                                       atol=1e-12, err_msg=f"{name} {key}")
        # (TensorFlow style averages in float32: 1e-6 is below one digit in 450, 2.2e-3)
        assert results[name]["accuracy"] == pytest.approx(reference["accuracy"], abs=1e-6)
        assert len(results[name]["times"]) == 3
    assert reference["accuracy"] > 0.85
    report = []
    digits_classifier.report(results, log=report.append)
    assert report[0].split()[:2] == ["test", "accuracy"] and len(report) == 4
