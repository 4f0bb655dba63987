"""graphc: a static-graph deep-learning compiler and runtime with a TensorFlow-1-style API."""

from graphc import runtime  # noqa: F401 - registers the backends
from graphc.dtypes import DType, as_dtype, bool, float32, float64, int32, int64
from graphc.errors import FailedPreconditionError, GraphcError, InvalidArgumentError
from graphc.graph import (
                          Graph,
                          Node,
                          Tensor,
                          control_dependencies,
                          get_default_graph,
                          name_scope,
                          reset_default_graph,
)
from graphc.ops import (
                          abs,
                          add,
                          cast,
                          constant,
                          divide,
                          equal,
                          exp,
                          fill,
                          greater,
                          greater_equal,
                          group,
                          identity,
                          less,
                          less_equal,
                          log,
                          matmul,
                          maximum,
                          minimum,
                          multiply,
                          negative,
                          no_op,
                          ones,
                          ones_like,
                          placeholder,
                          pow,
                          random_normal,
                          random_uniform,
                          reduce_max,
                          reduce_mean,
                          reduce_sum,
                          relu,
                          reshape,
                          set_random_seed,
                          sigmoid,
                          sign,
                          sqrt,
                          square,
                          stop_gradient,
                          subtract,
                          tanh,
                          transpose,
                          where,
                          zeros,
                          zeros_like,
)
from graphc.passes.autodiff import gradients
from graphc.session import Session
from graphc.variables import (
                          Variable,
                          global_variables,
                          global_variables_initializer,
                          trainable_variables,
                          variables_initializer,
)

__version__ = "0.1.0"

__all__ = [
    "DType", "FailedPreconditionError", "Graph", "GraphcError", "InvalidArgumentError", "Node",
    "Session", "Tensor", "Variable", "abs", "add", "as_dtype", "bool", "cast", "constant",
    "control_dependencies", "divide", "equal", "exp", "fill", "float32", "float64",
    "get_default_graph", "global_variables", "global_variables_initializer", "gradients",
    "greater", "greater_equal", "group", "identity", "int32", "int64", "less", "less_equal",
    "log", "matmul", "maximum", "minimum", "multiply", "name_scope", "negative", "no_op", "ones",
    "ones_like", "placeholder", "pow", "random_normal", "random_uniform", "reduce_max",
    "reduce_mean", "reduce_sum", "relu", "reset_default_graph", "reshape", "set_random_seed",
    "sigmoid", "sign", "sqrt", "square", "stop_gradient", "subtract", "tanh",
    "trainable_variables", "transpose", "variables_initializer", "where", "zeros", "zeros_like",
]
