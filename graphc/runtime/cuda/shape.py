"""Shape ops: reshapes are views of the same memory; transposes and broadcasts are the
generated elementwise copy, reading the input through permuted or zero strides."""

from __future__ import annotations

from typing import Any

from graphc.ops.shape import insert_ones
from graphc.runtime.cuda.elementwise import launch, strides_for
from graphc.runtime.cuda.table import Call, kernel


@kernel("reshape", "reshape_like", view=True)
def _reshape(call: Call) -> list[Any]:
    return [call.args[0].reshape(tuple(call.outs[0].shape))]  # type: ignore[arg-type]


@kernel("transpose")
def _transpose(call: Call) -> list[Any]:
    x = call.args[0]
    rank = len(x.shape)
    perm = call.attrs["perm"]
    perm = tuple(reversed(range(rank))) if perm is None else tuple(perm)
    strides = strides_for(tuple(x.shape), tuple(x.shape))
    return [launch("x0", [(x, tuple(strides[p] for p in perm))], call.out())]


@kernel("broadcast_like")
def _broadcast_like(call: Call) -> list[Any]:
    x, like = call.args
    shape = tuple(insert_ones(tuple(x.shape), call.attrs["axes"], 1))
    return [launch("x0", [(x, strides_for(shape, tuple(like.shape)))], call.out())]
