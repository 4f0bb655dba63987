"""TensorFlow 1 multilayer perceptron, as TensorFlow-Examples (aymericdamien) wrote it: weight
and bias dicts of tf.random_normal Variables, two ReLU layers, softmax_cross_entropy_with_logits,
AdamOptimizer over mini-batches, argmax accuracy with Tensor.eval. MNIST is replaced by a
synthetic set made with numpy, the layers are narrowed to fit it, and it trains for 20 epochs of
5 batches at a learning rate of 0.01 (the tutorial: 15 epochs of 550 batches at 0.001), with
the graph's random seed set."""
# ruff: noqa: UP031, UP032 (the tutorial's own formatting)

import json

import numpy as np

import graphc as tf

# Synthetic data: ten prototypes, each example a noisy copy of one, one-hot labels
rs = np.random.RandomState(2)
prototypes = rs.rand(10, 64)
train_digits, test_digits = rs.randint(0, 10, 500), rs.randint(0, 10, 200)
train_images = np.clip(prototypes[train_digits] + rs.randn(500, 64) / 2, 0, 1).astype(np.float32)
test_images = np.clip(prototypes[test_digits] + rs.randn(200, 64) / 2, 0, 1).astype(np.float32)
train_labels = np.eye(10, dtype=np.float32)[train_digits]
test_labels = np.eye(10, dtype=np.float32)[test_digits]

tf.set_random_seed(1)  # seeded: the runs repeat

# Parameters
learning_rate = 0.01
training_epochs = 20
batch_size = 100
display_step = 1

# Network Parameters
n_hidden_1 = 32 # 1st layer number of features
n_hidden_2 = 32 # 2nd layer number of features
n_input = 64 # data input
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

# Initializing the variables
init = tf.global_variables_initializer()

# Launch the graph
with tf.Session() as sess:
    sess.run(init)
    initial = sess.run([weights, biases])

    costs = []
    # Training cycle
    for epoch in range(training_epochs):
        avg_cost = 0.
        total_batch = int(len(train_images)/batch_size)
        # Loop over all batches
        for i in range(total_batch):
            batch_x = train_images[i*batch_size:(i+1)*batch_size]
            batch_y = train_labels[i*batch_size:(i+1)*batch_size]
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
    print("Optimization Finished!")

    # Test model
    correct_prediction = tf.equal(tf.argmax(pred, 1), tf.argmax(y, 1))
    # Calculate accuracy
    accuracy = tf.reduce_mean(tf.cast(correct_prediction, "float"))
    test_accuracy = accuracy.eval({x: test_images, y: test_labels})
    print("Accuracy:", test_accuracy)

    print("RESULT", json.dumps({
        "init": [{k: v.tolist() for k, v in d.items()} for d in initial],
        "costs": costs, "accuracy": float(test_accuracy),
        "final": {k: float(np.abs(v).sum()) for k, v in sess.run(weights).items()}}))
