"""CS231n's "Putting it together: minimal neural network case study", ported to TensorFlow 1
as such ports write it: the case study's spiral data made with numpy (uint8 labels), float64
Variables initialized as 0.01 * np.random.randn, a linear softmax classifier and then a ReLU
network, each with tf.nn.sparse_softmax_cross_entropy_with_logits plus
0.5 * reg * tf.reduce_sum(W * W), trained by GradientDescentOptimizer on the whole set, and the
training accuracy from tf.argmax. The network trains for 500 steps instead of 10000."""
# ruff: noqa: UP031 (the case study's own formatting)

import json

import numpy as np

import graphc as tf

np.random.seed(0)
N = 100 # number of points per class
D = 2 # dimensionality
K = 3 # number of classes
X = np.zeros((N*K,D)) # data matrix (each row = single example)
y = np.zeros(N*K, dtype='uint8') # class labels
for j in range(K):
  ix = range(N*j,N*(j+1))
  r = np.linspace(0.0,1,N) # radius
  t = np.linspace(j*4,(j+1)*4,N) + np.random.randn(N)*0.2 # theta
  X[ix] = np.c_[r*np.sin(t), r*np.cos(t)]
  y[ix] = j

# some hyperparameters
step_size = 1e-0
reg = 1e-3 # regularization strength

x_ = tf.placeholder(tf.float64, [None, D])
y_ = tf.placeholder(tf.int64, [None])
result = {}

# Train a Linear Classifier
W = tf.Variable(0.01 * np.random.randn(D,K))
b = tf.Variable(np.zeros((1,K)))
scores = tf.matmul(x_, W) + b
data_loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y_, logits=scores))
reg_loss = 0.5*reg*tf.reduce_sum(W*W)
loss = data_loss + reg_loss
train_step = tf.train.GradientDescentOptimizer(step_size).minimize(loss)
accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(scores, 1), y_), tf.float64))

with tf.Session() as sess:
  sess.run(tf.global_variables_initializer())
  result["linear_init"] = sess.run(W).tolist()
  linear_losses = []
  for i in range(200):
    loss_value, _ = sess.run([loss, train_step], feed_dict={x_: X, y_: y})
    if i % 10 == 0:
      print("iteration %d: loss %f" % (i, loss_value))
    linear_losses.append(float(loss_value))
  print('training accuracy: %.2f' % sess.run(accuracy, feed_dict={x_: X, y_: y}))
  result["linear"] = {"losses": linear_losses,
                      "accuracy": float(sess.run(accuracy, feed_dict={x_: X, y_: y})),
                      "W": sess.run(W).tolist(), "b": sess.run(b).tolist()}

# Training a Neural Network
h = 100 # size of hidden layer
W = tf.Variable(0.01 * np.random.randn(D,h))
b = tf.Variable(np.zeros((1,h)))
W2 = tf.Variable(0.01 * np.random.randn(h,K))
b2 = tf.Variable(np.zeros((1,K)))
hidden_layer = tf.nn.relu(tf.matmul(x_, W) + b)
scores = tf.matmul(hidden_layer, W2) + b2
data_loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y_, logits=scores))
reg_loss = 0.5*reg*tf.reduce_sum(W*W) + 0.5*reg*tf.reduce_sum(W2*W2)
loss = data_loss + reg_loss
train_step = tf.train.GradientDescentOptimizer(step_size).minimize(loss, var_list=[W, b, W2, b2])
accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(scores, 1), y_), tf.float64))

with tf.Session() as sess:
  sess.run(tf.global_variables_initializer())
  result["network_init"] = [w.tolist() for w in sess.run([W, W2])]
  network_losses = []
  for i in range(500):
    loss_value, _ = sess.run([loss, train_step], feed_dict={x_: X, y_: y})
    if i % 100 == 0:
      print("iteration %d: loss %f" % (i, loss_value))
    network_losses.append(float(loss_value))
  print('training accuracy: %.2f' % sess.run(accuracy, feed_dict={x_: X, y_: y}))
  result["network"] = {"losses": network_losses,
                       "accuracy": float(sess.run(accuracy, feed_dict={x_: X, y_: y})),
                       "W2": sess.run(W2).tolist(), "b2": sess.run(b2).tolist()}

print("RESULT", json.dumps(result))
