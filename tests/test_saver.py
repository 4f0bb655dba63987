"""Checkpoints: round trips, the file format, and every kind of bad checkpoint."""

import numpy as np
import pytest

import graphc as gc

VALUES = {
    "f32": np.array([[1.5, -2.0]], np.float32), "f64": np.array([3.25, 1e-300]),
    "i32": np.array([1, -7], np.int32), "i64": np.array([2 ** 40], np.int64),
    "flag": np.array([True, False]),
}


@pytest.fixture
def model():
    variables = {name: gc.Variable(value, name=name) for name, value in VALUES.items()}
    sess = gc.Session()
    sess.run(gc.global_variables_initializer())
    yield variables, sess
    sess.close()


def scramble(variables, sess):
    sess.run([v.assign(gc.zeros_like(v)) for v in variables.values()])


def current(variables, sess):
    return sess.run({name: v for name, v in variables.items()})


def test_round_trip_every_dtype(model, tmp_path):
    variables, sess = model
    path = gc.Saver().save(sess, tmp_path / "model.ckpt")
    assert path == str(tmp_path / "model.ckpt")
    scramble(variables, sess)
    gc.Saver().restore(sess, path)
    for name, value in current(variables, sess).items():
        np.testing.assert_array_equal(value, VALUES[name])
        assert value.dtype == VALUES[name].dtype


def test_the_file_is_plain_npz(model, tmp_path):
    _, sess = model
    path = gc.Saver().save(sess, tmp_path / "m.npz")
    with np.load(path, allow_pickle=False) as data:
        assert set(data.files) == set(VALUES) | {"__graphc_checkpoint__"}
        np.testing.assert_array_equal(data["i64"], VALUES["i64"])
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]  # no temporary file left


def test_a_failed_save_leaves_no_file(tmp_path):
    gc.Variable(np.zeros(2), name="never_initialized")
    with gc.Session() as sess:
        with pytest.raises(gc.FailedPreconditionError, match="never_initialized"):
            gc.Saver().save(sess, tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []


def test_var_list_subset_and_names(model, tmp_path):
    variables, sess = model
    path = gc.Saver([variables["f64"]]).save(sess, tmp_path / "part")
    with np.load(path) as data:
        assert set(data.files) == {"f64", "__graphc_checkpoint__"}


def bad_checkpoints(tmp_path, good):
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(open(good, "rb").read()[:200])
    text = tmp_path / "notes.txt"
    text.write_text("not a checkpoint")
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, f32=VALUES["f32"])
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, __graphc_checkpoint__=np.array("graphc-checkpoint-v1"),
             f32=np.array([{"code": "runs"}], dtype=object))
    renamed = tmp_path / "renamed.npz"
    np.savez(renamed, __graphc_checkpoint__=np.array("graphc-checkpoint-v1"),
             **{("F32" if k == "f32" else k): v for k, v in VALUES.items()})
    reshaped = tmp_path / "reshaped.npz"
    np.savez(reshaped, __graphc_checkpoint__=np.array("graphc-checkpoint-v1"),
             **{**VALUES, "f32": np.zeros((2, 1), np.float32)})
    retyped = tmp_path / "retyped.npz"
    np.savez(retyped, __graphc_checkpoint__=np.array("graphc-checkpoint-v1"),
             **{**VALUES, "i32": VALUES["i32"].astype(np.int64)})
    return [
        (tmp_path / "missing.npz", FileNotFoundError, "does not exist"),
        (truncated, ValueError, "cannot read checkpoint"),
        (text, ValueError, "cannot read checkpoint"),
        (foreign, ValueError, "is not a graphc checkpoint"),
        (pickled, ValueError, "cannot read checkpoint.*pickle"),
        (renamed, ValueError, "has no value for variable 'f32'"),
        (reshaped, ValueError, r"'f32' is float32\(1, 2\) but the file holds float32\(2, 1\)"),
        (retyped, ValueError, r"'i32' is int32\(2,\) but the file holds int64\(2,\)"),
    ]


def test_bad_checkpoints_name_the_file_and_change_nothing(model, tmp_path):
    variables, sess = model
    good = gc.Saver().save(sess, tmp_path / "good.npz")
    scramble(variables, sess)
    before = current(variables, sess)
    for path, error, message in bad_checkpoints(tmp_path, good):
        with pytest.raises(error, match=message) as err:
            gc.Saver().restore(sess, path)
        assert str(path) in str(err.value)
        for name, value in current(variables, sess).items():
            np.testing.assert_array_equal(value, before[name])
