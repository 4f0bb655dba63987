"""TensorFlow 1's "Deep MNIST for Experts" (mnist_deep.py): a convolutional network built with
weight_variable (tf.truncated_normal, stddev 0.1) and bias_variable (tf.constant 0.1), two
conv2d (strides [1, 1, 1, 1], SAME) + ReLU + max_pool_2x2 (ksize [1, 2, 2, 1], SAME) layers,
a reshape to flat rows, a fully connected ReLU layer, dropout through a keep_prob placeholder,
softmax_cross_entropy_with_logits, AdamOptimizer and the tf.equal(tf.argmax...) accuracy,
each in its name scope. MNIST is replaced by a synthetic set of 12x12 images made with numpy
(noisy copies of ten prototypes), so the layers are narrowed (4 and 8 filters, 32 hidden
units, 3x3x8 values after the second pool), and it trains for 40 steps of 50 images at
Adam's 1e-2 (the tutorial: 20,000 steps at 1e-4), with the graph's random seed set. The
training steps feed keep_prob 1.0 where the tutorial feeds 0.5: dropout draws from graphc's
random stream, which the numpy reference cannot follow."""
# ruff: noqa: UP031 (the tutorial's own formatting)

import json

import numpy as np

import graphc as tf

# Synthetic "MNIST": ten prototype images, each example a noisy copy of one, one-hot labels
rs = np.random.RandomState(3)
prototypes = rs.rand(10, 144)
train_digits, test_digits = rs.randint(0, 10, 200), rs.randint(0, 10, 100)
train_images = np.clip(prototypes[train_digits] + rs.randn(200, 144) * 0.3, 0, 1).astype(
    np.float32)
test_images = np.clip(prototypes[test_digits] + rs.randn(100, 144) * 0.3, 0, 1).astype(
    np.float32)
train_labels = np.eye(10, dtype=np.float32)[train_digits]
test_labels = np.eye(10, dtype=np.float32)[test_digits]


def next_batch(step, batch_size):
  start = step * batch_size % len(train_images)
  return train_images[start:start + batch_size], train_labels[start:start + batch_size]


def deepnn(x):
  """deepnn builds the graph for a deep net for classifying digits."""
  # Reshape to use within a convolutional neural net.
  with tf.name_scope('reshape'):
    x_image = tf.reshape(x, [-1, 12, 12, 1])

  # First convolutional layer - maps one grayscale image to 4 feature maps.
  with tf.name_scope('conv1'):
    W_conv1 = weight_variable([5, 5, 1, 4])
    b_conv1 = bias_variable([4])
    h_conv1 = tf.nn.relu(conv2d(x_image, W_conv1) + b_conv1)

  # Pooling layer - downsamples by 2X.
  with tf.name_scope('pool1'):
    h_pool1 = max_pool_2x2(h_conv1)

  # Second convolutional layer -- maps 4 feature maps to 8.
  with tf.name_scope('conv2'):
    W_conv2 = weight_variable([5, 5, 4, 8])
    b_conv2 = bias_variable([8])
    h_conv2 = tf.nn.relu(conv2d(h_pool1, W_conv2) + b_conv2)

  # Second pooling layer.
  with tf.name_scope('pool2'):
    h_pool2 = max_pool_2x2(h_conv2)

  # Fully connected layer 1 -- after 2 round of downsampling, our 12x12 image
  # is down to 3x3x8 feature maps -- maps this to 32 features.
  with tf.name_scope('fc1'):
    W_fc1 = weight_variable([3 * 3 * 8, 32])
    b_fc1 = bias_variable([32])

    h_pool2_flat = tf.reshape(h_pool2, [-1, 3 * 3 * 8])
    h_fc1 = tf.nn.relu(tf.matmul(h_pool2_flat, W_fc1) + b_fc1)

  # Dropout - controls the complexity of the model, prevents co-adaptation of
  # features.
  with tf.name_scope('dropout'):
    keep_prob = tf.placeholder(tf.float32)
    h_fc1_drop = tf.nn.dropout(h_fc1, keep_prob)

  # Map the 32 features to 10 classes, one for each digit
  with tf.name_scope('fc2'):
    W_fc2 = weight_variable([32, 10])
    b_fc2 = bias_variable([10])

    y_conv = tf.matmul(h_fc1_drop, W_fc2) + b_fc2
  return y_conv, keep_prob


def conv2d(x, W):
  """conv2d returns a 2d convolution layer with full stride."""
  return tf.nn.conv2d(x, W, strides=[1, 1, 1, 1], padding='SAME')


def max_pool_2x2(x):
  """max_pool_2x2 downsamples a feature map by 2X."""
  return tf.nn.max_pool(x, ksize=[1, 2, 2, 1],
                        strides=[1, 2, 2, 1], padding='SAME')


def weight_variable(shape):
  """weight_variable generates a weight variable of a given shape."""
  initial = tf.truncated_normal(shape, stddev=0.1)
  return tf.Variable(initial)


def bias_variable(shape):
  """bias_variable generates a bias variable of a given shape."""
  initial = tf.constant(0.1, shape=shape)
  return tf.Variable(initial)


tf.set_random_seed(1)  # seeded: the runs repeat

# Create the model
x = tf.placeholder(tf.float32, [None, 144])

# Define loss and optimizer
y_ = tf.placeholder(tf.float32, [None, 10])

# Build the graph for the deep net
y_conv, keep_prob = deepnn(x)

with tf.name_scope('loss'):
  cross_entropy = tf.nn.softmax_cross_entropy_with_logits(labels=y_,
                                                          logits=y_conv)
cross_entropy = tf.reduce_mean(cross_entropy)

with tf.name_scope('adam_optimizer'):
  train_step = tf.train.AdamOptimizer(1e-2).minimize(cross_entropy)

with tf.name_scope('accuracy'):
  correct_prediction = tf.equal(tf.argmax(y_conv, 1), tf.argmax(y_, 1))
  correct_prediction = tf.cast(correct_prediction, tf.float32)
accuracy = tf.reduce_mean(correct_prediction)

with tf.Session() as sess:
  sess.run(tf.global_variables_initializer())
  init = [v.tolist() for v in sess.run(tf.trainable_variables())]
  train_accuracies, losses = [], []
  for i in range(40):
    batch = next_batch(i, 50)
    if i % 10 == 0:
      train_accuracy = accuracy.eval(feed_dict={
          x: batch[0], y_: batch[1], keep_prob: 1.0})
      print('step %d, training accuracy %g' % (i, train_accuracy))
      train_accuracies.append(float(train_accuracy))
    _, loss = sess.run([train_step, cross_entropy],
                       feed_dict={x: batch[0], y_: batch[1], keep_prob: 1.0})
    losses.append(float(loss))

  test_accuracy = accuracy.eval(feed_dict={
      x: test_images, y_: test_labels, keep_prob: 1.0})
  print('test accuracy %g' % test_accuracy)
  final = [float(np.abs(v).sum()) for v in sess.run(tf.trainable_variables())]

print("RESULT", json.dumps({"init": init, "losses": losses, "train_accuracies":
                            train_accuracies, "test_accuracy": float(test_accuracy),
                            "final": final}))
