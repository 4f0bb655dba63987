"""Neural-network modules that work on eager tensors and in graphs alike (gc.nn), and
TensorFlow 1's tf.nn functions beside them (gc.nn.softmax_cross_entropy_with_logits...)."""

from graphc.nn import functional
from graphc.nn.activations import LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from graphc.nn.layers import Dropout, Flatten, Linear, Sequential
from graphc.nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from graphc.nn.module import Module
from graphc.nn.parameter import Parameter
from graphc.nn.tf_functions import (
    bias_add,
    dropout,
    in_top_k,
    l2_loss,
    log_softmax,
    relu,
    sigmoid,
    sigmoid_cross_entropy_with_logits,
    softmax,
    softmax_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits_v2,
    softplus,
    sparse_softmax_cross_entropy_with_logits,
    tanh,
)

__all__ = ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "Dropout", "Flatten", "L1Loss",
           "Linear", "LogSoftmax", "MSELoss", "Module", "NLLLoss", "Parameter", "ReLU",
           "Sequential", "Sigmoid", "SmoothL1Loss", "Softmax", "Tanh", "bias_add",
           "dropout", "functional", "in_top_k", "l2_loss", "log_softmax", "relu",
           "sigmoid", "sigmoid_cross_entropy_with_logits", "softmax",
           "softmax_cross_entropy_with_logits", "softmax_cross_entropy_with_logits_v2",
           "softplus", "sparse_softmax_cross_entropy_with_logits", "tanh"]
