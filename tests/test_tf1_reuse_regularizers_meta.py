"""TensorFlow 1 programs: variable-scope reuse of unnamed layers, kernel/bias regularizers and
get_variable's regularizer, and meta graphs (Saver.save's `.meta`, import_meta_graph)."""

import json

import numpy as np
import pytest

import graphc as tf
from graphc import serialize


@pytest.fixture(autouse=True)
def fresh_graph():
    tf.reset_default_graph()
    yield
    tf.reset_default_graph()


# -- reuse of unnamed layers -----------------------------------------------------------------
def discriminator(x, reuse=False, extra=False):
    with tf.variable_scope("discriminator", reuse=reuse):
        h = tf.nn.leaky_relu(tf.layers.conv2d(x, 4, 3, strides=2, padding="same"))
        h = tf.layers.conv2d(h, 8, 3, strides=2, padding="same")
        h = tf.layers.dense(tf.layers.flatten(h), 1)
        return tf.layers.dense(h, 1) if extra else h


def test_a_reusing_scope_names_unnamed_layers_again():
    x = tf.placeholder(tf.float32, [None, 8, 8, 1])
    real = discriminator(x)
    names = [v.name for v in tf.trainable_variables()]
    assert names == ["discriminator/conv2d/kernel:0", "discriminator/conv2d/bias:0",
                     "discriminator/conv2d_1/kernel:0", "discriminator/conv2d_1/bias:0",
                     "discriminator/dense/kernel:0", "discriminator/dense/bias:0"]
    fake = discriminator(x * 1.0, reuse=True)
    assert [v.name for v in tf.trainable_variables()] == names  # nothing new
    data = np.random.RandomState(0).rand(2, 8, 8, 1).astype(np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        a, b = sess.run([real, fake], {x: data})
    np.testing.assert_array_equal(a, b)


def test_reuse_of_a_layer_never_built_names_it_in_the_error():
    x = tf.placeholder(tf.float32, [None, 8, 8, 1])
    discriminator(x)
    with pytest.raises(ValueError, match=r"^Variable discriminator/dense_1/kernel does not "
                       r"exist, or was not created with tf\.get_variable\(\)\. Did you mean to "
                       r"set reuse=tf\.AUTO_REUSE in VarScope\?$"):
        discriminator(x, reuse=True, extra=True)


def test_entering_a_scope_again_without_reuse_collides_as_in_tensorflow():
    x = tf.placeholder(tf.float32, [None, 3])
    with tf.variable_scope("a"):
        tf.layers.dense(x, 2)
        tf.layers.dense(x, 2)  # dense_1: unique within one visit
    with tf.variable_scope("a"):
        with pytest.raises(ValueError, match="Variable a/dense/kernel already exists, "
                           "disallowed"):
            tf.layers.dense(x, 2)
    tf.layers.dense(x, 2)
    tf.layers.dense(x, 2)  # at top level the names keep counting
    assert [v.name for v in tf.trainable_variables() if v.name.endswith("kernel:0")] == [
        "a/dense/kernel:0", "a/dense_1/kernel:0", "dense/kernel:0", "dense_1/kernel:0"]


def test_nested_and_captured_scopes_reuse_their_unnamed_layers():
    x = tf.placeholder(tf.float32, [None, 3])
    with tf.variable_scope("outer"):
        with tf.variable_scope("inner") as inner:
            tf.layers.dense(x, 2)
    before = list(tf.trainable_variables())
    with tf.variable_scope("outer", reuse=True):
        with tf.variable_scope("inner"):
            tf.layers.dense(x, 2)
    with tf.variable_scope(inner, reuse=True):  # a VariableScope re-entered
        tf.layers.dense(x, 2)
    with tf.variable_scope(inner, reuse=True):
        tf.layers.dense(x, 2)
    assert tf.trainable_variables() == before


# -- regularizers ----------------------------------------------------------------------------
def test_dense_regularizers_add_their_losses_once():
    x = tf.placeholder(tf.float32, [None, 3])
    l2 = lambda w: 1e-3 * tf.nn.l2_loss(w)  # noqa: E731
    l1 = lambda b: 0.5 * tf.reduce_sum(tf.abs(b))  # noqa: E731
    tf.layers.dense(x, 4, kernel_regularizer=l2, bias_regularizer=l1,
                    bias_initializer=tf.constant_initializer(-2.0), name="fc")
    tf.layers.dense(x, 4, kernel_regularizer=l2, bias_regularizer=l1, name="fc", reuse=True)
    losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    assert len(losses) == 2 and tf.losses.get_regularization_losses() == losses
    assert losses[0].name.startswith("fc/kernel/Regularizer/")
    assert losses[1].name.startswith("fc/bias/Regularizer/")
    total = tf.losses.get_regularization_loss()
    kernel, bias = tf.trainable_variables()
    grad, = tf.gradients(total, [kernel])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        k, b, t, g = sess.run([kernel, bias, total, grad])
    np.testing.assert_allclose(t, 1e-3 * np.sum(k ** 2) / 2 + 0.5 * np.abs(b).sum(), rtol=1e-6)
    np.testing.assert_allclose(g, 1e-3 * k, rtol=1e-6)


def test_conv_regularizers_and_get_variables():
    x = tf.placeholder(tf.float32, [None, 4, 4, 2])
    reg = lambda w: tf.reduce_sum(w)  # noqa: E731
    h = tf.layers.conv2d(x, 3, 3, padding="same", kernel_regularizer=reg)
    tf.layers.conv2d_transpose(h, 2, 3, strides=2, bias_regularizer=reg,
                               bias_initializer=tf.ones_initializer())
    w = tf.get_variable("w", [2, 2], initializer=tf.ones_initializer(),
                        regularizer=lambda v: 3.0 * tf.reduce_sum(v))
    tf.get_variable("quiet", [2], regularizer=lambda v: None)  # None: no loss
    with tf.variable_scope("s", regularizer=lambda v: 2.0 * tf.reduce_sum(v)):
        tf.get_variable("u", [3], initializer=tf.ones_initializer())
        with tf.variable_scope("t"):  # inherited
            tf.get_variable("v", [1], initializer=tf.ones_initializer())
    losses = tf.losses.get_regularization_losses()
    assert [t.name.split("/Regularizer/")[0] for t in losses] == [
        "conv2d/kernel", "conv2d_transpose/bias", "w", "s/u", "s/t/v"]
    assert tf.losses.get_regularization_losses("s/") == losses[3:]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        kernel = sess.run(tf.trainable_variables()[0])
        values = sess.run(losses)
    # the kernel's float32 sum, in whatever order: each of both sums' n - 1 additions rounds
    # by at most 2^-24 of a partial sum, itself at most sum |k| (the values may cancel)
    bound = 2 * (kernel.size - 1) * 2.0 ** -24 * np.abs(kernel).sum(dtype=np.float64)
    np.testing.assert_allclose(values[0], kernel.sum(dtype=np.float64), rtol=0, atol=bound)
    np.testing.assert_array_equal(values[1:], [2.0, 12.0, 6.0, 2.0])
    assert w.name == "w:0"
    with tf.variable_scope(tf.get_variable_scope(), reuse=True):
        tf.get_variable("w", [2, 2], regularizer=lambda v: 3.0 * tf.reduce_sum(v))
    assert len(tf.losses.get_regularization_losses()) == 5  # reuse adds none


def test_activity_regularizer_is_still_refused():
    x = tf.placeholder(tf.float32, [None, 3])
    with pytest.raises(NotImplementedError, match="dense: activity_regularizer is not "
                       "supported"):
        tf.layers.dense(x, 2, activity_regularizer=lambda y: tf.reduce_sum(y))


# -- meta graphs -----------------------------------------------------------------------------
X = np.random.RandomState(1).rand(8, 3).astype(np.float32)
Y = X @ np.array([[2.0], [-1.0], [0.5]], np.float32) + 0.3


def build():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    y = tf.placeholder(tf.float32, [None, 1], name="y")
    w = tf.get_variable("W", [3, 1], initializer=tf.zeros_initializer())
    b = tf.get_variable("b", [1], initializer=tf.zeros_initializer())
    pred = tf.add(tf.matmul(x, w), b, name="pred")
    loss = tf.reduce_mean(tf.square(pred - y), name="loss")
    tf.losses.add_loss(loss)
    step = tf.train.get_or_create_global_step()
    train = tf.train.GradientDescentOptimizer(0.3).minimize(loss, global_step=step,
                                                            name="train")
    tf.add_to_collection("train_op", train)
    tf.add_to_collection("notes", "not a graph element")  # left out of the meta graph
    return x, y, pred, train, step


def saved_model(tmp_path, saver_vars=None):
    x, y, pred, train, _ = build()
    saver = tf.train.Saver(saver_vars, max_to_keep=1)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in range(1, 7):
            sess.run(train, {x: X, y: Y})
            if step % 3 == 0:
                path = saver.save(sess, str(tmp_path / "model"), global_step=step)
        expected = sess.run(pred, {x: X})
    return path, expected


def test_save_writes_a_meta_graph_that_import_meta_graph_restores(tmp_path):
    path, expected = saved_model(tmp_path)
    assert path == str(tmp_path / "model-6")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "checkpoint", "model-6", "model-6.meta", "model-6.meta.npz"]  # model-3's went too
    tf.reset_default_graph()
    graph = tf.get_default_graph()
    with tf.Session() as sess:  # made before the import, as in TensorFlow's recipe
        saver = tf.train.import_meta_graph(tf.train.latest_checkpoint(tmp_path) + ".meta")
        saver.restore(sess, tf.train.latest_checkpoint(tmp_path))
        x, y = graph.get_tensor_by_name("x:0"), graph.get_tensor_by_name("y:0")
        pred = graph.get_tensor_by_name("pred:0")
        np.testing.assert_array_equal(sess.run(pred, {x: X}), expected)
        train, = tf.get_collection("train_op")
        assert train is graph.get_operation_by_name("train")
        assert tf.get_collection("notes") == []
        assert tf.get_collection(tf.GraphKeys.LOSSES) == [graph.get_tensor_by_name("loss:0")]
        step = tf.train.get_global_step()
        assert step is tf.get_collection(tf.GraphKeys.GLOBAL_STEP)[0]
        assert sess.run(step) == 6
        sess.run(train, {x: X, y: Y})  # training goes on
        assert sess.run(step) == 7
    assert [v.name for v in tf.trainable_variables()] == ["W:0", "b:0"]


def test_the_meta_graph_keeps_the_savers_names(tmp_path):
    with tf.variable_scope("net"):
        w = tf.get_variable("w", [2], initializer=tf.constant_initializer(3.0))
    saver = tf.train.Saver({"weights": w})
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        path = saver.save(sess, str(tmp_path / "m"))
    tf.reset_default_graph()
    restored = tf.train.import_meta_graph(path + ".meta")
    assert list(restored.variables) == ["weights"]
    with tf.Session() as sess:
        restored.restore(sess, path)
        np.testing.assert_array_equal(sess.run("net/w:0"), [3.0, 3.0])


def test_export_meta_graph_and_write_meta_graph_false(tmp_path):
    x, y, pred, train, _ = build()
    meta = tf.train.export_meta_graph(str(tmp_path / "g.meta"))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        tf.train.Saver().save(sess, str(tmp_path / "c"), write_meta_graph=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "c", "checkpoint", "g.meta", "g.meta.npz"]
    copy = tf.import_graph(meta)  # gc.import_graph reads a meta graph too, collections and all
    assert tf.get_collection("train_op", graph=copy) == [copy.get_operation_by_name("train")]
    tf.reset_default_graph()
    with tf.name_scope("open"):  # the file's names whatever name scope is open
        saver = tf.train.import_meta_graph(meta)
    assert tf.get_default_graph().get_tensor_by_name("pred:0").name == "pred:0"
    assert sorted(saver.variables) == ["W", "b", "global_step"]


def test_import_into_a_graph_with_those_names_changes_nothing(tmp_path):
    path, _ = saved_model(tmp_path)
    graph = tf.get_default_graph()
    count = len(graph.get_operations())
    with pytest.raises(ValueError, match="already has nodes of its names: W, W/Initializer"):
        tf.train.import_meta_graph(path + ".meta")
    assert len(graph.get_operations()) == count


def rewrite(meta, change):
    """Change the meta graph's JSON and give it a matching checksum (as someone who means
    harm would)."""
    body = json.loads(open(meta).read())
    change(body)
    del body["checksum"]
    arrays = dict(np.load(serialize.arrays_path(meta)))
    arrays.pop("__graphc_graph__")
    body["checksum"] = serialize._checksum(body, arrays)
    with open(meta, "w") as f:
        f.write(json.dumps(body))


@pytest.mark.parametrize("change, words", [
    (lambda b: b["collections"].update(variables=[["variable", "W"]]),
     "its collections hold 'variables', which graphc keeps itself"),
    (lambda b: b["collections"].update(train_op=[["tensor", "nope:0"]]),
     "collection 'train_op' refers to tensor 'nope:0', which the graph does not have"),
    (lambda b: b["collections"].update(train_op=[["module", "os"]]),
     r'collection \'train_op\' holds \["module", "os"\], which is not'),
    (lambda b: b["collections"].update(train_op=[["variable", "pred"]]),
     "refers to variable 'pred'"),
    (lambda b: b.update(saver={"W": "pred"}),
     "its saver saves \"pred\" as 'W', which is not one of its variables"),
    (lambda b: b.update(collections=[]), "in the file, 'collections' is \\[\\]"),
    (lambda b: b.update(extra={}), "the file is not an object with exactly the fields"),
])
def test_a_hostile_meta_graph_is_refused_and_changes_nothing(tmp_path, change, words):
    path, _ = saved_model(tmp_path)
    rewrite(path + ".meta", change)
    tf.reset_default_graph()
    with pytest.raises(ValueError, match=words):
        tf.train.import_meta_graph(path + ".meta")
    assert tf.get_default_graph().get_operations() == []


def test_a_damaged_meta_graph_is_refused(tmp_path):
    path, _ = saved_model(tmp_path)
    meta = tmp_path / "model-6.meta"
    meta.write_text(meta.read_text().replace('"pred"', '"pre2"', 1))
    tf.reset_default_graph()
    with pytest.raises(ValueError, match="was modified or corrupted: its checksum does not "
                       "match"):
        tf.train.import_meta_graph(str(meta))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        tf.train.import_meta_graph(str(tmp_path / "none.meta"))
    with pytest.raises(NotImplementedError, match="import_scope is not supported"):
        tf.train.import_meta_graph(str(meta), import_scope="copy")


def test_a_graph_no_file_holds_still_saves_its_checkpoint(tmp_path, monkeypatch):
    """When the graph cannot be written (an attribute no graph file holds), save warns,
    writes the checkpoint the user asked for, and writes no meta graph."""
    def refuse(*args, **kwargs):
        raise TypeError("cannot export op 'f': attribute of type Widget")
    monkeypatch.setattr("graphc.saver.export_graph", refuse)
    w = tf.Variable(np.array([1.0, 2.0]), name="w")
    with tf.Session(backend="numpy") as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.warns(UserWarning, match="meta graph .*model.meta was not written: cannot "
                                             "export op 'f'"):
            path = tf.train.Saver().save(sess, str(tmp_path / "model"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint", "model"]
    with tf.Session(backend="numpy") as sess:
        tf.train.Saver().restore(sess, path)
        assert sess.run(w).tolist() == [1.0, 2.0]


def test_a_meta_graph_leaves_a_graph_exported_beside_it_alone(tmp_path):
    """model.json's arrays (model.graph.npz) and model.meta's (model.meta.npz) differ, so a
    Saver saving "model" keeps a graph the user exported as model.json importable; a
    checkpoint in the meta graph's place stops only the meta graph."""
    w = tf.Variable(np.array([1.0, 2.0], np.float32), name="w")
    y = w * 2.0
    tf.export_graph(tf.get_default_graph(), str(tmp_path / "model.json"))
    tf.add(y, tf.constant([0.0, 1.0]))  # (the graph grows after the export)
    with tf.Session(backend="numpy") as sess:
        sess.run(tf.global_variables_initializer())
        tf.train.Saver().save(sess, str(tmp_path / "model"))
        tf.train.Saver().save(sess, str(tmp_path / "other.meta"), write_meta_graph=False)
        kept = (tmp_path / "other.meta").read_bytes()
        with pytest.warns(UserWarning, match="other.meta was not written"):
            tf.train.Saver().save(sess, str(tmp_path / "other"))  # (a checkpoint is there)
    assert (tmp_path / "other.meta").read_bytes() == kept
    assert (tmp_path / "other").exists()
    copy = tf.import_graph(str(tmp_path / "model.json"))
    with tf.Session(copy, backend="numpy") as sess:
        sess.run(tf.variables_initializer(copy.variables))
        assert sess.run(copy.get_tensor_by_name(y.name)).tolist() == [2.0, 4.0]
