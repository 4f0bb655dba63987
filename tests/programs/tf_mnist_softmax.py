"""TensorFlow 1.0's tutorial mnist_softmax.py ("MNIST For ML Beginners"): a softmax
regression with dense one-hot labels, tf.nn.softmax_cross_entropy_with_logits, a
GradientDescentOptimizer at 0.5 and an InteractiveSession. MNIST is replaced by a synthetic set
of the same shape made with numpy, served in batches of 100 as mnist.train.next_batch does,
and it trains for 100 steps instead of 1000."""

import json

import numpy as np

import graphc as tf

# Synthetic "MNIST": ten stroke patterns on a blank background (15% of the pixels), each
# example one of them with random intensities, one-hot labels
rs = np.random.RandomState(1)
strokes = rs.rand(10, 784) < 0.15
train_digits, test_digits = rs.randint(0, 10, 1000), rs.randint(0, 10, 500)
train_images = (strokes[train_digits] * rs.uniform(0.5, 1, (1000, 784))).astype(np.float32)
test_images = (strokes[test_digits] * rs.uniform(0.5, 1, (500, 784))).astype(np.float32)
train_labels = np.eye(10, dtype=np.float32)[train_digits]
test_labels = np.eye(10, dtype=np.float32)[test_digits]


def next_batch(step, batch_size):
  start = step * batch_size % len(train_images)
  return train_images[start:start + batch_size], train_labels[start:start + batch_size]


# Create the model
x = tf.placeholder(tf.float32, [None, 784])
W = tf.Variable(tf.zeros([784, 10]))
b = tf.Variable(tf.zeros([10]))
y = tf.matmul(x, W) + b

# Define loss and optimizer
y_ = tf.placeholder(tf.float32, [None, 10])

# The raw formulation of cross-entropy,
#
#   tf.reduce_mean(-tf.reduce_sum(y_ * tf.log(tf.nn.softmax(y)),
#                                 reduction_indices=[1]))
#
# can be numerically unstable.
#
# So here we use tf.nn.softmax_cross_entropy_with_logits on the raw
# outputs of 'y', and then average across the batch.
cross_entropy = tf.reduce_mean(
    tf.nn.softmax_cross_entropy_with_logits(labels=y_, logits=y))
train_step = tf.train.GradientDescentOptimizer(0.5).minimize(cross_entropy)

sess = tf.InteractiveSession()
tf.global_variables_initializer().run()
# Train
for step in range(100):
  batch_xs, batch_ys = next_batch(step, 100)
  sess.run(train_step, feed_dict={x: batch_xs, y_: batch_ys})

# Test trained model
correct_prediction = tf.equal(tf.argmax(y, 1), tf.argmax(y_, 1))
accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))
test_accuracy = sess.run(accuracy, feed_dict={x: test_images,
                                              y_: test_labels})
print(test_accuracy)

print("RESULT", json.dumps({
    "accuracy": float(test_accuracy),
    "train_loss": float(cross_entropy.eval(feed_dict={x: train_images, y_: train_labels})),
    "W_norm": float(np.linalg.norm(W.eval())), "b": b.eval().tolist()}))
sess.close()
