"""TensorFlow 1's "Basic Usage" guide, section by section: a default-graph matmul run in a
Session, an InteractiveSession with Variable.initializer.run() and Tensor.eval(), a counter
Variable updated by tf.assign, fetching several tensors in one run, and feeding placeholders."""

import json

import graphc as tf

# Building the graph
# Create a Constant op that produces a 1x2 matrix.  The op is
# added as a node to the default graph.
matrix1 = tf.constant([[3., 3.]])

# Create another Constant that produces a 2x1 matrix.
matrix2 = tf.constant([[2.],[2.]])

# Create a Matmul op that takes 'matrix1' and 'matrix2' as inputs.
# The returned value, 'product', represents the result of the matrix
# multiplication.
product = tf.matmul(matrix1, matrix2)

# Launching the graph in a session
# Launch the default graph.
sess = tf.Session()

# To run the matmul op we call the session 'run()' method, passing 'product'
# which represents the output of the matmul op.
result = sess.run(product)
print(result)
# ==> [[ 12.]]

# Close the Session when we're done.
sess.close()

with tf.Session() as sess:
  result = sess.run([product])
  print(result)
product_value = result[0].tolist()

# Interactive Usage
# Enter an interactive TensorFlow Session.
sess = tf.InteractiveSession()

x = tf.Variable([1.0, 2.0])
a = tf.constant([3.0, 3.0])

# Initialize 'x' using the run() method of its initializer op.
x.initializer.run()

# Add an op to subtract 'a' from 'x'.  Run it and print the result
sub = tf.subtract(x, a)
print(sub.eval())
# ==> [-2. -1.]

sub_value = sub.eval().tolist()

# Close the Session when we're done.
sess.close()

# Variables
# Create a Variable, that will be initialized to the scalar value 0.
state = tf.Variable(0, name="counter")

# Create an Op to add one to `state`.

one = tf.constant(1)
new_value = tf.add(state, one)
update = tf.assign(state, new_value)

# Variables must be initialized by running an `init` Op after having
# launched the graph.  We first have to add the `init` Op to the graph.
init_op = tf.global_variables_initializer()

# Launch the graph and run the ops.
counter = []
with tf.Session() as sess:
  # Run the 'init' op
  sess.run(init_op)
  # Print the initial value of 'state'
  print(sess.run(state))
  # Run the op that updates 'state' and print 'state'.
  for _ in range(3):
    sess.run(update)
    print(sess.run(state))
    counter.append(int(sess.run(state)))

# output:

# 0
# 1
# 2
# 3

# Fetches
input1 = tf.constant([3.0])
input2 = tf.constant([2.0])
input3 = tf.constant([5.0])
intermed = tf.add(input2, input3)
mul = tf.multiply(input1, intermed)

with tf.Session() as sess:
  result = sess.run([mul, intermed])
  print(result)

# output:
# [array([ 21.], dtype=float32), array([ 7.], dtype=float32)]
fetched = [r.tolist() for r in result]

# Feeds
input1 = tf.placeholder(tf.float32)
input2 = tf.placeholder(tf.float32)
output = tf.multiply(input1, input2)

with tf.Session() as sess:
  fed = sess.run([output], feed_dict={input1:[7.], input2:[2.]})
  print(fed)

# output:
# [array([ 14.], dtype=float32)]

print("RESULT", json.dumps({"product": product_value, "sub": sub_value, "counter": counter,
                            "fetches": fetched, "feed": fed[0].tolist(),
                            "dtypes": [mul.dtype.name, state.dtype.name]}))
