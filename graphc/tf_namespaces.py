"""TensorFlow's later spellings of TensorFlow 1 names, so a program written for
`tensorflow.compat.v1` or with `tf.math.*` / `tf.random.*` runs with `import graphc as tf`:

- `tf.compat.v1` is graphc itself, and `tf.disable_v2_behavior()` /
  `tf.disable_eager_execution()` (the first lines of such programs) do nothing: graphc's
  graphs are TensorFlow 1's already. `tf.executing_eagerly()` is False.
- `tf.math` and `tf.random` hold the functions graphc has under their TensorFlow 1 names
  (`tf.math.log` is `tf.log`, `tf.random.normal` is `tf.random_normal`), the same objects.
- `tf.image` holds TensorFlow 1's image resizing (graphc/tf_image.py).
- `tf.logging` is TensorFlow 1's logger: `set_verbosity`, `info`, `warn`, ... on Python's
  logging, under the name "graphc".

Each namespace is a module object built from existing functions: nothing is defined twice.
"""

from __future__ import annotations

import importlib.machinery
import logging as _logging
import sys
import types
from typing import Any

from graphc import tf_image

# tf.math's names that graphc has under the same name at the top level
MATH = ("abs", "add", "add_n", "argmax", "argmin", "cos", "count_nonzero", "cumprod", "cumsum",
        "divide", "equal", "erf", "exp", "floor", "floordiv", "floormod", "greater",
        "greater_equal", "is_nan", "less", "less_equal", "log", "log1p", "logical_and",
        "logical_not", "logical_or", "maximum", "minimum", "mod", "multiply", "negative",
        "not_equal", "pow", "reduce_all", "reduce_any", "reduce_logsumexp", "reduce_max",
        "reduce_mean", "reduce_min", "reduce_prod", "reduce_sum", "round", "rsqrt", "sigmoid",
        "sign", "sin", "sqrt", "square", "squared_difference", "subtract", "tanh")
# (tf.math has tf.nn's too)
MATH_FROM_NN = ("in_top_k", "log_softmax", "softmax", "softplus", "top_k")
# tf.linalg's names -> graphc's TensorFlow 1 names
LINALG = {"band_part": "matrix_band_part", "einsum": "einsum", "matmul": "matmul",
          "norm": "norm", "tensordot": "tensordot"}
# tf.random's names -> graphc's TensorFlow 1 names
RANDOM = {"normal": "random_normal", "uniform": "random_uniform",
          "truncated_normal": "truncated_normal", "set_seed": "set_random_seed",
          "set_random_seed": "set_random_seed"}


def disable_v2_behavior() -> None:
    """TensorFlow 2's switch back to TensorFlow 1's graphs and sessions: graphc's are those
    already, so it does nothing."""


def disable_eager_execution() -> None:
    """TensorFlow 2's switch to graphs: graphc's tf is graphs already (graphc.eager is its
    eager mode), so it does nothing."""


def executing_eagerly() -> bool:
    """False: graphc's tf functions build graphs (graphc.eager computes at once)."""
    return False


def _namespace(name: str, doc: str, members: dict[str, Any]) -> types.ModuleType:
    module = types.ModuleType(f"graphc.{name}", doc)
    module.__spec__ = importlib.machinery.ModuleSpec(module.__name__, None)
    module.__dict__.update(members)
    module.__all__ = sorted(members)  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module  # (so `import graphc.math` finds it too)
    return module


def _logging_namespace() -> types.ModuleType:
    logger = _logging.getLogger("graphc")
    if not logger.handlers:  # (TensorFlow's logger prints "INFO:tensorflow:..." itself)
        handler = _logging.StreamHandler()
        handler.setFormatter(_logging.Formatter("%(levelname)s:%(name)s:%(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    levels = {"DEBUG": _logging.DEBUG, "INFO": _logging.INFO, "WARN": _logging.WARNING,
              "ERROR": _logging.ERROR, "FATAL": _logging.FATAL}
    return _namespace("logging", "TensorFlow 1's tf.logging, on Python's logging (logger "
                      "'graphc').", {
                          **levels, "set_verbosity": logger.setLevel,
                          "get_verbosity": logger.getEffectiveLevel, "debug": logger.debug,
                          "info": logger.info, "warn": logger.warning,
                          "warning": logger.warning, "error": logger.error,
                          "fatal": logger.critical, "log": logger.log})


def install(package: types.ModuleType) -> None:
    """Give the graphc package its namespaces (called once, from graphc/__init__.py)."""
    members = package.__dict__
    nn = members["nn"]
    package.math = _namespace(  # type: ignore[attr-defined]
        "math", "tf.math: graphc's math functions under TensorFlow's later names.",
        {**{name: members[name] for name in MATH},
         **{name: getattr(nn, name) for name in MATH_FROM_NN}})
    package.random = _namespace(  # type: ignore[attr-defined]
        "random", "tf.random: graphc's random ops under TensorFlow's later names.",
        {new: members[old] for new, old in RANDOM.items()})
    package.linalg = _namespace(  # type: ignore[attr-defined]
        "linalg", "tf.linalg: graphc's matrix functions under TensorFlow's later names.",
        {new: members[old] for new, old in LINALG.items()})
    package.logging = _logging_namespace()  # type: ignore[attr-defined]
    package.image = _namespace(  # type: ignore[attr-defined]
        "image", "tf.image: TensorFlow 1's image resizing (graphc/tf_image.py).",
        {name: getattr(tf_image, name) for name in tf_image.__all__})
    package.compat = _namespace(  # type: ignore[attr-defined]
        "compat", "tf.compat: v1 is graphc itself.", {
            "v1": package, "dimension_value": members["dimension_value"],
            "dimension_at_index": members["dimension_at_index"]})
    sys.modules["graphc.compat.v1"] = package  # (import graphc.compat.v1 as tf)
