"""A TensorFlow 1 regression network with a global step: numpy-initialized float64 Variables,
a tanh hidden layer, tf.Variable(0, name='global_step', trainable=False) passed to
MomentumOptimizer.minimize, training steps that fetch the loss, and tf.train.global_step to
read the count back. The data are made with numpy."""

import json

import numpy as np

import graphc as tf

np.random.seed(8)
x_data = np.random.uniform(-1, 1, (200, 3))
y_data = np.sin(x_data.sum(axis=1, keepdims=True)) + 0.1 * np.random.randn(200, 1)

n_hidden = 10

x = tf.placeholder(tf.float64, shape=[None, 3], name='x')
y = tf.placeholder(tf.float64, shape=[None, 1], name='y')

W1 = tf.Variable(np.random.randn(3, n_hidden) * 0.5, name='W1')
b1 = tf.Variable(np.zeros(n_hidden), name='b1')
W2 = tf.Variable(np.random.randn(n_hidden, 1) * 0.5, name='W2')
b2 = tf.Variable(np.zeros(1), name='b2')

hidden = tf.nn.tanh(tf.matmul(x, W1) + b1)
prediction = tf.matmul(hidden, W2) + b2
loss = tf.reduce_mean(tf.square(prediction - y))

global_step = tf.Variable(0, name='global_step', trainable=False)
optimizer = tf.train.MomentumOptimizer(learning_rate=0.05, momentum=0.9)
train_op = optimizer.minimize(loss, global_step=global_step)

losses = []
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for i in range(300):
        batch = slice(i % 4 * 50, i % 4 * 50 + 50)
        _, loss_value = sess.run([train_op, loss], feed_dict={x: x_data[batch], y: y_data[batch]})
        losses.append(float(loss_value))
        if i % 50 == 0:
            print(f'step {i}, loss {loss_value:g}')
    step = tf.train.global_step(sess, global_step)
    final_loss = sess.run(loss, feed_dict={x: x_data, y: y_data})
    print(f'global step {step}, final loss {final_loss:g}')
    weights = sess.run([W1, b1, W2, b2])

print("RESULT", json.dumps({"losses": losses, "global_step": step, "final_loss": float(final_loss),
                            "weights": [w.tolist() for w in weights]}))
