"""TensorFlow 1 logistic regression, as TensorFlow-Examples (aymericdamien) writes it: one-hot
(dense) labels, softmax and a hand-written cross-entropy with tf.log and reduction_indices,
GradientDescentOptimizer over mini-batches, argmax accuracy with Tensor.eval. MNIST is replaced
by a synthetic set of the same shape (784 features, 10 classes) made with numpy, served in
consecutive batches instead of mnist.train.next_batch."""
# ruff: noqa: UP031, UP032 (the tutorial's own formatting)

import json

import numpy as np

import graphc as tf

# Synthetic "MNIST": ten prototype images in [0, 1), each example a noisy copy of one
rs = np.random.RandomState(0)
prototypes = rs.rand(10, 784)
train_digits, test_digits = rs.randint(0, 10, 500), rs.randint(0, 10, 200)
train_images = np.clip(prototypes[train_digits] + rs.randn(500, 784), 0, 1).astype(np.float32)
test_images = np.clip(prototypes[test_digits] + rs.randn(200, 784), 0, 1).astype(np.float32)
train_labels = np.eye(10, dtype=np.float32)[train_digits]
test_labels = np.eye(10, dtype=np.float32)[test_digits]

# Parameters
learning_rate = 0.01
training_epochs = 25
batch_size = 100
display_step = 1

# tf Graph Input
x = tf.placeholder(tf.float32, [None, 784]) # mnist data image of shape 28*28=784
y = tf.placeholder(tf.float32, [None, 10]) # 0-9 digits recognition => 10 classes

# Set model weights
W = tf.Variable(tf.zeros([784, 10]))
b = tf.Variable(tf.zeros([10]))

# Construct model
pred = tf.nn.softmax(tf.matmul(x, W) + b) # Softmax

# Minimize error using cross entropy
cost = tf.reduce_mean(-tf.reduce_sum(y*tf.log(pred), reduction_indices=1))
# Gradient Descent
optimizer = tf.train.GradientDescentOptimizer(learning_rate).minimize(cost)

# Initialize the variables (i.e. assign their default value)
init = tf.global_variables_initializer()

# Start training
with tf.Session() as sess:

    # Run the initializer
    sess.run(init)

    costs = []
    # Training cycle
    for epoch in range(training_epochs):
        avg_cost = 0.
        total_batch = int(len(train_images)/batch_size)
        # Loop over all batches
        for i in range(total_batch):
            batch_xs = train_images[i*batch_size:(i+1)*batch_size]
            batch_ys = train_labels[i*batch_size:(i+1)*batch_size]
            # Run optimization op (backprop) and cost op (to get loss value)
            _, c = sess.run([optimizer, cost], feed_dict={x: batch_xs,
                                                          y: batch_ys})
            # Compute average loss
            avg_cost += c / total_batch
        # Display logs per epoch step
        if (epoch+1) % display_step == 0:
            print("Epoch:", '%04d' % (epoch+1), "cost=", "{:.9f}".format(avg_cost))
        costs.append(float(avg_cost))

    print("Optimization Finished!")

    # Test model
    correct_prediction = tf.equal(tf.argmax(pred, 1), tf.argmax(y, 1))
    # Calculate accuracy
    accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))
    test_accuracy = accuracy.eval({x: test_images, y: test_labels})
    print("Accuracy:", test_accuracy)

    print("RESULT", json.dumps({"costs": costs, "accuracy": float(test_accuracy),
                                "W_norm": float(np.linalg.norm(sess.run(W))),
                                "W_abs_sum": float(np.sum(np.abs(sess.run(W)))),
                                "b": sess.run(b).tolist()}))
