"""The backends compute the same values as the numpy backend where numerics are delicate:
signed zeros and NaN in broadcast and fused loops (each elementwise op alone, on every
special value, is test_special_values.py's); integer powers (overflow wraps around, a
negative exponent is an error); empty, huge and overflowing float reductions;
check_numerics of a scalar. Values are compared bit for bit (NaN positions and the sign of
every zero included), and the numba runs are checked to have run as machine code: the test
suite sets GRAPHC_COMPILE=wait, so no run is interpreted while its segment compiles, and each
segment must have compiled (a run whose segment fails to compile is re-run on the numpy
references to name the op, which would raise the same error as the numpy backend)."""

import warnings

import numpy as np
import pytest

import graphc as gc
from graphc.runtime.backend import FallbackWarning
from graphc.runtime.cpu import codegen
from graphc.runtime.cpu.backend import NumbaExecutable

NUMBA = dict(backend="numba")
CUDA = dict(device="cuda")  # numba's CUDA simulator here (tests/conftest.py), or a GPU
BACKENDS = pytest.mark.parametrize("session", [NUMBA, CUDA], ids=["numba", "cuda"])

SPECIAL = [-0.0, 0.0, np.nan, -np.nan, np.inf, -np.inf, 1.5, -2.5, 1e-45, -1e-45]


def _placeholders(feeds):
    return [gc.placeholder(gc.as_dtype(v.dtype), [None] * np.ndim(v)) for v in feeds]


def run(session, build, *feed_sets):
    """The fetch of build(*placeholders) on Session(**session), in a fresh graph, once with
    each of `feed_sets` (one graph, one session). A numba run must have run every segment
    natively, and no op may fall back to its reference; returns the values, each the
    exception its run raised if it raised one."""
    graph = gc.Graph()
    with graph.as_default():
        inputs = _placeholders(feed_sets[0])
        out = build(*inputs)
    values = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", FallbackWarning)
        with gc.Session(graph, **session) as sess:
            for feeds in feed_sets:
                try:
                    values.append(sess.run(out, dict(zip(inputs, feeds))))
                except gc.InvalidArgumentError as err:
                    values.append(err)
            executables = list(sess._cache.values())
    if session.get("backend") == "numba":
        (executable,) = [e for _, e in executables]
        assert isinstance(executable, NumbaExecutable) and executable.segments
        assert executable.native  # machine code ran, not the interpreter tier...
        for segment in executable.segments:  # ...compiled for these arguments
            assert segment.tiered.function.signatures
    return values


def assert_same(got, want, bits=False):
    """got equals want: dtype, shape, values, NaN positions, the sign of each non-NaN value
    (a zero's included); with `bits`, every bit (for results that are one of the inputs)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    nan = np.isnan(want) if want.dtype.kind == "f" else np.zeros(want.shape, bool)
    np.testing.assert_array_equal(np.isnan(got) if got.dtype.kind == "f" else nan, nan)
    np.testing.assert_array_equal(np.signbit(got)[~nan], np.signbit(want)[~nan])
    if bits:
        unsigned = f"u{want.dtype.itemsize}"
        np.testing.assert_array_equal(got.view(unsigned), want.view(unsigned))


def assert_agree(session, build, *feeds, bits=False):
    """Session(**session) and the numpy backend give the same value, or both raise
    InvalidArgumentError with numpy's message; returns the numpy backend's value."""
    (want,) = run(dict(backend="numpy"), build, feeds)
    (got,) = run(session, build, feeds)
    if isinstance(want, Exception):
        assert isinstance(got, gc.InvalidArgumentError), got
        assert str(want).split(": ")[-1] in str(got)
    else:
        assert not isinstance(got, Exception), got
        assert_same(got, want, bits)
    return want


# -- signed zeros and NaN: each op on its own is test_special_values.py's --------------------
@BACKENDS
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_maximum_and_minimum_of_zeros_and_nans_in_a_broadcast_loop(session, op, dtype):
    a = np.array(SPECIAL, dtype)
    fn = getattr(gc, op)
    want = assert_agree(session, lambda x, y: fn(gc.reshape(x, (-1, 1)), y), a, a, bits=True)
    assert np.isnan(want[2]).all() and np.isnan(want[:, 2]).all()  # NaN in either wins


def test_fused_relu_of_maximum_and_the_matmul_epilogues_keep_the_sign_of_zero():
    a, b = np.array(SPECIAL), np.array(SPECIAL[::-1])
    assert_agree(NUMBA, lambda x, y: gc.relu(gc.maximum(x, y) * 1.0), a, b, bits=True)
    x = np.array([[-1.0], [0.0], [np.nan], [2.0]])  # products -0.0, 0.0, NaN, 0.0
    w = np.array([[0.0, -0.0]])
    assert_agree(NUMBA, lambda x, w: gc.relu(gc.matmul(x, w)), x, w, bits=True)
    bias = np.array([-0.0, -0.0])
    assert_agree(NUMBA, lambda x, w, c: gc.relu(gc.matmul(x, w) + c), x, w, bias, bits=True)


# -- integer powers ---------------------------------------------------------------------------
@BACKENDS
@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_an_integer_power_with_a_negative_exponent_fails_on_every_backend(session, dtype):
    base, exponent = np.array([2, 3, 4], dtype), np.array([-1, 2, -2], dtype)
    want = assert_agree(session, gc.pow, base, exponent)
    assert isinstance(want, gc.InvalidArgumentError)
    assert "Integers to negative integer powers are not allowed" in str(want)
    fused = assert_agree(session, lambda a, b: a ** b + 1, base, exponent)
    assert isinstance(fused, gc.InvalidArgumentError)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_an_integer_power_wraps_around_as_numpy(dtype):
    base = np.array([3, 7, -5, 2, 0, 1, -1, 10], dtype)
    exponent = np.array([40, 30, 33, 64, 0, 99, 7, 19], dtype)
    want = assert_agree(NUMBA, gc.pow, base, exponent)
    assert want[4] == 1 and want[3] == 0  # 0 ** 0 and a product past the dtype
    assert_agree(NUMBA, lambda a, b: (a ** b) > 0, base, exponent)  # wrapped in the dtype


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_integer_arithmetic_in_a_fused_loop_wraps_in_the_dtype(dtype):
    big = np.iinfo(dtype).max
    a, b = np.array([big, -big, 3], dtype), np.array([big, big, 5], dtype)
    assert_agree(NUMBA, lambda x, y: (x * y + x) > 0, a, b)


# -- reductions -------------------------------------------------------------------------------
@BACKENDS
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_mean_of_no_elements_is_nan(session, dtype):
    empty = np.zeros((0, 3), dtype)
    for build in (gc.reduce_mean, lambda x: gc.reduce_mean(x, 0),
                  lambda x: gc.reduce_mean(x, 1, keepdims=True)):
        want = assert_agree(session, build, empty)
        assert np.isnan(want).all() if want.size else want.shape == (0, 1)
    want = assert_agree(session, lambda x: gc.reduce_mean(gc.transpose(x), 1),
                        np.zeros((0, 3), dtype))
    assert np.isnan(want).all()


@BACKENDS
def test_an_mse_loss_over_an_empty_batch_is_nan(session):
    prediction, target = np.zeros((0, 10), np.float32), np.zeros((0, 10), np.float32)
    want = assert_agree(session, lambda p, y: gc.nn.MSELoss()(p, y), prediction, target)
    assert np.isnan(want)


@pytest.mark.parametrize("layout", ["all", "leading axis", "two columns", "trailing axis"])
def test_a_float32_sum_of_2e7_ones_is_2e7_in_every_layout(layout):
    n = 20_000_000
    build, x = {
        "all": (gc.reduce_sum, np.ones(n, np.float32)),
        "leading axis": (lambda x: gc.reduce_sum(x, 0), np.ones((n, 1), np.float32)),
        "two columns": (lambda x: gc.reduce_sum(x, 0), np.ones((n, 2), np.float32)),
        "trailing axis": (lambda x: gc.reduce_sum(x, 1), np.ones((1, n), np.float32)),
    }[layout]
    want = assert_agree(NUMBA, build, x)
    assert (want == x.size // want.size).all()  # float32 alone would stop at 16777216
    mean = assert_agree(NUMBA, lambda x: gc.reduce_mean(x, 0), x)
    assert (mean == 1).all()


def test_a_float32_sum_past_the_largest_float32_is_inf_and_a_mean_is_rounded_once():
    big = np.array([3e38, 3e38], np.float32)
    for x, axis in ((big, None), (big.reshape(2, 1), 0), (big.reshape(1, 2), 1)):
        total = assert_agree(NUMBA, lambda t, axis=axis: gc.reduce_sum(t, axis), x)
        assert np.isposinf(total).all()
        # the float64 sum over the count, then rounded: 3e38, not the float32 sum's inf
        mean = assert_agree(NUMBA, lambda t, axis=axis: gc.reduce_mean(t, axis), x)
        assert (mean == np.float32(3e38)).all()


@BACKENDS
def test_a_max_with_a_nan_is_nan(session):
    x = np.array([[1.0, np.nan, 3.0], [np.nan, -1.0, 2.0]], np.float32)
    for axis in (None, 0, 1):
        want = assert_agree(session, lambda t, axis=axis: gc.reduce_max(t, axis), x)
        assert np.isnan(want).any()


# -- check_numerics of a scalar ---------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_check_numerics_of_a_scalar_runs_natively(dtype):
    check = lambda x: gc.check_numerics(x * 2, "the scalar")
    assert assert_agree(NUMBA, check, np.array(1.5, dtype)) == 3.0
    failed = assert_agree(NUMBA, check, np.array(np.inf, dtype))
    assert isinstance(failed, gc.InvalidArgumentError)


# -- how `where` is written in a generated loop -----------------------------------------------
def test_where_in_a_generated_loop_is_a_conditional_expression(monkeypatch):
    # numba's np.where on scalars makes an array per element: ~700x slower
    sources = []
    load = codegen.load_module
    monkeypatch.setattr(codegen, "load_module",
                        lambda source, *args: (sources.append(source), load(source, *args))[1])
    a, b = np.arange(5.0), np.arange(5.0)[::-1].copy()
    assert_agree(NUMBA, lambda x, y: gc.where(x > y, x, y), a, b)
    loops = [s for s in sources if "for i in range(flat.size)" in s]
    assert loops and not any("np.where" in s for s in sources)
    assert any(" if " in s and " else " in s for s in loops)
