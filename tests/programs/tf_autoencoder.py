"""TensorFlow 1 autoencoder, as TensorFlow-Examples (aymericdamien) writes it: weight and bias
dicts of tf.random_normal Variables, a sigmoid encoder and decoder, the loss
tf.reduce_mean(tf.pow(y_true - y_pred, 2)) and RMSPropOptimizer. MNIST is replaced by a
synthetic set of 16-pixel images made with numpy, the layers are narrowed to fit it, it trains
for 200 steps of 64 instead of 30000 of 256, and the matplotlib figures are left out."""
# ruff: noqa: E741, UP031 (the tutorial's own spelling)

import json

import numpy as np

import graphc as tf

# Synthetic images: mixtures of four random patterns, in [0, 1]
rs = np.random.RandomState(3)
patterns = rs.rand(4, 16)
images = (rs.dirichlet(np.ones(4), 256) @ patterns).astype(np.float32)

# Training Parameters
learning_rate = 0.01
num_steps = 200
batch_size = 64

display_step = 50
examples_to_show = 10

# Network Parameters
num_hidden_1 = 8 # 1st layer num features
num_hidden_2 = 4 # 2nd layer num features (the latent dim)
num_input = 16 # data input (img shape: 4*4)

# tf Graph input (only pictures)
X = tf.placeholder("float", [None, num_input])

weights = {
    'encoder_h1': tf.Variable(tf.random_normal([num_input, num_hidden_1])),
    'encoder_h2': tf.Variable(tf.random_normal([num_hidden_1, num_hidden_2])),
    'decoder_h1': tf.Variable(tf.random_normal([num_hidden_2, num_hidden_1])),
    'decoder_h2': tf.Variable(tf.random_normal([num_hidden_1, num_input])),
}
biases = {
    'encoder_b1': tf.Variable(tf.random_normal([num_hidden_1])),
    'encoder_b2': tf.Variable(tf.random_normal([num_hidden_2])),
    'decoder_b1': tf.Variable(tf.random_normal([num_hidden_1])),
    'decoder_b2': tf.Variable(tf.random_normal([num_input])),
}

# Building the encoder
def encoder(x):
    # Encoder Hidden layer with sigmoid activation #1
    layer_1 = tf.nn.sigmoid(tf.add(tf.matmul(x, weights['encoder_h1']),
                                   biases['encoder_b1']))
    # Encoder Hidden layer with sigmoid activation #2
    layer_2 = tf.nn.sigmoid(tf.add(tf.matmul(layer_1, weights['encoder_h2']),
                                   biases['encoder_b2']))
    return layer_2


# Building the decoder
def decoder(x):
    # Decoder Hidden layer with sigmoid activation #1
    layer_1 = tf.nn.sigmoid(tf.add(tf.matmul(x, weights['decoder_h1']),
                                   biases['decoder_b1']))
    # Decoder Hidden layer with sigmoid activation #2
    layer_2 = tf.nn.sigmoid(tf.add(tf.matmul(layer_1, weights['decoder_h2']),
                                   biases['decoder_b2']))
    return layer_2

# Construct model
encoder_op = encoder(X)
decoder_op = decoder(encoder_op)

# Prediction
y_pred = decoder_op
# Targets (Labels) are the input data.
y_true = X

# Define loss and optimizer, minimize the squared error
loss = tf.reduce_mean(tf.pow(y_true - y_pred, 2))
optimizer = tf.train.RMSPropOptimizer(learning_rate).minimize(loss)

# Initialize the variables (i.e. assign their default value)
init = tf.global_variables_initializer()

# Start Training
# Start a new TF session
with tf.Session() as sess:

    # Run the initializer
    sess.run(init)
    initial = sess.run([weights, biases])

    losses = []
    # Training
    for i in range(1, num_steps+1):
        # Prepare Data
        # Get the next batch of images (only images are needed, not labels)
        start = (i - 1) * batch_size % len(images)
        batch_x = images[start:start + batch_size]

        # Run optimization op (backprop) and cost op (to get loss value)
        _, l = sess.run([optimizer, loss], feed_dict={X: batch_x})
        # Display logs per step
        if i % display_step == 0 or i == 1:
            print('Step %i: Minibatch Loss: %f' % (i, l))
        losses.append(float(l))

    # Testing
    # Encode and decode images from the test set
    g = sess.run(decoder_op, feed_dict={X: images[:examples_to_show]})

    print("RESULT", json.dumps({
        "init": [{k: v.tolist() for k, v in d.items()} for d in initial],
        "losses": losses, "decoded": g.tolist()}))
