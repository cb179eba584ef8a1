"""colm_torch: Chain-of-Model (CoLM, CoLM-Air) training at scale on PyTorch, chain expansion of
pretrained checkpoints, and export to FORMAT.md for this project's engine."""

from .config import ColmConfig, ConfigError
from .model import ColmForCausalLM

__all__ = ["ColmConfig", "ConfigError", "ColmForCausalLM"]
__version__ = "0.1.0"
