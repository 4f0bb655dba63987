"""Neural-network modules that work on eager tensors and in graphs alike (gc.nn), and
TensorFlow 1's tf.nn functions beside them (gc.nn.softmax_cross_entropy_with_logits...)."""

from graphc.nn import functional, init, utils
from graphc.nn.activations import (ELU, GELU, Identity, LeakyReLU, LogSoftmax, ReLU, Sigmoid,
                                   Softmax, Softplus, Tanh)
from graphc.nn.activations import PReLU, ReLU6, SiLU, Hardtanh
from graphc.nn.containers import ModuleDict, ModuleList
from graphc.nn.conv_layers import AvgPool2d, Conv2d, MaxPool2d
from graphc.nn.conv_layers import ConvTranspose2d
from graphc.nn.layers import Dropout, Dropout2d, Embedding, Flatten, LayerNorm, Linear, Sequential
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
from graphc.nn.embedding_bag import EmbeddingBag
from graphc.ops.sort import top_k  # (tf.nn.top_k)
from graphc.nn.normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, batch_normalization
from graphc.nn.parameter import Parameter
from graphc.nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from graphc.nn.resampling import (AdaptiveAvgPool2d, AdaptiveMaxPool2d, Upsample,
                                  UpsamplingBilinear2d, UpsamplingNearest2d)
from graphc.nn.padding import (CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad1d,
                               ConstantPad2d, ConstantPad3d, ReflectionPad1d, ReflectionPad2d,
                               ReflectionPad3d, ReplicationPad1d, ReplicationPad2d,
                               ReplicationPad3d, ZeroPad1d, ZeroPad2d, ZeroPad3d)
from graphc.nn.tf_conv import avg_pool, avg_pool2d, conv2d, max_pool, max_pool2d
from graphc.nn.tf_conv import conv2d_transpose
from graphc.nn.tf_extra import local_response_normalization, lrn, zero_fraction
from graphc.nn.tf_functions import (
    bias_add,
    dropout,
    elu,
    embedding_lookup,
    gelu,
    in_top_k,
    l2_loss,
    l2_normalize,
    leaky_relu,
    log_softmax,
    moments,
    relu,
    relu6,
    sigmoid,
    sigmoid_cross_entropy_with_logits,
    softmax,
    softmax_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits_v2,
    softplus,
    sparse_softmax_cross_entropy_with_logits,
    tanh,
    xw_plus_b,
)

__all__ = ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "Dropout", "ELU", "Flatten",
           "Identity", "L1Loss", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss", "Module",
           "ModuleDict", "ModuleList", "NLLLoss", "Parameter", "ReLU", "Sequential", "Sigmoid",
           "SmoothL1Loss", "Softmax", "Softplus", "Tanh", "bias_add", "dropout", "functional",
           "in_top_k", "init", "utils", "l2_loss", "log_softmax", "relu",
           "sigmoid", "sigmoid_cross_entropy_with_logits", "softmax",
           "softmax_cross_entropy_with_logits", "softmax_cross_entropy_with_logits_v2",
           "softplus", "sparse_softmax_cross_entropy_with_logits", "tanh"]
__all__ += ["Embedding", "LayerNorm", "elu", "embedding_lookup", "l2_normalize", "leaky_relu",
            "moments", "relu6", "xw_plus_b"]
__all__ += ["AvgPool2d", "Conv2d", "MaxPool2d", "avg_pool", "avg_pool2d", "conv2d", "max_pool",
            "max_pool2d"]
__all__ += ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "GELU", "batch_normalization", "gelu",
            "top_k"]
__all__ += ["Dropout2d"]
__all__ += ["local_response_normalization", "lrn", "zero_fraction"]  # (nn/tf_extra.py)
__all__ += ["ConvTranspose2d", "conv2d_transpose"]
__all__ += ["CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d",
            "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
            "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "ZeroPad1d",
            "ZeroPad2d", "ZeroPad3d"]  # (nn/padding.py)
__all__ += ["AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "Upsample", "UpsamplingBilinear2d",
            "UpsamplingNearest2d"]  # (nn/resampling.py)
__all__ += ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNCell"]  # (nn/recurrent.py)
__all__ += ["EmbeddingBag"]  # (nn/embedding_bag.py)
__all__ += ["Hardtanh", "PReLU", "ReLU6", "SiLU"]  # (nn/activations.py)
