"""Backend "cuda": graphs and eager tensors on an NVIDIA GPU, with numba.cuda kernels."""
