"""TensorFlow 1's tutorial "TensorFlow Mechanics 101" (mnist.py and fully_connected_feed.py):
inference in name scopes with tf.truncated_normal weights, loss with tf.to_int64 and
tf.losses.sparse_softmax_cross_entropy, training with a summary and a global step, evaluation
with tf.nn.in_top_k, placeholder_inputs / fill_feed_dict / do_eval, a FileWriter on sess.graph
and Saver.save with global_step, in one file. MNIST is replaced by a synthetic DataSet made with
numpy (8x8 images), the command-line flags by constants (200 steps, narrower layers, a new
temporary log_dir), and main()'s clearing of log_dir is left out; the graph's random seed is set."""
# ruff: noqa: B007, UP031 (the tutorial's own spelling)

import json
import math
import os
import tempfile
import time

import numpy as np

import graphc as tf

# The MNIST dataset has 10 classes, representing the digits 0 through 9.
NUM_CLASSES = 10

# The MNIST images are always 28x28 pixels.
IMAGE_SIZE = 8
IMAGE_PIXELS = IMAGE_SIZE * IMAGE_SIZE


class FLAGS:
  learning_rate = 0.1
  max_steps = 200
  hidden1 = 32
  hidden2 = 16
  batch_size = 50
  log_dir = tempfile.mkdtemp()
  fake_data = False


class DataSet:
  """Synthetic digits: ten prototype images, each example a noisy copy of one."""

  def __init__(self, seed, num_examples):
    rs = np.random.RandomState(seed)
    prototypes = np.random.RandomState(12).rand(NUM_CLASSES, IMAGE_PIXELS)
    self.labels = rs.randint(0, NUM_CLASSES, num_examples).astype(np.int32)
    self.images = np.clip(prototypes[self.labels] + rs.randn(num_examples, IMAGE_PIXELS) / 2,
                          0, 1).astype(np.float32)
    self.num_examples = num_examples
    self._index_in_epoch = 0

  def next_batch(self, batch_size, fake_data=False):
    start = self._index_in_epoch
    self._index_in_epoch = (start + batch_size) % self.num_examples
    return self.images[start:start + batch_size], self.labels[start:start + batch_size]


class data_sets:
  train = DataSet(13, 1000)
  validation = DataSet(14, 200)
  test = DataSet(15, 200)


def inference(images, hidden1_units, hidden2_units):
  """Build the MNIST model up to where it may be used for inference."""
  # Hidden 1
  with tf.name_scope('hidden1'):
    weights = tf.Variable(
        tf.truncated_normal([IMAGE_PIXELS, hidden1_units],
                            stddev=1.0 / math.sqrt(float(IMAGE_PIXELS))),
        name='weights')
    biases = tf.Variable(tf.zeros([hidden1_units]),
                         name='biases')
    hidden1 = tf.nn.relu(tf.matmul(images, weights) + biases)
  # Hidden 2
  with tf.name_scope('hidden2'):
    weights = tf.Variable(
        tf.truncated_normal([hidden1_units, hidden2_units],
                            stddev=1.0 / math.sqrt(float(hidden1_units))),
        name='weights')
    biases = tf.Variable(tf.zeros([hidden2_units]),
                         name='biases')
    hidden2 = tf.nn.relu(tf.matmul(hidden1, weights) + biases)
  # Linear
  with tf.name_scope('softmax_linear'):
    weights = tf.Variable(
        tf.truncated_normal([hidden2_units, NUM_CLASSES],
                            stddev=1.0 / math.sqrt(float(hidden2_units))),
        name='weights')
    biases = tf.Variable(tf.zeros([NUM_CLASSES]),
                         name='biases')
    logits = tf.matmul(hidden2, weights) + biases
  return logits


def loss(logits, labels):
  """Calculates the loss from the logits and the labels."""
  labels = tf.to_int64(labels)
  return tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)


def training(loss, learning_rate):
  """Sets up the training Ops."""
  # Add a scalar summary for the snapshot loss.
  tf.summary.scalar('loss', loss)
  # Create the gradient descent optimizer with the given learning rate.
  optimizer = tf.train.GradientDescentOptimizer(learning_rate)
  # Create a variable to track the global step.
  global_step = tf.Variable(0, name='global_step', trainable=False)
  # Use the optimizer to apply the gradients that minimize the loss
  # (and also increment the global step counter) as a single training step.
  train_op = optimizer.minimize(loss, global_step=global_step)
  return train_op


def evaluation(logits, labels):
  """Evaluate the quality of the logits at predicting the label."""
  # For a classifier model, we can use the in_top_k Op.
  # It returns a bool tensor with shape [batch_size] that is true for
  # the examples where the label is in the top k (here k=1)
  # of all logits for that example.
  correct = tf.nn.in_top_k(logits, labels, 1)
  # Return the number of true entries.
  return tf.reduce_sum(tf.cast(correct, tf.int32))


def placeholder_inputs(batch_size):
  """Generate placeholder variables to represent the input tensors."""
  images_placeholder = tf.placeholder(tf.float32, shape=(batch_size,
                                                         IMAGE_PIXELS))
  labels_placeholder = tf.placeholder(tf.int32, shape=(batch_size))
  return images_placeholder, labels_placeholder


def fill_feed_dict(data_set, images_pl, labels_pl):
  """Fills the feed_dict for training the given step."""
  images_feed, labels_feed = data_set.next_batch(FLAGS.batch_size,
                                                 FLAGS.fake_data)
  feed_dict = {
      images_pl: images_feed,
      labels_pl: labels_feed,
  }
  return feed_dict


def do_eval(sess,
            eval_correct,
            images_placeholder,
            labels_placeholder,
            data_set):
  """Runs one evaluation against the full epoch of data."""
  # And run one epoch of eval.
  true_count = 0  # Counts the number of correct predictions.
  steps_per_epoch = data_set.num_examples // FLAGS.batch_size
  num_examples = steps_per_epoch * FLAGS.batch_size
  for step in range(steps_per_epoch):
    feed_dict = fill_feed_dict(data_set,
                               images_placeholder,
                               labels_placeholder)
    true_count += sess.run(eval_correct, feed_dict=feed_dict)
  precision = float(true_count) / num_examples
  print('Num examples: %d  Num correct: %d  Precision @ 1: %0.04f' %
        (num_examples, true_count, precision))
  return int(true_count)


def run_training():
  """Train MNIST for a number of steps."""
  result = {"losses": [], "correct": []}
  # Tell TensorFlow that the model will be built into the default Graph.
  with tf.Graph().as_default():
    tf.set_random_seed(1)  # seeded: the runs repeat
    # Generate placeholders for the images and labels.
    images_placeholder, labels_placeholder = placeholder_inputs(
        FLAGS.batch_size)

    # Build a Graph that computes predictions from the inference model.
    logits = inference(images_placeholder,
                       FLAGS.hidden1,
                       FLAGS.hidden2)

    # Add to the Graph the Ops for loss calculation.
    loss_op = loss(logits, labels_placeholder)

    # Add to the Graph the Ops that calculate and apply gradients.
    train_op = training(loss_op, FLAGS.learning_rate)

    # Add the Op to compare the logits to the labels during evaluation.
    eval_correct = evaluation(logits, labels_placeholder)

    # Build the summary Tensor based on the TF collection of Summaries.
    summary = tf.summary.merge_all()

    # Add the variable initializer Op.
    init = tf.global_variables_initializer()

    # Create a saver for writing training checkpoints.
    saver = tf.train.Saver()

    # Create a session for running Ops on the Graph.
    sess = tf.Session()

    # Instantiate a SummaryWriter to output summaries and the Graph.
    summary_writer = tf.summary.FileWriter(FLAGS.log_dir, sess.graph)

    # And then after everything is built:

    # Run the Op to initialize the variables.
    sess.run(init)
    result["init"] = [v.tolist() for v in sess.run(tf.trainable_variables())]

    # Start the training loop.
    for step in range(FLAGS.max_steps):
      start_time = time.time()

      # Fill a feed dictionary with the actual set of images and labels
      # for this particular training step.
      feed_dict = fill_feed_dict(data_sets.train,
                                 images_placeholder,
                                 labels_placeholder)

      # Run one step of the model.  The return values are the activations
      # from the `train_op` (which is discarded) and the `loss` Op.  To
      # inspect the values of your Ops or variables, you may include them
      # in the list passed to sess.run() and the value tensors will be
      # returned in the tuple from the call.
      _, loss_value = sess.run([train_op, loss_op],
                               feed_dict=feed_dict)
      result["losses"].append(float(loss_value))

      duration = time.time() - start_time

      # Write the summaries and print an overview fairly often.
      if step % 100 == 0:
        # Print status to stdout.
        print('Step %d: loss = %.2f (%.3f sec)' % (step, loss_value, duration))
        # Update the events file.
        summary_str = sess.run(summary, feed_dict=feed_dict)
        summary_writer.add_summary(summary_str, step)
        summary_writer.flush()

      # Save a checkpoint and evaluate the model periodically.
      if (step + 1) % 1000 == 0 or (step + 1) == FLAGS.max_steps:
        checkpoint_file = os.path.join(FLAGS.log_dir, 'model.ckpt')
        saver.save(sess, checkpoint_file, global_step=step)
        # Evaluate against the training set.
        print('Training Data Eval:')
        result["correct"].append(do_eval(sess,
                                         eval_correct,
                                         images_placeholder,
                                         labels_placeholder,
                                         data_sets.train))
        # Evaluate against the validation set.
        print('Validation Data Eval:')
        result["correct"].append(do_eval(sess,
                                         eval_correct,
                                         images_placeholder,
                                         labels_placeholder,
                                         data_sets.validation))
        # Evaluate against the test set.
        print('Test Data Eval:')
        result["correct"].append(do_eval(sess,
                                         eval_correct,
                                         images_placeholder,
                                         labels_placeholder,
                                         data_sets.test))
  return result


result = run_training()
print("RESULT", json.dumps(result))
