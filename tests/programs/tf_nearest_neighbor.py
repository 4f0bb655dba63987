"""TensorFlow 1 nearest neighbour, as TensorFlow-Examples (aymericdamien) writes it: the L1
distance reduce_sum(abs(add(xtr, negative(xte))), reduction_indices=1) to every training
example, tf.arg_min for the nearest, one run per test example. MNIST is replaced by a
synthetic set of the same shape made with numpy (500 candidates and 100 tests instead of 5000
and 200)."""

import json

import numpy as np

import graphc as tf

# Synthetic "MNIST": ten prototype images, each example a noisy copy of one, one-hot labels
rs = np.random.RandomState(4)
prototypes = rs.rand(10, 784)
train_digits, test_digits = rs.randint(0, 10, 500), rs.randint(0, 10, 100)
Xtr = np.clip(prototypes[train_digits] + 2 * rs.randn(500, 784), 0, 1).astype(np.float32)
Xte = np.clip(prototypes[test_digits] + 2 * rs.randn(100, 784), 0, 1).astype(np.float32)
Ytr = np.eye(10, dtype=np.float32)[train_digits]
Yte = np.eye(10, dtype=np.float32)[test_digits]

# tf Graph Input
xtr = tf.placeholder("float", [None, 784])
xte = tf.placeholder("float", [784])

# Nearest Neighbor calculation using L1 Distance
# Calculate L1 Distance
distance = tf.reduce_sum(tf.abs(tf.add(xtr, tf.negative(xte))), reduction_indices=1)
# Prediction: Get min distance index (Nearest neighbor)
pred = tf.arg_min(distance, 0)

accuracy = 0.

# Initialize the variables (i.e. assign their default value)
init = tf.global_variables_initializer()

# Start training
with tf.Session() as sess:

    # Run the initializer
    sess.run(init)

    nearest = []
    # loop over test data
    for i in range(len(Xte)):
        # Get nearest neighbor
        nn_index = sess.run(pred, feed_dict={xtr: Xtr, xte: Xte[i, :]})
        # Get nearest neighbor class label and compare it to its true label
        print("Test", i, "Prediction:", np.argmax(Ytr[nn_index]), \
            "True Class:", np.argmax(Yte[i]))
        # Calculate accuracy
        if np.argmax(Ytr[nn_index]) == np.argmax(Yte[i]):
            accuracy += 1./len(Xte)
        nearest.append(int(nn_index))

    print("Done!")
    print("Accuracy:", accuracy)

    print("RESULT", json.dumps({"nearest": nearest, "accuracy": accuracy}))
