"""The GPU check's training-step benchmark, run on the CPU with tiny shapes: the code path works,
the dense model matches the CoLM's stored parameters, and the ratio is reported against its ideal."""

import torch

from colm_torch.step_benchmark import dense_like, step_benchmark
from colm_torch.config import ColmConfig
from colm_torch.model import ColmForCausalLM

TINY_AIR = {
    "model_type": "colm", "hidden_size": 128, "intermediate_size": 256, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 32, "vocab_size": 64,
    "chains": [1, 1, 1, 1], "kv_sharing": True, "max_position_embeddings": 64,
}


def test_dense_like_matches_the_stored_parameters():
    colm = ColmForCausalLM(ColmConfig.from_dict(TINY_AIR, "test")).num_params()
    dense_cfg = dense_like(TINY_AIR, colm, head_dim_multiple=2)
    assert dense_cfg["chains"] == [1]
    dense = ColmForCausalLM(ColmConfig.from_dict(dense_cfg, "test")).num_params()
    # The closest width on the grid: within a tenth of the CoLM's parameters.
    assert abs(dense - colm) <= 0.10 * colm


def test_step_benchmark_runs_on_the_cpu():
    out = step_benchmark(TINY_AIR, device="cpu", dtype=torch.float32, batch=2, seq=16, steps=1, kernel="torch",
                         head_dim_multiple=2)
    names = [r.name for r in out["results"]]
    assert names == ["colm-air", "dense, same shape", "dense, same params"]
    # The dense model of the same shape stores every block the CoLM leaves out.
    assert out["results"][1].parameters > out["results"][0].parameters
    for r in out["results"]:
        assert r.step_ms > 0 and r.tokens_per_second > 0 and r.mfu is None
    assert out["ideal"] == 5 / 8 and abs(out["target"] - 0.725) < 1e-12
    assert out["met"] == (out["ratio"] <= out["target"])
