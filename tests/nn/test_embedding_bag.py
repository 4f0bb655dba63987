"""nn.EmbeddingBag and F.embedding_bag against a numpy loop over the bags, their gradients,
graphs, and PyTorch's errors."""

import numpy as np
import pytest

import graphc as gc
import graphc.eager as ge
import graphc.nn.functional as F
from graphc import nn
from tests.nn.modes import run_graph

rng = np.random.default_rng(3)


def reference(weight, bags, mode, bag_weights=None, padding_idx=None):
    """Each bag's sum, mean or max of weight's rows, one bag at a time (empty: zeros)."""
    out = np.zeros((len(bags), weight.shape[1]))
    for i, bag in enumerate(bags):
        scales = np.ones(len(bag)) if bag_weights is None else np.asarray(bag_weights[i])
        keep = [j for j, k in enumerate(bag) if k != padding_idx]
        if not keep:
            continue
        rows = weight[[bag[j] for j in keep]] * scales[keep][:, None]
        out[i] = {"sum": rows.sum(0), "mean": rows.mean(0), "max": rows.max(0)}[mode]
    return out


def cut(flat, offsets):
    ends = [*offsets[1:], len(flat)]
    return [list(flat[a:b]) for a, b in zip(offsets, ends)]


WEIGHT = rng.standard_normal((10, 4))
FLAT = np.array([1, 2, 4, 5, 4, 3, 2, 9, 7, 7])
OFFSETS = [0, 3, 3, 7]  # (bag 1 is empty)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_offsets_each_mode_against_a_loop(mode):
    out = F.embedding_bag(ge.tensor(FLAT), ge.tensor(WEIGHT), ge.tensor(OFFSETS), mode=mode)
    assert out.shape == (4, 4) and out.dtype == gc.float64
    np.testing.assert_allclose(out.numpy(), reference(WEIGHT, cut(FLAT, OFFSETS), mode),
                               rtol=1e-12)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_2d_input_each_mode_and_in_a_graph(mode):
    ids = rng.integers(0, 10, (3, 5))
    expected = reference(WEIGHT, ids.tolist(), mode)
    out = F.embedding_bag(ge.tensor(ids), ge.tensor(WEIGHT), mode=mode)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    graph_out = run_graph(lambda i, w: F.embedding_bag(i, w, mode=mode), ids, WEIGHT)
    np.testing.assert_allclose(graph_out, expected, rtol=1e-12)


def test_include_last_offset_and_padding_idx():
    offsets = [0, 3, 3, 7, 10]
    out = F.embedding_bag(ge.tensor(FLAT), ge.tensor(WEIGHT), ge.tensor(offsets),
                          mode="mean", include_last_offset=True, padding_idx=4)
    np.testing.assert_allclose(
        out.numpy(), reference(WEIGHT, cut(FLAT, offsets[:-1]), "mean", padding_idx=4),
        rtol=1e-12)
    ids = np.array([[4, 4], [1, 4]])  # (a bag of padding only: zeros)
    for mode in ("sum", "mean", "max"):
        out = F.embedding_bag(ge.tensor(ids), ge.tensor(WEIGHT), mode=mode, padding_idx=-6)
        np.testing.assert_allclose(out.numpy(), reference(WEIGHT, ids.tolist(), mode,
                                                          padding_idx=4), rtol=1e-12)


def test_gradients_of_weight_and_per_sample_weights():
    """d/dweight of sum(out * g) is the bags' g scattered onto their rows; d/dweights is each
    row's dot product with its bag's g."""
    weight = ge.tensor(WEIGHT, requires_grad=True)
    scales = rng.standard_normal(len(FLAT))
    psw = ge.tensor(scales, requires_grad=True)
    out = F.embedding_bag(ge.tensor(FLAT), weight, ge.tensor(OFFSETS), mode="sum",
                          per_sample_weights=psw)
    bags = cut(FLAT, OFFSETS)
    np.testing.assert_allclose(
        out.detach().numpy(),
        reference(WEIGHT, bags, "sum", cut(scales, OFFSETS)), rtol=1e-12)
    g = rng.standard_normal((4, 4))
    (out * ge.tensor(g)).sum().backward()
    bag_of = np.repeat(np.arange(4), np.diff([*OFFSETS, len(FLAT)]))
    expected_w = np.zeros_like(WEIGHT)
    for pos, (k, b) in enumerate(zip(FLAT, bag_of)):
        expected_w[k] += scales[pos] * g[b]
    np.testing.assert_allclose(weight.grad.numpy(), expected_w, rtol=1e-12)
    np.testing.assert_allclose(psw.grad.numpy(), (WEIGHT[FLAT] * g[bag_of]).sum(1),
                               rtol=1e-12)


@pytest.mark.parametrize("mode", ["mean", "max"])
def test_gradient_against_finite_differences(mode):
    ids = np.array([[1, 2, 2], [3, 0, 1]])
    g = rng.standard_normal((2, 4))

    def loss(w):
        return float((F.embedding_bag(ge.tensor(ids), ge.tensor(w), mode=mode).numpy()
                      * g).sum())

    weight = ge.tensor(WEIGHT, requires_grad=True)
    (F.embedding_bag(ge.tensor(ids), weight, mode=mode) * ge.tensor(g)).sum().backward()
    numeric = np.zeros((4, 4))  # (rows 0-3, the rows the bags use)
    for index in np.ndindex(4, 4):
        step = np.zeros_like(WEIGHT)
        step[index] = 1e-6
        numeric[index] = (loss(WEIGHT + step) - loss(WEIGHT - step)) / 2e-6
    np.testing.assert_allclose(weight.grad.numpy()[:4], numeric, atol=1e-7)
    assert not weight.grad.numpy()[4:].any()


def test_module_trains_and_shows_its_settings():
    ge.manual_seed(0)
    bag = nn.EmbeddingBag(10, 3, mode="sum", padding_idx=0)
    assert bag.weight.shape == (10, 3) and bag.weight.requires_grad
    assert not bag.weight.detach().numpy()[0].any()
    assert repr(bag) == "EmbeddingBag(10, 3, mode='sum', padding_idx=0)"
    out = bag(ge.tensor([1, 0, 2, 3]), ge.tensor([0, 2]))
    w = bag.weight.detach().numpy()
    np.testing.assert_allclose(out.detach().numpy(), [w[1], w[2] + w[3]], rtol=1e-6)
    out.sum().backward()
    assert not bag.weight.grad.numpy()[0].any()
    frozen = nn.EmbeddingBag.from_pretrained(ge.tensor(WEIGHT), mode="max")
    assert not frozen.weight.requires_grad and frozen.mode == "max"
    np.testing.assert_allclose(frozen(ge.tensor([[1, 2]])).numpy(), [WEIGHT[1:3].max(0)])


def test_constant_offsets_in_a_graph():
    offsets = [0, 3, 3, 7]
    out = run_graph(lambda i, w: F.embedding_bag(i, w, offsets, mode="sum"), FLAT, WEIGHT)
    np.testing.assert_allclose(out, reference(WEIGHT, cut(FLAT, offsets), "sum"), rtol=1e-12)
    with pytest.raises(ValueError, match="offsets must be known while the graph is built"):
        run_graph(lambda i, w, o: F.embedding_bag(i, w, o), FLAT, WEIGHT, np.array(offsets))


def test_errors_by_their_words():
    w, flat, ids = ge.tensor(WEIGHT), ge.tensor(FLAT), ge.tensor([[1, 2]])
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        F.embedding_bag(ids, w, ge.tensor([0]))
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(flat, w)
    with pytest.raises(ValueError, match="input has to be 1D or 2D Tensor, but got Tensor "
                                         "of dimension 3"):
        F.embedding_bag(ge.tensor([[[1]]]), w)
    with pytest.raises(ValueError, match="mode has to be one of sum, mean or max"):
        F.embedding_bag(ids, w, mode="min")
    with pytest.raises(NotImplementedError, match="per_sample_weights is only supported for "
                                                  "mode='sum' \\(got mode='mean'\\)"):
        F.embedding_bag(ids, w, per_sample_weights=ge.tensor([[1.0, 2.0]]))
    with pytest.raises(ValueError, match="must have the same shape as the input"):
        F.embedding_bag(ids, w, mode="sum", per_sample_weights=ge.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="offsets\\[0\\] has to be 0"):
        F.embedding_bag(flat, w, ge.tensor([1, 3]))
    with pytest.raises(RuntimeError, match="Expected tensor for argument #1 'indices'"):
        F.embedding_bag(ge.tensor([[1.0]]), w)
    with pytest.raises(NotImplementedError, match="sparse=True is not supported"):
        nn.EmbeddingBag(10, 3, sparse=True)
    with pytest.raises(NotImplementedError, match="max_norm is not supported"):
        nn.EmbeddingBag(10, 3, max_norm=1.0)
    with pytest.raises(NotImplementedError, match="scale_grad_by_freq=True is not supported"):
        F.embedding_bag(ids, w, scale_grad_by_freq=True)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.EmbeddingBag(10, 3, padding_idx=10)
