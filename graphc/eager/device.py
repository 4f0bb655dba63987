"""Devices as PyTorch names them: torch.device("cuda:0"), and torch.cuda.is_available()."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from graphc.runtime.cuda.device import DeviceUnavailableError, check_device
from graphc.runtime.cuda.device import cuda as _numba_cuda


class device:  # noqa: N801 - PyTorch's name
    """Where a tensor lives: 'cpu' or 'cuda' (index 0, graphc's one GPU). Compares equal to
    its name, so `t.device == "cpu"` reads as in PyTorch."""

    __slots__ = ("type", "index")
    type: str
    index: int | None

    def __init__(self, type: Any, index: int | None = None) -> None:  # noqa: A002
        name = str(type)  # a device's str is its name with its index
        if index is not None and not isinstance(type, device):
            name = f"{name}:{index}"
        self.type = check_device(name)  # ValueError for anything but cpu, cuda, cuda:0
        self.index = 0 if self.type == "cuda" and ":" in name else None

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, device):
            return self.type == other.type
        if isinstance(other, str):
            try:
                return self.type == check_device(other)
            except ValueError:
                return False
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.type)


def is_available() -> bool:
    """Whether graphc's CUDA backend can run here (a GPU with its driver, or numba's
    simulator when NUMBA_ENABLE_CUDASIM=1)."""
    try:
        _numba_cuda()
    except DeviceUnavailableError:
        return False
    return True


def device_count() -> int:
    """How many GPUs graphc can use: 1 where CUDA is available, else 0."""
    return 1 if is_available() else 0


def manual_seed(seed: int) -> None:
    """Accepted, as the usual set_seed() calls it: graphc draws a GPU tensor's random numbers
    from the one generator torch.manual_seed seeds, so there is no other to seed."""
    int(seed)


cuda = SimpleNamespace(is_available=is_available, device_count=device_count,
                       manual_seed=manual_seed, manual_seed_all=manual_seed)
# torch.backends.cudnn's switches, which set_seed() assigns: graphc has no cuDNN, and its
# kernels give the same results on every run, so they change nothing
backends = SimpleNamespace(cudnn=SimpleNamespace(enabled=True, deterministic=False,
                                                 benchmark=False))
