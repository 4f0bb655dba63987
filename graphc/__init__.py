"""graphc: a static-graph deep-learning compiler and runtime with a TensorFlow-1-style API."""

import sys as _sys

from graphc import runtime  # noqa: F401 - registers the backends
from graphc import testing as test
from graphc.dtypes import (DType, as_dtype, bool, float32, float64, int8, int16, int32, int64,
                           uint8, uint16)
from graphc.errors import FailedPreconditionError, GraphcError, InvalidArgumentError
from graphc.graph import (Graph, Node, Tensor, control_dependencies, get_default_graph,
                          name_scope, reset_default_graph)
from graphc.ops import *  # noqa: F403 - the op functions are the public API
from graphc.ops.elementwise import *  # noqa: F403 - (named here too, for type checkers)
from graphc.ops.composite import *  # noqa: F403 - (named here too, for type checkers)
from graphc.ops import __all__ as _ops_all
from graphc.ops import flow as _flow
from graphc.function_runner import compile_function as _compile_function
from graphc.passes.autodiff import gradients
from graphc.saver import Saver
from graphc.serialize import export_graph, import_graph
from graphc.session import Session
from graphc.clipping import clip_by_global_norm, clip_by_norm, global_norm
from graphc.tf_names import (arg_max, arg_min, device, rank, shape, size, to_double, to_float,
                             to_int32, to_int64)
from graphc.tf_names import where  # noqa: F401 - TF1's where (rank-1 conditions pick rows)
from graphc.session import InteractiveSession
from graphc.variables import (Variable, global_variables, global_variables_initializer,
                              trainable_variables, variables_initializer)
from graphc.variables import assign, assign_add, assign_sub
from graphc import initializers  # gc.initializers: tf.initializers.zeros() ...
from graphc.initializers import (constant_initializer, glorot_normal_initializer,
                                 glorot_uniform_initializer, ones_initializer,
                                 random_normal_initializer, random_uniform_initializer,
                                 truncated_normal_initializer, variance_scaling_initializer,
                                 zeros_initializer)
from graphc.variable_scope import (AUTO_REUSE, VariableScope, get_variable, get_variable_scope,
                                   variable_scope)


# ops/ sits below passes/ and runtime/, so control flow is handed their parts here
_flow.install(_compile_function, gradients)

from graphc import nn, optim, viz  # noqa: E402 - they build on everything above
from graphc import summary  # noqa: E402, F401 - gc.summary (TensorBoard event files)
from graphc import train  # noqa: E402 - gc.train (TensorFlow 1's optimizers, global step)
from graphc import layers, losses  # noqa: E402 - gc.layers.dense, gc.losses (tf.losses)
from graphc.config import ConfigProto, GPUOptions, GraphOptions  # noqa: E402
from graphc.graph_keys import (GraphKeys, add_to_collection, add_to_collections,  # noqa: E402
                               get_collection, get_collection_ref, local_variables,
                               local_variables_initializer)
from graphc.variables import initialize_all_variables  # noqa: E402
from graphc.moving_averages import moving_average_variables  # noqa: E402
from graphc.shapes import (Dimension, TensorShape, dimension_at_index,  # noqa: E402
                           dimension_value)

from graphc import tf_namespaces as _tf_namespaces  # noqa: E402
from graphc.tf_namespaces import (disable_eager_execution, disable_v2_behavior,  # noqa: E402
                                  executing_eagerly)

__version__ = "0.1.0"

__all__ = [
    "DType", "FailedPreconditionError", "Graph", "GraphcError", "InvalidArgumentError", "Node",
    "Saver", "Session", "Tensor", "Variable", "as_dtype", "bool", "control_dependencies",
    "export_graph", "float32", "float64", "get_default_graph", "global_variables",
    "global_variables_initializer", "gradients", "import_graph", "int32", "int64", "name_scope",
    "nn", "optim", "reset_default_graph", "test", "trainable_variables", "variables_initializer",
    "viz", *_ops_all,
]
__all__ += ["InteractiveSession", "assign", "assign_add", "assign_sub", "train"]
__all__ += ["int8", "int16", "layers", "losses", "uint8", "uint16"]
__all__ += ["arg_max", "arg_min", "rank", "shape", "size", "to_double", "to_float", "to_int32",
            "to_int64"]
__all__ += ["clip_by_global_norm", "clip_by_norm", "device", "global_norm"]
__all__ += ["AUTO_REUSE", "VariableScope", "constant_initializer", "get_variable",
            "get_variable_scope", "glorot_normal_initializer", "glorot_uniform_initializer",
            "initializers", "ones_initializer", "random_normal_initializer",
            "random_uniform_initializer", "truncated_normal_initializer", "variable_scope",
            "variance_scaling_initializer", "zeros_initializer"]
__all__ += ["ConfigProto", "GPUOptions", "GraphKeys", "GraphOptions", "add_to_collection",
            "add_to_collections", "get_collection", "get_collection_ref",
            "initialize_all_variables", "local_variables", "local_variables_initializer"]

# tf.math, tf.random, tf.logging, tf.compat.v1, tf.disable_v2_behavior(): TensorFlow's later
# spellings of these names (not in __all__: `from graphc import *` leaves Python's math,
# random and logging alone)
_tf_namespaces.install(_sys.modules[__name__])
from graphc.ops.debug import print_ as print  # noqa: E402, F401 - tf.print (not in __all__)
__all__ += ["disable_eager_execution", "disable_v2_behavior", "executing_eagerly"]
__all__ += ["Dimension", "TensorShape", "dimension_at_index", "dimension_value",
            "moving_average_variables"]
