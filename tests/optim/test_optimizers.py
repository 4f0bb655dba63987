"""SGD, Adam, RMSprop and Adagrad against their formulas in numpy (tests/optim/formulas.py),
eagerly and in graphs, and eager vs static training of one model from one state dict."""

import numpy as np
import pytest

import graphc as gc
import graphc.eager as ge
from graphc import nn, optim
from tests.optim.formulas import C, CONFIGS, IDS, START, STEPS, replay

# float64: the replay computes the same expressions up to the association of a few
# products, a few ulps a step; six steps of a contraction keep that near 1e-15
RTOL = 1e-12


@pytest.mark.parametrize("opt_class,reference,hyper", CONFIGS, ids=IDS)
def test_eager_step_matches_formula(opt_class, reference, hyper):
    p = nn.Parameter(START.copy())
    opt = opt_class([p], **hyper)
    for _ in range(STEPS):
        opt.zero_grad()
        (p * p * C).sum().backward()
        opt.step()
    np.testing.assert_allclose(p.data, replay(reference, hyper), rtol=RTOL)


@pytest.mark.parametrize("opt_class,reference,hyper", CONFIGS, ids=IDS)
def test_static_minimize_matches_formula(opt_class, reference, hyper):
    p = nn.Parameter(START.copy())
    graph = gc.Graph()
    with graph.as_default():
        loss = gc.reduce_sum(p.variable(graph) ** 2 * C)
        train = opt_class([p], **hyper).minimize(loss)
        init = gc.global_variables_initializer()
    with gc.Session(graph) as sess:
        sess.run(init)
        for _ in range(STEPS):
            sess.run(train)
    np.testing.assert_allclose(p.data, replay(reference, hyper), rtol=RTOL)


def test_step_skips_parameters_without_gradients():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    opt = optim.SGD([a, b], lr=1.0)
    (a * 3).sum().backward()
    opt.step()
    np.testing.assert_array_equal(a.data, [-2.0, -2.0])
    np.testing.assert_array_equal(b.data, [1.0, 1.0])
    opt.zero_grad()
    assert a.grad is None


def test_bad_arguments():
    with pytest.raises(ValueError, match="empty list of parameters"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="Nesterov momentum needs momentum > 0"):
        optim.SGD([nn.Parameter(np.ones(1))], lr=0.1, nesterov=True)
    with pytest.raises(TypeError, match="optimizes nn Parameters, got Tensor"):
        optim.Adam([ge.tensor([1.0], requires_grad=True)])


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9),
                                  lambda ps: optim.Adam(ps, lr=0.01),
                                  lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5),
                                  lambda ps: optim.Adagrad(ps, lr=0.1, lr_decay=0.01)],
                         ids=["sgd", "adam", "rmsprop", "adagrad"])
def test_eager_and_static_training_agree(make):
    ge.manual_seed(0)
    eager_model = nn.Sequential(nn.Linear(4, 8, dtype=gc.float64), nn.Tanh(),
                                nn.Linear(8, 2, dtype=gc.float64))
    static_model = nn.Sequential(nn.Linear(4, 8, dtype=gc.float64), nn.Tanh(),
                                 nn.Linear(8, 2, dtype=gc.float64))
    static_model.load_state_dict(eager_model.state_dict())
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((16, 4)), rng.standard_normal((16, 2))
    loss_fn = nn.MSELoss()
    opt = make(eager_model.parameters())
    eager_losses = []
    for _ in range(25):
        opt.zero_grad()
        loss = loss_fn(eager_model(ge.tensor(x)), ge.tensor(y))
        loss.backward()
        opt.step()
        eager_losses.append(loss.item())
    graph = gc.Graph()
    with graph.as_default():
        xp, yp = gc.placeholder(gc.float64, (None, 4)), gc.placeholder(gc.float64, (None, 2))
        loss = loss_fn(static_model(xp), yp)
        train = make(static_model.parameters()).minimize(loss)
        init = gc.global_variables_initializer()
    with gc.Session(graph) as sess:
        sess.run(init)
        static_losses = [sess.run([loss, train], {xp: x, yp: y})[0] for _ in range(25)]
    assert eager_losses[-1] < 0.9 * eager_losses[0]  # it trained
    # the same float64 formulas on the same values: agreement to rounding, well under 1e-10
    np.testing.assert_allclose(static_losses, eager_losses, rtol=1e-10)
    for (name, p), (_, q) in zip(eager_model.named_parameters(),
                                 static_model.named_parameters()):
        np.testing.assert_allclose(q.data, p.data, rtol=1e-10, err_msg=name)


@pytest.mark.parametrize("opt_class,reference,hyper", CONFIGS, ids=IDS)
def test_minimize_trains_graph_variables(opt_class, reference, hyper):
    """gc.optim optimizers take gc.Variables too (TensorFlow-style graphs, no nn module)."""
    graph = gc.Graph()
    with graph.as_default():
        v = gc.Variable(START.copy(), name="v")
        loss = gc.reduce_sum(v ** 2 * C)
        train = opt_class([v], **hyper).minimize(loss)
        init = gc.global_variables_initializer()
    with gc.Session(graph) as sess:
        sess.run(init)
        for _ in range(STEPS):
            sess.run(train)
        value = sess.run(v)
    np.testing.assert_allclose(value, replay(reference, hyper), rtol=RTOL)


def test_parameters_and_variables_train_together():
    p, start = nn.Parameter(np.array([1.0, -2.0])), np.array([0.5, 3.0])
    graph = gc.Graph()
    with graph.as_default():
        v = gc.Variable(start)
        loss = gc.reduce_sum(p.variable(graph) ** 2) + gc.reduce_sum(v ** 2)
        train = optim.SGD([p, v], lr=0.25).minimize(loss)
        init = gc.global_variables_initializer()
    with gc.Session(graph) as sess:
        sess.run(init)
        sess.run(train)
        np.testing.assert_array_equal(sess.run(v), start * 0.5)
    np.testing.assert_array_equal(p.data, [0.5, -1.0])


def test_graph_variables_are_not_stepped_eagerly():
    v = gc.Variable(np.ones(2), name="v")
    opt = optim.SGD([v], lr=0.1)
    opt.zero_grad()  # nothing to zero
    with pytest.raises(TypeError, match="graph Variable 'v' is trained by the op minimize"):
        opt.step()
    other = gc.Graph()
    with other.as_default():
        loss = gc.reduce_sum(gc.Variable(np.ones(2)) ** 2)
    with pytest.raises(ValueError, match="Variable 'v' is not in the loss's graph"):
        opt.minimize(loss)


@pytest.mark.parametrize("make", [lambda ps: optim.Adam(ps, lr=0.05),
                                  lambda ps: optim.Adagrad(ps, lr=0.05, lr_decay=0.01)],
                         ids=["Adam", "Adagrad-lr_decay"])
def test_float32_static_steps_match_eager_steps(make):
    """In a graph, a rule's scalars from the step number (Adam's bias corrections, Adagrad's
    decayed rate) are computed in float64 and rounded once, as PyTorch computes them in
    Python floats: 50 float32 steps agree with the eager ones to a few ulps. (In float32,
    1 - 0.999^t keeps about four digits: Adam's weights then drifted 5e-4 apart.)"""
    c = C.astype(np.float32)

    def eager():
        p = nn.Parameter(START.astype(np.float32))
        opt = make([p])
        for _ in range(50):
            opt.zero_grad()
            (p * p * c).sum().backward()
            opt.step()
        return p.data.numpy()

    def static():
        p = nn.Parameter(START.astype(np.float32))
        graph = gc.Graph()
        with graph.as_default():
            train = make([p]).minimize(gc.reduce_sum(p.variable(graph) ** 2 * c))
            init = gc.global_variables_initializer()
        with gc.Session(graph) as sess:
            sess.run(init)
            for _ in range(50):
                sess.run(train)
        return p.data.numpy()

    np.testing.assert_allclose(static(), eager(), rtol=1e-6)


def test_adamw_decays_the_parameter_not_the_gradient():
    p = nn.Parameter(np.array([2.0, -1.0]))
    opt = optim.AdamW([p], lr=0.1)
    assert opt.defaults["weight_decay"] == 0.01
    p.grad = ge.tensor([0.0, 0.0], dtype=ge.float64)  # Adam's step is 0: the decay alone acts
    opt.step()
    np.testing.assert_array_equal(p.data.numpy(), np.array([2.0, -1.0]) * (1 - 0.1 * 0.01))


def test_a_dampened_momentum_buffer_is_its_own_memory():
    """SGD's first dampened step keeps the gradient as the buffer (PyTorch's b = g): a copy,
    so zero_grad(set_to_none=False) and gradients accumulated later leave it alone."""
    p = nn.Parameter(ge.ones(2, dtype=ge.float64))
    opt = optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5)
    (p * 3).sum().backward()
    opt.step()
    opt.zero_grad(set_to_none=False)
    (p * 2).sum().backward()
    opt.step()
    # b1 = g1 = 3; b2 = 0.9 * 3 + 0.5 * 2 = 3.7; p = 1 - 0.1 * 3 - 0.1 * 3.7
    np.testing.assert_allclose(opt.state_dict()["state"][0]["momentum_buffer"].numpy(),
                               [3.7, 3.7], rtol=1e-15)
    np.testing.assert_allclose(p.detach().numpy(), [1 - 0.3 - 0.37] * 2, rtol=1e-15)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("make", [
    lambda ps: optim.Adam(ps, lr=1e-2, weight_decay=1e-3),
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.5),
    lambda ps: optim.RMSprop(ps, lr=1e-2), lambda ps: optim.Adagrad(ps, lr=0.1),
    lambda ps: optim.AdamW(ps, lr=1e-2)], ids=["adam", "nesterov", "dampened", "rmsprop",
                                              "adagrad", "adamw"])
def test_an_eager_step_as_one_graph_run_gives_the_eager_ops_numbers(make, backend,
                                                                     monkeypatch):
    """Optimizer.step runs a group's update as one graph (optim/compiled_step.py), natively
    on numba: every bit as the rule's eager ops give it, float32, over steps where the
    learning rate changes (a new graph) and one parameter has no gradient."""
    monkeypatch.setenv("GRAPHC_BACKEND", backend)
    monkeypatch.setenv("GRAPHC_COMPILE", "wait")
    rng = np.random.default_rng(0)
    start = [rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal(4)
             .astype(np.float32)]
    runs = []
    for compiled in (True, False):
        params = [nn.Parameter(ge.tensor(a.copy())) for a in start]
        opt = make(params)
        opt.compiled.enabled = compiled
        for step in range(4):
            for p in params:
                p.grad = None
            loss = (params[0] * params[0]).sum() + (0 if step == 2 else params[1].sum() * 3)
            loss.backward()
            opt.param_groups[0]["lr"] *= 0.5 if step == 1 else 1.0
            opt.step()
        assert bool(opt.compiled.runs) == compiled
        runs.append([p.detach().numpy().copy() for p in params])
    for got, want in zip(*runs):
        np.testing.assert_array_equal(got, want)


def test_an_optimizer_whose_hyperparameters_keep_changing_steps_with_eager_ops():
    p = nn.Parameter(ge.tensor([1.0, 2.0], dtype=ge.float64))
    opt = optim.SGD([p], lr=0.1)
    for step in range(12):
        opt.param_groups[0]["lr"] = 0.1 / (step + 1)  # (a schedule set every step)
        p.grad = ge.tensor([1.0, 1.0], dtype=ge.float64)
        opt.step()
    assert opt.compiled.built[id(opt.param_groups[0])] > 8 and not opt.compiled.runs
    np.testing.assert_allclose(p.detach().numpy(),
                               np.array([1.0, 2.0]) - sum(0.1 / (s + 1) for s in range(12)),
                               rtol=1e-15)


def test_a_scalar_parameter_steps_as_one_graph_run():
    p = nn.Parameter(ge.tensor(1.0, dtype=ge.float64))
    opt = optim.Adam([p], lr=0.1)
    for _ in range(2):
        p.grad = ge.tensor(0.5, dtype=ge.float64)
        opt.step()
    assert opt.compiled.runs  # (graph runs give 0-d results as numpy scalars)
    # Adam's step with a constant gradient is lr each time (m / sqrt(v) = 1, less eps)
    np.testing.assert_allclose(p.item(), 1.0 - 0.2, rtol=1e-7)
    assert opt.state_dict()["state"][0]["exp_avg"].shape == ()


def test_rules_the_graph_cannot_follow_step_with_eager_ops():
    """A subclass's rule may branch on its Python step number; a hyperparameter of numpy's
    rounds in its own dtype (and an array prints 8 digits): eager ops, PyTorch's numbers."""
    class HalfFirst(optim.Optimizer):
        state_names = ()

        def __init__(self, params):
            super().__init__(params, lr=0.1)

        def update(self, p, g, state, step, group):
            return p - (group["lr"] * 0.5 if step == 1 else group["lr"]) * g, {}

    p = nn.Parameter(ge.tensor([1.0], dtype=ge.float64))
    opt = HalfFirst([p])
    for _ in range(2):
        p.grad = ge.tensor([1.0], dtype=ge.float64)
        opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [1.0 - 0.05 - 0.1], rtol=1e-15)
    assert not opt.compiled.runs
    for lr in (np.array(0.0012345678), np.float32(0.1)):
        q = nn.Parameter(ge.tensor([1.0], dtype=ge.float32))
        sgd = optim.SGD([q], lr=lr)
        q.grad = ge.tensor([1.0], dtype=ge.float32)
        sgd.step()
        assert not sgd.compiled.runs
        np.testing.assert_array_equal(q.detach().numpy(), np.float32(1.0) - np.float32(lr))


def test_each_group_has_its_own_graphs():
    params = [nn.Parameter(ge.tensor([float(i)], dtype=ge.float64)) for i in range(10)]
    opt = optim.SGD([{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(params)],
                    lr=0.1)
    for p in params:
        p.grad = ge.tensor([1.0], dtype=ge.float64)
    opt.step()
    assert len(opt.compiled.runs) == 10 and all(opt.compiled.runs.values())
    np.testing.assert_allclose([p.item() for p in params],
                               [i - 0.1 * (i + 1) for i in range(10)], rtol=1e-15)
