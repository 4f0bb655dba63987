"""torch.utils for graphc.eager: only `data` (datasets and the DataLoader)."""

from graphc.eager.utils import data

__all__ = ["data"]
