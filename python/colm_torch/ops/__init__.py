"""Operators of colm_torch: the chain linear (torch reference and Triton block-sparse kernel)."""

from .chain_linear import (
    chain_linear,
    chain_linear_torch,
    dense_masked_weight,
    triton_available,
)

__all__ = ["chain_linear", "chain_linear_torch", "dense_masked_weight", "triton_available"]
