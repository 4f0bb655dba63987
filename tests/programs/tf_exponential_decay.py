"""TensorFlow 1's tf.train.exponential_decay as its API documentation shows it: a global step
Variable, a staircase schedule of the learning rate, and minimize(..., global_step=global_step)
to advance it, here driving a MomentumOptimizer on a float64 regression network with numpy
data."""

import json

import numpy as np

import graphc as tf

np.random.seed(9)
x_data = np.random.uniform(-1, 1, (200, 3))
y_data = np.sin(x_data.sum(axis=1, keepdims=True)) + 0.1 * np.random.randn(200, 1)

x = tf.placeholder(tf.float64, shape=[None, 3])
y = tf.placeholder(tf.float64, shape=[None, 1])
W1 = tf.Variable(np.random.randn(3, 10) * 0.5)
b1 = tf.Variable(np.zeros(10))
W2 = tf.Variable(np.random.randn(10, 1) * 0.5)
b2 = tf.Variable(np.zeros(1))
prediction = tf.matmul(tf.nn.tanh(tf.matmul(x, W1) + b1), W2) + b2
loss = tf.reduce_mean(tf.square(prediction - y))

global_step = tf.Variable(0, trainable=False)
starter_learning_rate = 0.1
learning_rate = tf.train.exponential_decay(starter_learning_rate, global_step,
                                           100, 0.5, staircase=True)
# Passing global_step to minimize() will increment it at each step.
learning_step = (
    tf.train.MomentumOptimizer(learning_rate, momentum=0.9)
    .minimize(loss, global_step=global_step)
)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    rates = []
    for _ in range(300):
        rates.append(float(sess.run(learning_rate)))
        sess.run(learning_step, feed_dict={x: x_data, y: y_data})
    final_loss = sess.run(loss, feed_dict={x: x_data, y: y_data})
    print("learning rate", sess.run(learning_rate), "loss", final_loss)
    print("RESULT", json.dumps({"rates": rates, "final_loss": float(final_loss),
                                "global_step": int(sess.run(global_step))}))
