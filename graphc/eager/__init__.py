"""Eager mode: PyTorch-style tensors that compute as each op runs, with autograd.

Import as `import graphc.eager as ge`. Every op is graphc's own (one definition, one gradient
rule), so `gc.matmul(a, b)` on eager tensors computes at once as well.
"""

from graphc.eager.creation import manual_seed, ones, rand, randn, tensor, zeros
from graphc.eager.function import Function, FunctionCtx
from graphc.eager.tape import enable_grad, is_grad_enabled, no_grad
from graphc.eager.tensor import Tensor

__all__ = ["Function", "FunctionCtx", "Tensor", "enable_grad", "is_grad_enabled",
           "manual_seed", "no_grad", "ones", "rand", "randn", "tensor", "zeros"]
