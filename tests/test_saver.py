"""Checkpoints: round trips, the file format, and every kind of bad checkpoint."""

import io
import pathlib
import struct
import zipfile
import zlib

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
    # no temporary file left; "checkpoint" records the latest checkpoint, and the meta graph
    # is beside it, as in TensorFlow
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "checkpoint", "m.npz", "m.npz.meta", "m.npz.meta.npz"]


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
    single = tmp_path / "single.npy"
    np.save(single, VALUES["f32"])
    return [
        (tmp_path / "missing.npz", FileNotFoundError, "does not exist"),
        (truncated, ValueError, "cannot read checkpoint"),
        (text, ValueError, "cannot read checkpoint"),
        (foreign, ValueError, "is not a graphc checkpoint"),
        (pickled, ValueError, "cannot read checkpoint.*unpickling"),
        (single, ValueError, "cannot read checkpoint .*: it is a single .npy array, not an "
         ".npz archive"),
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
    for path, error, message in crafted_checkpoints(tmp_path):
        with pytest.raises(error, match=message) as err:
            gc.Saver().restore(sess, path)
        assert str(path) in str(err.value)
        for name, value in current(variables, sess).items():
            np.testing.assert_array_equal(value, before[name])


def npy(array=None, *, descr=None, shape=None, data=None, fortran=False):
    """The bytes of a .npy file: `array`'s, or a header stating `descr` and `shape` followed
    by `data` (which need not fit it)."""
    out = io.BytesIO()
    if array is not None:
        np.lib.format.write_array(out, np.asarray(array))
        return out.getvalue()
    np.lib.format.write_array_header_1_0(out, {"descr": descr, "fortran_order": fortran,
                                               "shape": shape})
    return out.getvalue() + data


def raw_zip(path, members):
    """Write a zip archive byte by byte, so that its directory can say anything: members are
    (name, data as stored, method, crc, uncompressed size, flags)."""
    out, directory = bytearray(), bytearray()
    for name, data, method, crc, size, flags in members:
        offset, encoded = len(out), name.encode()
        fields = (flags, method, 0, 33, crc, len(data), size, len(encoded))
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, *fields, 0) + encoded + data
        directory += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, *fields, 0, 0, 0, 0,
                                 0, offset) + encoded
    path.write_bytes(bytes(out + directory + struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), len(out),
        0)))
    return path


def stored(name, data, method=zipfile.ZIP_STORED, flags=0):
    return (name, data, method, zlib.crc32(data), len(data), flags)


def good_members(**changes):
    members = {"__graphc_checkpoint__.npy": npy(np.array("graphc-checkpoint-v2"))}
    members.update({f"{k}.npy": npy(v) for k, v in VALUES.items()})
    members.update(changes)
    return [stored(name, data) for name, data in members.items() if data is not None]


def zeros_bomb(name, nbytes):
    """A deflated member that inflates to a .npy header and `nbytes` zero bytes (its CRC is
    not computed: a reader that inflates it fails, after the whole of it)."""
    header = npy(descr="<f8", shape=(nbytes // 8,), data=b"")
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = compressor.compress(header) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(bytes(1 << 20)) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert block == compressor.compress(bytes(1 << 20)) + compressor.flush(zlib.Z_FULL_FLUSH)
    data = start + block * (nbytes >> 20) + compressor.flush()
    return (name, data, zipfile.ZIP_DEFLATED, 0, len(header) + nbytes, 0)


def crafted_checkpoints(tmp_path):
    """Checkpoints whose bytes say what no writer of them says; each raises ValueError."""
    huge = npy(descr="<f4", shape=(2 ** 40, 1024), data=bytes(8))  # declares 4 TiB
    big_shape = raw_zip(tmp_path / "big_shape.npz", good_members(**{"f32.npy": huge}))
    short = raw_zip(tmp_path / "short.npz", good_members(**{
        "f32.npy": npy(descr="<f4", shape=(1, 2), data=bytes(4))}))
    method = raw_zip(tmp_path / "method.npz", good_members()[:-1] + [
        stored("flag.npy", npy(VALUES["flag"]), method=99)])
    encrypted = raw_zip(tmp_path / "encrypted.npz", good_members()[:-1] + [
        stored("flag.npy", npy(VALUES["flag"]), flags=1)])
    not_array = raw_zip(tmp_path / "not_array.npz", good_members() + [
        stored("notes.txt", b"hello")])
    not_variable = raw_zip(tmp_path / "not_variable.npz", good_members(**{
        "_private.npy": npy(np.zeros(2))}))
    climbing = raw_zip(tmp_path / "climbing.npz", good_members(**{
        "../f32.npy": npy(VALUES["f32"])}))
    twice = raw_zip(tmp_path / "twice.npz", good_members() + [
        stored("f32.npy", npy(VALUES["f32"]))])
    bad_bool = raw_zip(tmp_path / "bad_bool.npz", good_members(**{
        "flag.npy": npy(descr="|b1", shape=(2,), data=b"\x01\x02")}))
    marker = raw_zip(tmp_path / "marker.npz", good_members(**{
        "__graphc_checkpoint__.npy": npy(np.arange(3))}))
    version = raw_zip(tmp_path / "version.npz", good_members(**{
        "__graphc_checkpoint__.npy": npy(np.array("graphc-checkpoint-v9"))}))
    bomb = raw_zip(tmp_path / "bomb.npz", good_members()[:-1] + [
        zeros_bomb("flag.npy", 3 << 30)])  # a variable's member declaring 3 GiB
    return [
        (big_shape, ValueError, r"'f32' is float32\(1, 2\) but the file holds "
         r"float32\(1099511627776, 1024\)"),
        (short, ValueError, "member 'f32.npy' holds 4 bytes of data, but a float32.* takes 8"),
        (method, ValueError, r"member 'flag.npy' is compressed \(method 99\)"),
        (encrypted, ValueError, "member 'flag.npy' is encrypted"),
        (not_array, ValueError, "member 'notes.txt' is not an array"),
        (not_variable, ValueError, "member '_private.npy' is not a variable"),
        (climbing, ValueError, r"member '\.\./f32.npy' is not a variable"),
        (twice, ValueError, "member 'f32.npy' appears twice"),
        (bad_bool, ValueError, "member 'flag.npy' holds bools other than 0 and 1"),
        (marker, ValueError, "member '__graphc_checkpoint__.npy' is a int64 array"),
        (version, ValueError, "is not a graphc checkpoint that this graphc reads"),
        (bomb, ValueError, r"'flag' is bool\(2,\) but the file holds float64\(402653184,\)"),
    ]


def test_a_member_that_is_not_restored_is_never_inflated(model, tmp_path):
    """A 3 MB file whose extra member inflates to 3 GiB: restore reads only the variables'
    members, so it never inflates it (its CRC is even wrong)."""
    variables, sess = model
    path = raw_zip(tmp_path / "bomb.npz", good_members() + [zeros_bomb("extra.npy", 3 << 30)])
    assert path.stat().st_size < 4 << 20
    scramble(variables, sess)
    gc.Saver().restore(sess, path)
    for name, value in current(variables, sess).items():
        np.testing.assert_array_equal(value, VALUES[name])


def test_a_fortran_ordered_member_restores(model, tmp_path):
    variables, sess = model
    value = np.asfortranarray(np.array([[1.5, -2.0]], np.float32))
    path = raw_zip(tmp_path / "fortran.npz", good_members(**{"f32.npy": npy(value)}))
    scramble(variables, sess)
    gc.Saver().restore(sess, path)
    np.testing.assert_array_equal(current(variables, sess)["f32"], value)


LEGAL = ["file", "allow_pickle", "layer1/w", "a.b-c_d", "7", "args", "kwds", "..", "../up",
         "x/./y", "..../z"]


def test_any_legal_name_is_saved_and_restored_faithfully(tmp_path):
    values = {name: np.array([k, -k], np.int64) for k, name in enumerate(LEGAL)}
    variables = {name: gc.Variable(value, name=name) for name, value in values.items()}
    assert [v.node.name for v in variables.values()] == LEGAL
    with gc.Session() as sess:
        sess.run(gc.global_variables_initializer())
        path = gc.Saver().save(sess, tmp_path / "names.npz")
        scramble(variables, sess)
        gc.Saver().restore(sess, path)
        for name, value in current(variables, sess).items():
            np.testing.assert_array_equal(value, values[name])
    with zipfile.ZipFile(path) as archive:  # no member climbs out of a folder
        assert not any(part in (".", "..") for name in archive.namelist()
                       for part in name.split("/"))
    with np.load(path, allow_pickle=False) as data:  # plain numpy reads it
        assert set(data.files) == set(LEGAL[:-3]) | {
            "%2E%2E/up", "x/%2E/y", "%2E%2E%2E%2E/z", "__graphc_checkpoint__"}
        assert str(data["__graphc_checkpoint__"]) == "graphc-checkpoint-v2"
        np.testing.assert_array_equal(data["allow_pickle"], values["allow_pickle"])
        np.testing.assert_array_equal(data["file"], values["file"])
        np.testing.assert_array_equal(data["%2E%2E/up"], values["../up"])


def test_a_name_that_is_not_legal_cannot_be_saved(tmp_path):
    v = gc.Variable(np.zeros(2), name="v")
    for name in ["__graphc_checkpoint__", "_x", "a b", "", "/abs", "x:0", "w\n"]:
        with pytest.raises(ValueError, match="a variable cannot be saved under the name "
                           + repr(name).replace("\\", "\\\\")):
            gc.Saver({name: v})
    with gc.Session() as sess:  # a legal key renames it in the file
        sess.run(gc.global_variables_initializer())
        path = gc.Saver({"graphc_checkpoint": v}).save(sess, tmp_path / "m.npz")
    with np.load(path) as data:
        assert set(data.files) == {"graphc_checkpoint", "__graphc_checkpoint__"}


# -- TensorFlow 1's global_step, checkpoint state file and latest_checkpoint -------------------
@pytest.fixture
def stepped():
    v = gc.Variable(np.array([1.0, 2.0]), name="v")
    step = gc.Variable(0, trainable=False, name="global_step")
    sess = gc.Session()
    sess.run(gc.global_variables_initializer())
    yield v, step, sess
    sess.close()


def test_save_with_global_step_writes_path_dash_step(stepped, tmp_path):
    v, step, sess = stepped
    saver = gc.train.Saver()
    prefix = str(tmp_path / "model.ckpt")
    assert saver.save(sess, prefix, global_step=199) == f"{prefix}-199"
    sess.run(step.assign(7))
    assert saver.save(sess, prefix, global_step=step) == f"{prefix}-7"  # a tensor is run
    assert saver.save(sess, prefix, global_step=np.int64(8)) == f"{prefix}-8"
    padded = gc.train.Saver(pad_step_number=True)
    assert padded.save(sess, prefix, global_step=3) == f"{prefix}-00000003"
    sess.run(v.assign([0.0, 0.0]))
    saver.restore(sess, f"{prefix}-7")
    np.testing.assert_array_equal(sess.run(v), [1.0, 2.0])


def test_the_checkpoint_file_is_tensorflows_and_latest_checkpoint_reads_it(stepped, tmp_path):
    v, step, sess = stepped
    saver = gc.train.Saver(max_to_keep=2)
    prefix = str(tmp_path / "model.ckpt")
    for i in range(1, 5):
        saver.save(sess, prefix, global_step=i)
    # an absolute folder: absolute paths, the kept ones oldest first; older files deleted
    assert (tmp_path / "checkpoint").read_text() == (
        f'model_checkpoint_path: "{prefix}-4"\n'
        f'all_model_checkpoint_paths: "{prefix}-3"\n'
        f'all_model_checkpoint_paths: "{prefix}-4"\n')
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint", *with_meta(
        "model.ckpt-3", "model.ckpt-4")]  # a deleted checkpoint's meta graph goes with it
    assert gc.train.latest_checkpoint(str(tmp_path)) == f"{prefix}-4"
    state = gc.train.get_checkpoint_state(tmp_path)
    assert state.all_model_checkpoint_paths == [f"{prefix}-3", f"{prefix}-4"]
    sess.run(v.assign([5.0, 5.0]))
    saver.restore(sess, gc.train.latest_checkpoint(tmp_path))
    np.testing.assert_array_equal(sess.run(v), [1.0, 2.0])


def with_meta(*checkpoints):
    """The files Saver.save writes for each checkpoint: it, its meta graph's arrays and its
    meta graph."""
    return [f"{c}{suffix}" for c in checkpoints for suffix in ("", ".meta", ".meta.npz")]


def test_a_relative_folder_gets_relative_paths(stepped, tmp_path, monkeypatch):
    _, _, sess = stepped
    monkeypatch.chdir(tmp_path)
    (tmp_path / "logs").mkdir()
    saver = gc.train.Saver(max_to_keep=None)
    for i in (1, 2):
        assert saver.save(sess, "logs/m", global_step=i) == f"logs/m-{i}"
    assert (tmp_path / "logs" / "checkpoint").read_text() == (
        'model_checkpoint_path: "m-2"\nall_model_checkpoint_paths: "m-1"\n'
        'all_model_checkpoint_paths: "m-2"\n')
    assert gc.train.latest_checkpoint("logs") == "logs/m-2"
    assert sorted(p.name for p in (tmp_path / "logs").iterdir()) == [
        "checkpoint", *with_meta("m-1", "m-2")]


def test_latest_checkpoint_of_nothing_is_none(stepped, tmp_path):
    _, _, sess = stepped
    assert gc.train.latest_checkpoint(tmp_path) is None
    assert gc.train.get_checkpoint_state(tmp_path) is None
    saved = gc.train.Saver().save(sess, str(tmp_path / "m"), global_step=1)
    assert gc.train.checkpoint_exists(saved)
    pathlib.Path(saved).unlink()
    assert gc.train.latest_checkpoint(tmp_path) is None  # recorded, but gone
    (tmp_path / "checkpoint").write_text("garbage\n")
    with pytest.raises(ValueError, match=r"checkpoint state file .*checkpoint, line 1: "
                                         "expected model_checkpoint_path"):
        gc.train.latest_checkpoint(tmp_path)


def test_write_state_false_and_a_quoted_path(stepped, tmp_path):
    _, _, sess = stepped
    gc.train.Saver().save(sess, str(tmp_path / "a"), write_state=False)
    assert not (tmp_path / "checkpoint").exists()
    odd = tmp_path / 'we"ird\\dir é'
    odd.mkdir()
    saved = gc.train.Saver().save(sess, str(odd / "m"), global_step=2)
    assert '\\"' in (odd / "checkpoint").read_text()
    assert gc.train.latest_checkpoint(odd) == saved


def test_save_errors_as_tensorflows(stepped, tmp_path):
    _, _, sess = stepped
    with pytest.raises(ValueError, match=r"Parent directory of .*nowhere/m doesn't exist, "
                                         "can't save."):
        gc.train.Saver().save(sess, str(tmp_path / "nowhere" / "m"))
    with pytest.raises(ValueError, match="Can't load save_path when it is None."):
        gc.train.Saver().restore(sess, None)


def test_the_state_file_never_leaves_the_folder_nor_replaces_a_checkpoint(stepped, tmp_path):
    _, _, sess = stepped
    (tmp_path / "sub").mkdir()
    saver = gc.train.Saver()
    for bad in ("../escaped", str(tmp_path / "elsewhere"), "a/b"):
        with pytest.raises(ValueError, match="'latest_filename' must not contain path "
                                             "components"):
            saver.save(sess, str(tmp_path / "sub" / "m"), latest_filename=bad)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["sub"]
    # a checkpoint saved as the state file's name would be replaced by the state file
    with pytest.raises(ValueError, match=r"checkpoint is the folder's checkpoint state file "
                                         r"\('checkpoint'\)"):
        saver.save(sess, str(tmp_path / "checkpoint"))
    with pytest.raises(ValueError, match="is the folder's checkpoint state file"):
        saver.save(sess, str(tmp_path / "m"), latest_filename="m")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub"]
    kept = gc.train.Saver().save(sess, str(tmp_path / "checkpoint"), write_state=False)
    with pytest.raises(ValueError, match=r"cannot write the checkpoint state file "
                                         r".*checkpoint: it is a graphc checkpoint"):
        saver.save(sess, str(tmp_path / "m"))
    assert gc.train.checkpoint_exists(kept)


def test_keep_checkpoint_every_n_hours_keeps_one_for_good(stepped, tmp_path, monkeypatch):
    _, _, sess = stepped
    clock = [1000.0]
    monkeypatch.setattr("graphc.saver.time.time", lambda: clock[0])
    saver = gc.train.Saver(max_to_keep=2, keep_checkpoint_every_n_hours=1)
    prefix = str(tmp_path / "m")
    for step, minutes in enumerate((0, 30, 61, 62, 63, 125, 126, 127)):
        clock[0] = 1000.0 + 60 * minutes
        saver.save(sess, prefix, global_step=step)
    # as TensorFlow: the first checkpoint dropped from the kept ones after the first hour
    # (written at 61 min) stays, and the first after the next hour (125 min)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "checkpoint", *with_meta("m-2", "m-5", "m-6", "m-7")]
    assert saver.last_checkpoints == [f"{prefix}-6", f"{prefix}-7"]
