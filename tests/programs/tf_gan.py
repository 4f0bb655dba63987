"""TensorFlow 1 generative adversarial network, as TensorFlow-Examples (aymericdamien) writes
it: glorot_init with tf.random_normal and a tensor stddev, a ReLU/sigmoid generator and
discriminator, gen_loss = -reduce_mean(log(D(G(z)))), two AdamOptimizers each given its own
var_list, and both training ops fetched in one run. MNIST is replaced by a synthetic set of
16-pixel images made with numpy, the networks are narrowed to fit it, numpy's generator and the
graph are seeded, it trains for 200 steps of 32 instead of 100000 of 128, and the matplotlib
figures are left out."""
# ruff: noqa: UP031 (the tutorial's own formatting)

import json

import numpy as np

import graphc as tf

# Synthetic images: two bright stripes at random places, in [0, 1]
rs = np.random.RandomState(10)
images = np.zeros((256, 16), np.float32)
for row, start in enumerate(rs.randint(0, 12, 256)):
    images[row, start:start + 4] = rs.uniform(0.6, 1.0)
np.random.seed(11)

tf.set_random_seed(1)  # seeded: the runs repeat

# Training Params
num_steps = 200
batch_size = 32
learning_rate = 0.0002

# Network Params
image_dim = 16 # 4*4 pixels
gen_hidden_dim = 16
disc_hidden_dim = 16
noise_dim = 4 # Noise data points

# A custom initialization (see Xavier Glorot init)
def glorot_init(shape):
    return tf.random_normal(shape=shape, stddev=1. / tf.sqrt(shape[0] / 2.))

# Store layers weight & bias
weights = {
    'gen_hidden1': tf.Variable(glorot_init([noise_dim, gen_hidden_dim])),
    'gen_out': tf.Variable(glorot_init([gen_hidden_dim, image_dim])),
    'disc_hidden1': tf.Variable(glorot_init([image_dim, disc_hidden_dim])),
    'disc_out': tf.Variable(glorot_init([disc_hidden_dim, 1])),
}
biases = {
    'gen_hidden1': tf.Variable(tf.zeros([gen_hidden_dim])),
    'gen_out': tf.Variable(tf.zeros([image_dim])),
    'disc_hidden1': tf.Variable(tf.zeros([disc_hidden_dim])),
    'disc_out': tf.Variable(tf.zeros([1])),
}


# Generator
def generator(x):
    hidden_layer = tf.matmul(x, weights['gen_hidden1'])
    hidden_layer = tf.add(hidden_layer, biases['gen_hidden1'])
    hidden_layer = tf.nn.relu(hidden_layer)
    out_layer = tf.matmul(hidden_layer, weights['gen_out'])
    out_layer = tf.add(out_layer, biases['gen_out'])
    out_layer = tf.nn.sigmoid(out_layer)
    return out_layer


# Discriminator
def discriminator(x):
    hidden_layer = tf.matmul(x, weights['disc_hidden1'])
    hidden_layer = tf.add(hidden_layer, biases['disc_hidden1'])
    hidden_layer = tf.nn.relu(hidden_layer)
    out_layer = tf.matmul(hidden_layer, weights['disc_out'])
    out_layer = tf.add(out_layer, biases['disc_out'])
    out_layer = tf.nn.sigmoid(out_layer)
    return out_layer

# Build Networks
# Network Inputs
gen_input = tf.placeholder(tf.float32, shape=[None, noise_dim], name='input_noise')
disc_input = tf.placeholder(tf.float32, shape=[None, image_dim], name='disc_input')

# Build Generator Network
gen_sample = generator(gen_input)

# Build 2 Discriminator Networks (one from noise input, one from generated samples)
disc_real = discriminator(disc_input)
disc_fake = discriminator(gen_sample)

# Build Loss
gen_loss = -tf.reduce_mean(tf.log(disc_fake))
disc_loss = -tf.reduce_mean(tf.log(disc_real) + tf.log(1. - disc_fake))

# Build Optimizers
optimizer_gen = tf.train.AdamOptimizer(learning_rate=learning_rate)
optimizer_disc = tf.train.AdamOptimizer(learning_rate=learning_rate)

# Training Variables for each optimizer
# By default in TensorFlow, all variables are updated by each optimizer, so we
# need to precise for each one of them the specific variables to update.
# Generator Network Variables
gen_vars = [weights['gen_hidden1'], weights['gen_out'],
            biases['gen_hidden1'], biases['gen_out']]
# Discriminator Network Variables
disc_vars = [weights['disc_hidden1'], weights['disc_out'],
            biases['disc_hidden1'], biases['disc_out']]

# Create training operations
train_gen = optimizer_gen.minimize(gen_loss, var_list=gen_vars)
train_disc = optimizer_disc.minimize(disc_loss, var_list=disc_vars)

# Initialize the variables (i.e. assign their default value)
init = tf.global_variables_initializer()

# Start training
with tf.Session() as sess:

    # Run the initializer
    sess.run(init)
    initial = sess.run(weights)

    gen_losses, disc_losses = [], []
    for i in range(1, num_steps+1):
        # Prepare Data
        # Get the next batch of images (only images are needed, not labels)
        start = (i - 1) * batch_size % len(images)
        batch_x = images[start:start + batch_size]
        # Generate noise to feed to the generator
        z = np.random.uniform(-1., 1., size=[batch_size, noise_dim])

        # Train
        feed_dict = {disc_input: batch_x, gen_input: z}
        _, _, gl, dl = sess.run([train_gen, train_disc, gen_loss, disc_loss],
                                feed_dict=feed_dict)
        if i % 50 == 0 or i == 1:
            print('Step %i: Generator Loss: %f, Discriminator Loss: %f' % (i, gl, dl))
        gen_losses.append(float(gl))
        disc_losses.append(float(dl))

    print("RESULT", json.dumps({
        "init": {k: v.tolist() for k, v in initial.items()},
        "gen_losses": gen_losses, "disc_losses": disc_losses,
        "final": {k: v.tolist() for k, v in sess.run(weights).items()}}))
