"""Compiler passes: gradient building (autodiff) and the Program pipeline."""
