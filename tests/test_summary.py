"""gc.summary: TensorFlow 1's summary API. Scalar and histogram summaries are fetched by
Session.run and written by a FileWriter; TensorBoard's own reader (EventAccumulator) reads
the event file back. Without the tensorboard package, building and running summaries works
and FileWriter says how to install it."""

import re
import subprocess
import sys

import numpy as np
import pytest

import graphc as gc
from graphc.summary import MergedSummary

NO_TENSORBOARD = "tensorboard is not installed (pip install 'graphc[tensorboard]')"


def reader(logdir):
    """TensorBoard's reader of the event files in logdir, loaded (every event kept)."""
    event_accumulator = pytest.importorskip(
        "tensorboard.backend.event_processing.event_accumulator", reason=NO_TENSORBOARD)
    accumulator = event_accumulator.EventAccumulator(
        str(logdir), size_guidance={"scalars": 0, "histograms": 0, "graph": 1})
    accumulator.Reload()
    return accumulator


def test_training_writes_scalars_histograms_and_the_graph(tmp_path):
    pytest.importorskip("tensorboard", reason=NO_TENSORBOARD)
    rng = np.random.default_rng(0)
    x_data = rng.standard_normal((8, 3)).astype(np.float32)
    y_data = x_data @ np.array([[1.0], [-2.0], [0.5]], np.float32)
    x = gc.placeholder(gc.float32, (None, 3), name="x")
    y = gc.placeholder(gc.float32, (None, 1), name="y")
    w = gc.Variable(rng.standard_normal((3, 1)).astype(np.float32), name="weights")
    with gc.name_scope("model"):
        loss = gc.reduce_mean(gc.square(gc.matmul(x, w) - y), name="loss")
    (grad,) = gc.gradients(loss, [w])
    train = w.assign_sub(0.1 * grad)
    gc.summary.scalar("loss", loss)
    with gc.name_scope("train"):
        gc.summary.histogram("weights", w)
    merged = gc.summary.merge_all()
    init = gc.global_variables_initializer()
    graph = gc.get_default_graph()

    losses, weights = [], []
    # the graph is written as it is when the FileWriter is made
    with gc.Session() as sess, gc.summary.FileWriter(tmp_path, sess.graph) as writer:
        sess.run(init)
        for step in range(5):
            # TensorFlow 1's spelling: the merged summary is fetched with the training op
            summary, loss_value, w_value, _ = sess.run([merged, loss, w, train],
                                                       {x: x_data, y: y_data})
            writer.add_summary(summary, step)
            assert isinstance(summary, MergedSummary) and summary["loss"] == loss_value
            losses.append(loss_value)
            weights.append(w_value)
    assert losses[-1] < losses[0]  # it trained

    events = reader(tmp_path)
    assert events.Tags()["scalars"] == ["loss"]
    assert events.Tags()["histograms"] == ["train/weights"]
    scalars = events.Scalars("loss")
    assert [e.step for e in scalars] == list(range(5))
    assert [np.float32(e.value) for e in scalars] == losses  # exactly, as float32
    assert all(type(v) is np.float32 for v in losses)

    histograms = events.Histograms("train/weights")
    assert [e.step for e in histograms] == list(range(5))
    for event, w_value in zip(histograms, weights, strict=True):
        h = event.histogram_value
        values = w_value.astype(np.float64).ravel()
        assert (h.num, h.min, h.max) == (values.size, values.min(), values.max())
        assert h.sum == pytest.approx(values.sum()) and h.sum_squares == pytest.approx(
            values @ values)
        # bucket i holds the values in [limit[i-1], limit[i]), as TensorFlow's histograms
        counts = np.bincount(np.searchsorted(h.bucket_limit, values, side="right"),
                             minlength=len(h.bucket))
        assert counts.tolist() == h.bucket and sum(h.bucket) == values.size
        assert h.bucket_limit == sorted(h.bucket_limit)

    graph_def = events.Graph()
    assert {n.name: n.op for n in graph_def.node} == {n.name: n.op for n in graph.nodes}
    nodes = {n.name: n for n in graph_def.node}
    assert list(nodes["model/matmul"].input) == ["x", "weights"]
    assert list(nodes["loss"].input) == ["model/loss"]  # the scalar summary's node
    assert all(n.device == "" for n in graph_def.node)
    assert nodes["x"].attr["dtype"].type == 1  # DT_FLOAT
    assert [d.size for d in nodes["x"].attr["shape"].shape.dim] == [-1, 3]
    assert [d.size for d in nodes["weights"].attr["_output_shapes"].list.shape[0].dim] == [3, 1]


def test_summary_protobufs_bytes_and_writer_behaviour(tmp_path):
    pytest.importorskip("tensorboard", reason=NO_TENSORBOARD)
    v = gc.placeholder(gc.float64, (None,), name="v")
    s = gc.summary.scalar("mean", gc.reduce_mean(v))
    h = gc.summary.histogram("values", v)
    with gc.Session() as sess:
        fetched = sess.run(gc.summary.merge([s, h]), {v: np.array([0.0, 1.0, -3.0, 1.0])})
        nan = sess.run(h, {v: np.array([1.0, np.nan])})
    # bytes() is the serialized Summary protobuf a TensorFlow run returns
    proto = gc.summary.Summary.FromString(bytes(fetched))
    assert [value.tag for value in proto.value] == ["mean", "values"]
    assert proto.value[0].simple_value == np.float32(-0.25)
    histo = proto.value[1].histo
    assert (histo.num, histo.min, histo.max, histo.sum) == (4, -3.0, 1.0, -1.0)
    # TensorFlow's default buckets: 0 is in [0, 1e-12), 1.0 in [0.9172..., 1.0089...)
    assert histo.bucket_limit[-4:] == [1e-12, 0.917246389039776, 1.0089710279437536,
                                       sys.float_info.max]
    assert histo.bucket[-4:] == [1, 0, 2, 0]
    with pytest.raises(gc.InvalidArgumentError, match="Nan in summary histogram for: values"):
        bytes(nan)

    with gc.summary.FileWriter(tmp_path / "run") as writer:
        assert writer.get_logdir() == str(tmp_path / "run")
        writer.add_summary(bytes(fetched), global_step=np.int64(7))  # bytes, a numpy step
        # a Summary protobuf made by hand, as TensorFlow 1 programs do for Python values
        writer.add_summary(gc.summary.Summary(value=[
            gc.summary.Summary.Value(tag="accuracy", simple_value=0.75)]), 7)
        with pytest.raises(TypeError, match="run it first"):
            writer.add_summary(s, 8)  # the summary as built, not what a run returned
        with pytest.raises(TypeError, match="graph tensor 'v:0'"):
            writer.add_summary(v, 8)
        writer.flush()
        events = reader(tmp_path / "run")
        assert [(e.step, e.value) for e in events.Scalars("accuracy")] == [(7, 0.75)]
        assert [e.step for e in events.Histograms("values")] == [7]
    with pytest.warns(UserWarning, match="closed FileWriter"):
        writer.add_summary(fetched, 9)  # dropped, as TensorFlow 1 does
    writer.reopen()
    writer.add_summary(fetched, 9)
    writer.close()
    assert [e.step for e in reader(tmp_path / "run").Scalars("mean")] == [7, 9]


def test_tags_collections_and_merging_follow_tensorflow_1():
    assert gc.summary.merge_all() is None  # no summaries yet
    x = gc.placeholder(gc.float32, (), name="x")
    a = gc.summary.scalar("loss", x)
    b = gc.summary.scalar("loss", x * 2)  # a taken name gets "_1", tag and node alike
    with gc.name_scope("eval"):
        c = gc.summary.scalar("loss", x * 3)
        d = gc.summary.scalar("my acc%", x, family="metrics")  # cleaned; family prefixes
    hidden = gc.summary.scalar("hidden", x, collections=[])
    extra = gc.summary.scalar("extra", x, collections=["extra"])
    assert [list(s) for s in (a, b, c, d, hidden)] == [
        ["loss"], ["loss_1"], ["eval/loss"], ["metrics/eval/metrics/my_acc_"], ["hidden"]]
    assert [t.node.name for t in d.values()] == ["eval/metrics/my_acc_"]
    assert list(gc.summary.merge_all()) == ["loss", "loss_1", "eval/loss",
                                            "metrics/eval/metrics/my_acc_"]
    assert list(gc.summary.merge_all(scope="eval")) == ["eval/loss",
                                                        "metrics/eval/metrics/my_acc_"]
    assert list(gc.summary.merge_all("extra")) == ["extra"]
    assert list(gc.summary.merge([extra, a, gc.summary.merge([b, a])])) == [
        "extra", "loss", "loss_1"]
    with gc.Session() as sess:
        fetched = sess.run(gc.summary.merge([a, b, hidden]), {x: 1.5})
        both = sess.run({"summary": a, "doubled": x * 2}, {x: 2.0})  # nested in fetches
    assert fetched == {"loss": 1.5, "loss_1": 3.0, "hidden": 1.5} and fetched.fetched
    assert both["summary"] == {"loss": 2.0} and both["doubled"] == 4.0

    with pytest.raises(ValueError, match="must be a scalar"):
        gc.summary.scalar("v", gc.placeholder(gc.float32, (2,)))
    with pytest.raises(TypeError, match="real numeric"):
        gc.summary.histogram("flags", gc.placeholder(gc.bool, (2,)))
    with pytest.raises(TypeError, match="gc.summary.merge takes"):
        gc.summary.merge([x])


def test_without_tensorboard_filewriter_says_how_to_install_it(tmp_path, monkeypatch):
    # every tensorboard module unimportable, as if the package were not installed
    for name in [n for n in sys.modules if n == "tensorboard" or n.startswith("tensorboard.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    hint = re.escape("pip install 'graphc[tensorboard]'")
    x = gc.placeholder(gc.float32, (), name="x")
    loss = gc.summary.scalar("loss", x * x)  # building and running need no tensorboard
    with gc.Session() as sess:
        fetched = sess.run(gc.summary.merge_all(), {x: 3.0})
    assert fetched == {"loss": 9.0}
    with pytest.raises(ImportError, match=hint):
        gc.summary.FileWriter(tmp_path / "logs", gc.get_default_graph())
    with pytest.raises(ImportError, match=hint):
        bytes(fetched)
    with pytest.raises(ImportError, match=hint):
        gc.summary.Summary  # noqa: B018 - the attribute loads tensorboard's protobuf class
    assert not (tmp_path / "logs").exists()
    assert list(loss) == ["loss"]


def test_importing_graphc_does_not_import_tensorboard():
    code = ("import sys, graphc; graphc.summary.scalar('s', graphc.constant(1.0)); "
            "print(sorted(m for m in sys.modules if m.startswith(('tensorboard', 'google'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


def test_a_summary_evaluates_in_the_default_session():
    x = gc.placeholder(gc.float32, ())
    loss_summary = gc.summary.scalar("loss", x * 2)
    merged = gc.summary.merge([loss_summary, gc.summary.histogram("x", x)])
    with pytest.raises(ValueError, match="No default session is registered"):
        loss_summary.eval(feed_dict={x: 1.0})
    with gc.Session() as sess:
        value = loss_summary.eval(feed_dict={x: 1.5})
        assert isinstance(value, MergedSummary) and value == {"loss": np.float32(3.0)}
        assert value.fetched and list(value)[0].kind == "scalar"
        assert merged.eval({x: 2.0}, session=sess) == {"loss": 4.0, "x": 2.0}
        with pytest.raises(TypeError, match="this summary holds values already"):
            value.eval()


def test_a_writer_the_program_never_closes_loses_no_event(tmp_path):
    """Events wait in a queue a background thread writes; a program that exits without
    close() (as tutorials leave their writers) still gets every one (graphc closes its open
    writers at exit)."""
    pytest.importorskip("tensorboard", reason=NO_TENSORBOARD)
    code = ("import sys, graphc as tf\n"
            "x = tf.placeholder(tf.float32, [])\n"
            "s = tf.summary.scalar('x', x)\n"
            "w = tf.summary.FileWriter(sys.argv[1])\n"
            "with tf.Session() as sess:\n"
            "    for i in range(25):\n"
            "        w.add_summary(sess.run(s, {x: float(i)}), i)\n")
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True,
                   env={**__import__("os").environ, "GRAPHC_BACKEND": "numpy"})
    events = reader(tmp_path).Scalars("x")
    assert [(e.step, e.value) for e in events] == [(i, float(i)) for i in range(25)]
