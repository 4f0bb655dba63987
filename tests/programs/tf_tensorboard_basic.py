"""TensorFlow 1 TensorBoard basics, as TensorFlow-Examples (aymericdamien) writes it: a softmax
regression built in name scopes, tf.summary.scalar for the loss and the accuracy, merge_all,
a FileWriter with the graph, and add_summary at every step. MNIST is replaced by a synthetic
set of the same shape made with numpy, served in consecutive batches, and the logs go to a new
temporary folder instead of /tmp/tensorflow_logs/example/."""
# ruff: noqa: B007, UP031, UP032 (the tutorial's own spelling)

import json
import tempfile

import numpy as np

import graphc as tf

# Synthetic "MNIST": ten prototype images, each example a noisy copy of one, one-hot labels
rs = np.random.RandomState(6)
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
display_epoch = 1
logs_path = tempfile.mkdtemp()

# tf Graph Input
# mnist data image of shape 28*28=784
x = tf.placeholder(tf.float32, [None, 784], name='InputData')
# 0-9 digits recognition => 10 classes
y = tf.placeholder(tf.float32, [None, 10], name='LabelData')

# Set model weights
W = tf.Variable(tf.zeros([784, 10]), name='Weights')
b = tf.Variable(tf.zeros([10]), name='Bias')

# Construct model and encapsulating all ops into scopes, making
# Tensorboard's Graph visualization more convenient
with tf.name_scope('Model'):
    # Model
    pred = tf.nn.softmax(tf.matmul(x, W) + b) # Softmax
with tf.name_scope('Loss'):
    # Minimize error using cross entropy
    cost = tf.reduce_mean(-tf.reduce_sum(y*tf.log(pred), reduction_indices=1))
with tf.name_scope('SGD'):
    # Gradient Descent
    optimizer = tf.train.GradientDescentOptimizer(learning_rate).minimize(cost)
with tf.name_scope('Accuracy'):
    # Accuracy
    acc = tf.equal(tf.argmax(pred, 1), tf.argmax(y, 1))
    acc = tf.reduce_mean(tf.cast(acc, tf.float32))

# Initialize the variables (i.e. assign their default value)
init = tf.global_variables_initializer()

# Create a summary to monitor cost tensor
tf.summary.scalar("loss", cost)
# Create a summary to monitor accuracy tensor
tf.summary.scalar("accuracy", acc)
# Merge all summaries into a single op
merged_summary_op = tf.summary.merge_all()

# Start training
with tf.Session() as sess:

    # Run the initializer
    sess.run(init)

    # op to write logs to Tensorboard
    summary_writer = tf.summary.FileWriter(logs_path, graph=tf.get_default_graph())

    costs = []
    # Training cycle
    for epoch in range(training_epochs):
        avg_cost = 0.
        total_batch = int(len(train_images)/batch_size)
        # Loop over all batches
        for i in range(total_batch):
            batch_xs = train_images[i*batch_size:(i+1)*batch_size]
            batch_ys = train_labels[i*batch_size:(i+1)*batch_size]
            # Run optimization op (backprop), cost op (to get loss value)
            # and summary nodes
            _, c, summary = sess.run([optimizer, cost, merged_summary_op],
                                     feed_dict={x: batch_xs, y: batch_ys})
            # Write logs at every iteration
            summary_writer.add_summary(summary, epoch * total_batch + i)
            # Compute average loss
            avg_cost += c / total_batch
        # Display logs per epoch step
        if (epoch+1) % display_epoch == 0:
            print("Epoch:", '%04d' % (epoch+1), "cost=", "{:.9f}".format(avg_cost))
        costs.append(float(avg_cost))

    print("Optimization Finished!")

    # Test model
    # Calculate accuracy
    print("Accuracy:", acc.eval({x: test_images, y: test_labels}))
    test_accuracy = float(acc.eval({x: test_images, y: test_labels}))

    print("Run the command line:\n" \
          "--> tensorboard --logdir=/tmp/tensorflow_logs " \
          "\nThen open http://0.0.0.0:6006/ into your web browser")

    print("RESULT", json.dumps({"logdir": logs_path, "costs": costs,
                                "accuracy": test_accuracy}))
