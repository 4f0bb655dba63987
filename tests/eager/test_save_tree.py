"""graphc.eager.save / load of nested structures (a "tree" file): an optimizer's
state_dict() ({int: {str: tensor}} and lists of hyperparameters), a checkpoint dict of
module and optimizer state, numbers and strings; kept exactly, and never pickled."""

import json
import math
import zipfile
from collections import Counter, OrderedDict

import numpy as np
import pytest

import graphc.eager as torch


def test_nested_values_round_trip_with_their_types(tmp_path):
    weight = torch.tensor([[1.5, -2.0]], dtype=torch.float64)
    saved = {
        "state": {0: {"step": torch.tensor(3.0), "exp_avg": weight},
                  7: {"counts": np.array([1, 2], np.int32), "mask": torch.tensor([True])}},
        "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "nesterov": False, "params": [0, 7],
                          "name": "head", "foreach": None}],
        "epoch": 12, "loss": 1e-300, "nan": math.nan, "inf": -math.inf, "zero": -0.0,
        "empty": [[], (), {}], "numpy": [np.float64(0.25), np.int64(5), np.bool_(True)],
    }
    torch.save(saved, tmp_path / "t.pt")
    back = torch.load(tmp_path / "t.pt")
    assert list(back) == list(saved)
    assert list(back["state"]) == [0, 7] and list(back["state"][0]) == ["step", "exp_avg"]
    exp_avg = back["state"][0]["exp_avg"]
    assert isinstance(exp_avg, torch.Tensor) and exp_avg.dtype == torch.float64
    np.testing.assert_array_equal(exp_avg.numpy(), weight.numpy())
    assert back["state"][0]["step"].dtype == torch.float32 and back["state"][0]["step"].shape == ()
    assert back["state"][7]["counts"].dtype == torch.int32
    assert back["state"][7]["mask"].dtype == torch.bool
    group = back["param_groups"][0]
    assert group == saved["param_groups"][0]
    assert type(group["betas"]) is tuple and type(group["params"]) is list
    assert type(group["nesterov"]) is bool and type(back["epoch"]) is int
    assert back["loss"] == 1e-300 and math.isnan(back["nan"]) and back["inf"] == -math.inf
    assert math.copysign(1.0, back["zero"]) == -1.0
    assert back["empty"] == [[], (), {}]
    assert back["numpy"] == [0.25, 5, True] and type(back["numpy"][1]) is int


def test_a_checkpoint_dict_restores_model_and_optimizer(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    model(torch.ones(4, 3)).sum().backward()
    opt.step()
    torch.save({"epoch": 1, "model_state_dict": model.state_dict(),
                "optimizer_state_dict": opt.state_dict(), "loss": torch.tensor(0.5)},
               tmp_path / "checkpoint.tar")
    checkpoint = torch.load(tmp_path / "checkpoint.tar")
    other = torch.nn.Linear(3, 2)
    other_opt = torch.optim.Adam(other.parameters(), lr=0.5)
    other.load_state_dict(checkpoint["model_state_dict"])
    other_opt.load_state_dict(checkpoint["optimizer_state_dict"])
    assert checkpoint["epoch"] == 1 and checkpoint["loss"].item() == 0.5
    assert other_opt.param_groups[0]["lr"] == 0.01
    for p, q in zip(model.parameters(), other.parameters()):
        np.testing.assert_array_equal(opt.state[id(p)]["exp_avg"].numpy(),
                                      other_opt.state[id(q)]["exp_avg"].numpy())


def test_a_flat_state_dict_keeps_its_format(tmp_path):
    torch.save(torch.nn.Linear(2, 1).state_dict(), tmp_path / "m.pt")
    with np.load(tmp_path / "m.pt") as plain:
        assert sorted(plain.files) == ["__graphc_eager__", "bias", "weight"]
        assert str(plain["__graphc_eager__"]) == "dict"
    assert isinstance(torch.load(tmp_path / "m.pt"), OrderedDict)


def test_a_tree_file_is_npz_with_a_json_structure(tmp_path):
    torch.save({"a": [torch.ones(2), 3], 4: None}, tmp_path / "t.pt")
    with np.load(tmp_path / "t.pt") as plain:
        assert sorted(plain.files) == ["0", "__graphc_eager__", "__graphc_tree__"]
        assert json.loads(str(plain["__graphc_tree__"])) == [
            "dict", [["a", ["list", [["tensor", 0], 3]]], [4, None]]]


def test_dict_subclasses_load_as_dicts(tmp_path):
    torch.save({"milestones": Counter([3, 3, 5])}, tmp_path / "c.pt")
    assert torch.load(tmp_path / "c.pt") == {"milestones": {3: 2, 5: 1}}


def test_load_applies_map_location_to_every_tensor(tmp_path):
    torch.save([torch.ones(1), {"x": torch.zeros(2)}], tmp_path / "t.pt")
    back = torch.load(tmp_path / "t.pt", map_location="cpu")
    assert back[0].device == "cpu" and back[1]["x"].device == "cpu"


@pytest.mark.parametrize("obj, error, words", [
    ({"f": print}, TypeError, r"the object\['f'\] is a builtin_function_or_method"),
    ([{"a": np.ones(2, complex)}], TypeError, r"the object\[0\]\['a'\] is a complex128 array"),
    ({True: 1}, TypeError, "has the key True; a saved dict's keys must be strings or ints"),
    ({(1, 2): 1}, TypeError, "has the key"),
    (object(), TypeError, "the object is a object"),
], ids=["function", "complex", "bool_key", "tuple_key", "object"])
def test_save_refuses_what_a_tree_cannot_hold(tmp_path, obj, error, words):
    with pytest.raises(error, match=words):
        torch.save(obj, tmp_path / "x")


def test_save_refuses_a_structure_that_contains_itself(tmp_path):
    loop: list = [1]
    loop.append(loop)
    with pytest.raises(ValueError, match=r"save: the object\[1\] contains itself"):
        torch.save(loop, tmp_path / "x")
    deep: list = [1]
    for _ in range(100):
        deep = [deep]
    with pytest.raises(ValueError, match="nests containers more than 100 deep"):
        torch.save(deep, tmp_path / "x")
    torch.save(deep[0], tmp_path / "x")  # 100 deep: fine
    assert torch.load(tmp_path / "x") == deep[0]
    shared = [torch.ones(1)]
    torch.save({"a": shared, "b": shared}, tmp_path / "ok")  # shared, not circular: fine
    back = torch.load(tmp_path / "ok")
    assert back["a"][0] is not back["b"][0]


class _Evil:
    def __reduce__(self):
        return (print, ("unpickled",))


@pytest.mark.parametrize("tree, entries, words", [
    ("not json", {}, "entry is not JSON"),
    (json.dumps(["tensor", 1]), {"0": np.ones(1)}, "holds \\['tensor', 1\\]"),
    (json.dumps(["list", [["tensor", 0], ["tensor", 0]]]), {"0": np.ones(1)},
     "holds \\['tensor', 0\\]"),
    (json.dumps(["set", [1]]), {}, "holds \\['set', \\[1\\]\\]"),
    (json.dumps(["dict", [[[1], 2]]]), {}, "holds \\['dict'"),
    (json.dumps(["dict", [[True, 2]]]), {}, "holds \\['dict'"),
    (json.dumps({"a": 1}), {}, "holds \\{'a': 1\\}"),
    (json.dumps(1), {"5": np.ones(1)}, "with the entries"),
    (json.dumps(["tensor", 0]), {"0": np.array(["x"])}, "holds <U1 data"),
    ("[" * 100000 + "]" * 100000, {}, "entry is not JSON"),
    ('["list", [' * 101 + "1" + "]]" * 101, {}, "nests containers more than 100 deep"),
], ids=["json", "index", "reused", "tag", "key", "bool_key", "object", "names", "strings",
        "deep_json", "deep_lists"])
def test_load_refuses_crafted_tree_files(tmp_path, tree, entries, words):
    path = tmp_path / "crafted.npz"
    np.savez(path, __graphc_eager__=np.array("tree"), __graphc_tree__=np.array(tree),
             **entries)
    with pytest.raises(RuntimeError, match=words):
        torch.load(path)


def test_load_refuses_a_tree_entry_that_is_not_text_and_never_unpickles(tmp_path, capsys):
    path = tmp_path / "crafted.npz"
    np.savez(path, __graphc_eager__=np.array("tree"), __graphc_tree__=np.ones(2))
    with pytest.raises(RuntimeError, match="'__graphc_tree__' entry is not a text"):
        torch.load(path)
    np.savez(path, __graphc_eager__=np.array("tree"),
             __graphc_tree__=np.array([_Evil()], object))
    with pytest.raises(RuntimeError, match="never unpickles"):
        torch.load(path)
    assert "unpickled" not in capsys.readouterr().out
    with zipfile.ZipFile(path) as archive:
        assert "__graphc_tree__.npy" in archive.namelist()


def _npy_header(dtype, shape):
    """A .npy file's bytes up to its data, for a member that claims `shape`."""
    import io

    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        out, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False,
              "shape": shape})
    return out.getvalue()


def test_load_reads_no_more_than_a_member_holds(tmp_path):
    # a member whose header claims 8 TiB, in a file of a few hundred bytes: refused by its
    # size before anything is allocated
    path = tmp_path / "huge.pt"
    with zipfile.ZipFile(path, "w") as archive:
        with archive.open("__graphc_eager__.npy", "w") as member:
            np.lib.format.write_array(member, np.array("tensor"))
        archive.writestr("tensor.npy", _npy_header(np.float64, (2**40,)))
    with pytest.raises(RuntimeError, match="holds 0 bytes of data, but a float64"):
        torch.load(path)
    deflated = tmp_path / "deflated.pt"  # graphc writes stored members; inflating is refused
    torch.save(torch.ones(3), tmp_path / "ok.pt")
    with zipfile.ZipFile(tmp_path / "ok.pt") as src, \
            zipfile.ZipFile(deflated, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            dst.writestr(name, src.read(name))
    with pytest.raises(RuntimeError, match="is compressed"):
        torch.load(deflated)


@pytest.mark.parametrize("dtype", [np.float16, np.uint32, np.uint64, np.complex64])
def test_save_and_load_take_only_graphcs_dtypes(tmp_path, dtype):
    with pytest.raises(TypeError, match=f"is a {np.dtype(dtype)} array"):
        torch.save({"w": np.ones(2, dtype)}, tmp_path / "x")
    np.savez(tmp_path / "crafted.npz", __graphc_eager__=np.array("dict"), w=np.ones(2, dtype))
    with pytest.raises(RuntimeError, match=f"holds {np.dtype(dtype)} data, not a tensor's"):
        torch.load(tmp_path / "crafted.npz")


def test_load_refuses_a_tree_with_tensors_it_does_not_use(tmp_path):
    np.savez(tmp_path / "crafted.npz", __graphc_eager__=np.array("tree"),
             __graphc_tree__=np.array(json.dumps(["tensor", 0])), **{"0": np.ones(1),
                                                                      "1": np.ones(1)})
    with pytest.raises(RuntimeError, match="uses 1 of its 2 tensors"):
        torch.load(tmp_path / "crafted.npz")


def test_load_reads_a_file_object_from_where_it_stands(tmp_path):
    import io

    buffer = io.BytesIO()
    buffer.write(b"header")
    torch.save({"epoch": 3, "w": torch.arange(3)}, buffer)
    buffer.seek(6)
    back = torch.load(buffer)
    assert back["epoch"] == 3 and back["w"].tolist() == [0, 1, 2]
    back["w"] += 1  # a loaded tensor is writable
    assert back["w"].tolist() == [1, 2, 3]


def test_load_refuses_members_that_overlap(tmp_path):
    # every member's data runs to one shared payload at the end (each local header inside
    # the member before): read as many times as there are members, were it accepted
    import struct
    import zlib

    payload = _npy_header(np.uint8, (1000,)) + bytes(1000)
    crc = zlib.crc32(payload)
    kind = io_bytes(np.array("dict"))
    out = bytearray()
    entries = []
    entries.append(("__graphc_eager__.npy", len(out), kind))
    out += _local("__graphc_eager__.npy", kind, zlib.crc32(kind)) + kind
    names = [f"w{i}.npy" for i in range(5)]
    offsets = []
    for name in names:  # headers back to back, then the one payload they all read
        offsets.append(len(out))
        out += _local(name, payload, crc)
    out += payload
    central = bytearray()
    for name, offset, data in entries:
        central += _central(name, data, zlib.crc32(data), offset)
    for name, offset in zip(names, offsets):
        central += _central(name, payload, crc, offset)
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(names) + 1, len(names) + 1,
                      len(central), len(out), 0)
    path = tmp_path / "overlap.pt"
    path.write_bytes(bytes(out + central + end))
    with pytest.raises(RuntimeError, match="claim more bytes than the file holds"):
        torch.load(path)


def io_bytes(array):
    """An array's .npy bytes."""
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array)
    return buffer.getvalue()


def _local(name, data, crc):
    """A zip local file header (stored, no extra field) for `data`, without the data."""
    import struct

    raw = name.encode()
    return struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 0, 0, 0, crc, len(data), len(data),
                       len(raw), 0) + raw


def _central(name, data, crc, offset):
    """A zip central directory entry for a stored member whose local header is at
    `offset`."""
    import struct

    raw = name.encode()
    return struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, crc, len(data),
                       len(data), len(raw), 0, 0, 0, 0, 0, offset) + raw


def test_load_says_what_is_wrong_with_a_path_or_a_stream(tmp_path):
    import io

    with pytest.raises(FileNotFoundError, match="no such file"):
        torch.load(tmp_path / "missing.pt")

    class Unseekable(io.BytesIO):
        def seekable(self):
            return False

    buffer = Unseekable()
    torch.save(torch.ones(2), buffer)
    buffer.seek(0)
    with pytest.raises(RuntimeError, match="cannot seek"):
        torch.load(buffer)
    with pytest.raises(TypeError, match="neither a path nor a binary file object"):
        torch.load(object())


def test_load_refuses_an_unbalanced_header_with_its_words(tmp_path):
    path = tmp_path / "header.pt"
    with zipfile.ZipFile(path, "w") as archive:
        with archive.open("__graphc_eager__.npy", "w") as member:
            np.lib.format.write_array(member, np.array("tensor"))
        text = b"{'descr': '<f4', 'fortran_order': False, 'shape': (1, "
        text += b" " * (63 - (10 + len(text)) % 64) + b"\n"
        archive.writestr("tensor.npy", np.lib.format.magic(1, 0) +
                         len(text).to_bytes(2, "little") + text)
    with pytest.raises(RuntimeError, match="not a file graphc.eager.save wrote"):
        torch.load(path)
