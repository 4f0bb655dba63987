"""Chapter 9 of Geron's "Hands-On Machine Learning" (1st edition), "Visualizing the Graph and
Training Curves Using TensorBoard" and "Name Scopes": mini-batch gradient descent on the
housing data with tf.summary.scalar('MSE', mse), whose value mse_summary.eval() computes
every ten batches for FileWriter.add_summary, into tf_logs/run-<now>/, then the same model
with its loss in tf.name_scope("loss"). The California housing download is replaced by a
synthetic set made with numpy (StandardScaler by its formula)."""
# ruff: noqa: UP032 (the book's own formatting)

import json
from datetime import datetime

import numpy as np

import graphc as tf


def reset_graph(seed=42):
    tf.reset_default_graph()
    tf.set_random_seed(seed)
    np.random.seed(seed)


# Synthetic "California housing": 1000 districts, 8 features, a noisy linear target
rs = np.random.RandomState(7)
housing_data = rs.randn(1000, 8) * rs.rand(8) * 10 + rs.randn(8) * 5
housing_target = housing_data @ (rs.randn(8) / 10) + 2 + rs.randn(1000) / 2

m, n = housing_data.shape
scaled_housing_data = (housing_data - housing_data.mean(axis=0)) / housing_data.std(axis=0)
scaled_housing_data_plus_bias = np.c_[np.ones((m, 1)), scaled_housing_data]

reset_graph()

now = datetime.utcnow().strftime("%Y%m%d%H%M%S")
root_logdir = "tf_logs"
logdir = "{}/run-{}/".format(root_logdir, now)

n_epochs = 1000
learning_rate = 0.01

X = tf.placeholder(tf.float32, shape=(None, n + 1), name="X")
y = tf.placeholder(tf.float32, shape=(None, 1), name="y")
theta = tf.Variable(tf.random_uniform([n + 1, 1], -1.0, 1.0, seed=42), name="theta")
y_pred = tf.matmul(X, theta, name="predictions")
error = y_pred - y
mse = tf.reduce_mean(tf.square(error), name="mse")
optimizer = tf.train.GradientDescentOptimizer(learning_rate=learning_rate)
training_op = optimizer.minimize(mse)

init = tf.global_variables_initializer()

mse_summary = tf.summary.scalar('MSE', mse)
file_writer = tf.summary.FileWriter(logdir, tf.get_default_graph())

n_epochs = 10
batch_size = 100
n_batches = int(np.ceil(m / batch_size))


def fetch_batch(epoch, batch_index, batch_size):
    np.random.seed(epoch * n_batches + batch_index)  # not shown in the book
    indices = np.random.randint(m, size=batch_size)  # not shown
    X_batch = scaled_housing_data_plus_bias[indices]  # not shown
    y_batch = housing_target.reshape(-1, 1)[indices]  # not shown
    return X_batch, y_batch


with tf.Session() as sess:  # not shown in the book
    sess.run(init)  # not shown
    initial_theta = theta.eval()

    for epoch in range(n_epochs):  # not shown
        for batch_index in range(n_batches):
            X_batch, y_batch = fetch_batch(epoch, batch_index, batch_size)
            if batch_index % 10 == 0:
                summary_str = mse_summary.eval(feed_dict={X: X_batch, y: y_batch})
                step = epoch * n_batches + batch_index
                file_writer.add_summary(summary_str, step)
            sess.run(training_op, feed_dict={X: X_batch, y: y_batch})

    best_theta = theta.eval()  # not shown

file_writer.close()
print(best_theta)

# Name scopes
reset_graph()

now = datetime.utcnow().strftime("%Y%m%d%H%M%S")
root_logdir = "tf_logs"
logdir = "{}/run-{}/".format(root_logdir, now)

n_epochs = 1000
learning_rate = 0.01

X = tf.placeholder(tf.float32, shape=(None, n + 1), name="X")
y = tf.placeholder(tf.float32, shape=(None, 1), name="y")
theta = tf.Variable(tf.random_uniform([n + 1, 1], -1.0, 1.0, seed=42), name="theta")
y_pred = tf.matmul(X, theta, name="predictions")

with tf.name_scope("loss") as scope:
    error = y_pred - y
    mse = tf.reduce_mean(tf.square(error), name="mse")

print(error.op.name)
print(mse.op.name)

print("RESULT", json.dumps({"logdir": root_logdir, "init": initial_theta.tolist(),
                            "theta": best_theta.tolist(),
                            "op_names": [error.op.name, mse.op.name]}))
