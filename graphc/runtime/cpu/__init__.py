"""The numba CPU backend: generated @njit code calling BLAS. Imported on first use only,
so `import graphc` does not pay for importing numba."""
