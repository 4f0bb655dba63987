"""TensorFlow 1 save and restore, as TensorFlow-Examples (aymericdamien) writes it: a ReLU
multilayer perceptron trained with Adam for 3 epochs and saved with tf.train.Saver; a second
Session initializes, restores, and resumes for 7 epochs. MNIST is replaced by a synthetic set
made with numpy (served as mnist.train.next_batch does, continuing across the sessions), the
layers are narrowed to fit it, the learning rate is 0.01 instead of 0.001, and the checkpoint
goes to the working directory instead of /tmp; the graph's random seed is set."""
# ruff: noqa: B007, UP031, UP032 (the tutorial's own spelling)

import itertools
import json

import numpy as np

import graphc as tf

# Synthetic data: ten prototypes, each example a noisy copy of one, one-hot labels
rs = np.random.RandomState(5)
prototypes = rs.rand(10, 32)
train_digits, test_digits = rs.randint(0, 10, 500), rs.randint(0, 10, 200)
train_images = np.clip(prototypes[train_digits] + rs.randn(500, 32) / 2, 0, 1).astype(np.float32)
test_images = np.clip(prototypes[test_digits] + rs.randn(200, 32) / 2, 0, 1).astype(np.float32)
train_labels = np.eye(10, dtype=np.float32)[train_digits]
test_labels = np.eye(10, dtype=np.float32)[test_digits]
num_examples = len(train_images)
_starts = itertools.cycle(range(0, num_examples, 100))


def next_batch(batch_size):
    start = next(_starts)
    return train_images[start:start + batch_size], train_labels[start:start + batch_size]


tf.set_random_seed(1)  # seeded: the runs repeat

# Parameters
learning_rate = 0.01
batch_size = 100
display_step = 1
model_path = "model.ckpt"

# Network Parameters
n_hidden_1 = 16 # 1st layer number of features
n_hidden_2 = 16 # 2nd layer number of features
n_input = 32 # data input
n_classes = 10 # total classes

# tf Graph input
x = tf.placeholder("float", [None, n_input])
y = tf.placeholder("float", [None, n_classes])


# Create model
def multilayer_perceptron(x, weights, biases):
    # Hidden layer with RELU activation
    layer_1 = tf.add(tf.matmul(x, weights['h1']), biases['b1'])
    layer_1 = tf.nn.relu(layer_1)
    # Hidden layer with RELU activation
    layer_2 = tf.add(tf.matmul(layer_1, weights['h2']), biases['b2'])
    layer_2 = tf.nn.relu(layer_2)
    # Output layer with linear activation
    out_layer = tf.matmul(layer_2, weights['out']) + biases['out']
    return out_layer

# Store layers weight & bias
weights = {
    'h1': tf.Variable(tf.random_normal([n_input, n_hidden_1])),
    'h2': tf.Variable(tf.random_normal([n_hidden_1, n_hidden_2])),
    'out': tf.Variable(tf.random_normal([n_hidden_2, n_classes]))
}
biases = {
    'b1': tf.Variable(tf.random_normal([n_hidden_1])),
    'b2': tf.Variable(tf.random_normal([n_hidden_2])),
    'out': tf.Variable(tf.random_normal([n_classes]))
}

# Construct model
pred = multilayer_perceptron(x, weights, biases)

# Define loss and optimizer
cost = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits=pred, labels=y))
optimizer = tf.train.AdamOptimizer(learning_rate=learning_rate).minimize(cost)

# Initialize the variables (i.e. assign their default value)
init = tf.global_variables_initializer()

# 'Saver' op to save and restore all the variables
saver = tf.train.Saver()

costs = []
# Running first session
print("Starting 1st session...")
with tf.Session() as sess:

    # Run the initializer
    sess.run(init)
    initial = sess.run([weights, biases])

    # Training cycle
    for epoch in range(3):
        avg_cost = 0.
        total_batch = int(num_examples/batch_size)
        # Loop over all batches
        for i in range(total_batch):
            batch_x, batch_y = next_batch(batch_size)
            # Run optimization op (backprop) and cost op (to get loss value)
            _, c = sess.run([optimizer, cost], feed_dict={x: batch_x,
                                                          y: batch_y})
            # Compute average loss
            avg_cost += c / total_batch
        # Display logs per epoch step
        if epoch % display_step == 0:
            print("Epoch:", '%04d' % (epoch+1), "cost=", \
                "{:.9f}".format(avg_cost))
        costs.append(float(avg_cost))
    print("First Optimization Finished!")

    # Test model
    correct_prediction = tf.equal(tf.argmax(pred, 1), tf.argmax(y, 1))
    # Calculate accuracy
    accuracy = tf.reduce_mean(tf.cast(correct_prediction, "float"))
    print("Accuracy:", accuracy.eval({x: test_images, y: test_labels}))
    first_accuracy = float(accuracy.eval({x: test_images, y: test_labels}))

    # Save model weights to disk
    save_path = saver.save(sess, model_path)
    print("Model saved in file: %s" % save_path)

# Running a new session
print("Starting 2nd session...")
with tf.Session() as sess:
    # Initialize variables
    sess.run(init)

    # Restore model weights from previously saved model
    saver.restore(sess, model_path)
    print("Model restored from file: %s" % save_path)

    # Resume training
    for epoch in range(7):
        avg_cost = 0.
        total_batch = int(num_examples / batch_size)
        # Loop over all batches
        for i in range(total_batch):
            batch_x, batch_y = next_batch(batch_size)
            # Run optimization op (backprop) and cost op (to get loss value)
            _, c = sess.run([optimizer, cost], feed_dict={x: batch_x,
                                                          y: batch_y})
            # Compute average loss
            avg_cost += c / total_batch
        # Display logs per epoch step
        if epoch % display_step == 0:
            print("Epoch:", '%04d' % (epoch + 1), "cost=", \
                "{:.9f}".format(avg_cost))
        costs.append(float(avg_cost))
    print("Second Optimization Finished!")

    # Test model
    correct_prediction = tf.equal(tf.argmax(pred, 1), tf.argmax(y, 1))
    # Calculate accuracy
    accuracy = tf.reduce_mean(tf.cast(correct_prediction, "float"))
    print("Accuracy:", accuracy.eval(
        {x: test_images, y: test_labels}))
    second_accuracy = float(accuracy.eval({x: test_images, y: test_labels}))

    print("RESULT", json.dumps({
        "init": [{k: v.tolist() for k, v in d.items()} for d in initial],
        "costs": costs, "accuracy": [first_accuracy, second_accuracy],
        "final": {k: float(np.abs(v).sum()) for k, v in sess.run(weights).items()}}))
