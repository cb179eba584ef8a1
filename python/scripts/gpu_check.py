"""GPU check of the chain linear kernel (issue 10): parity on the GPU, then timings against dense.

1. parity: the compiled Triton kernel against the per-chain torch path (fp32 and bf16, odd sizes,
   bias, k < n), forward, grad-input, grad-weight, grad-bias; max errors printed, FAIL on a miss.
2. timings (bf16, tokens 4096): 4096x4096 and 8192x8192 with 4 and 8 equal chains, forward and
   forward+backward of the kernel, the per-chain torch path, and dense torch.matmul; ratio of
   each to dense and the ideal (n+1)/(2n) (the mask's share of the blocks). Target of the issue:
   kernel fwd+bwd <= ideal + 0.10.
3. training step: a ~350M CoLM-Air against a dense Llama of its size, bf16 (colm_torch.step_benchmark).

--dry-run prints the plan and exits 0 without CUDA. --quick: fewer repetitions.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

SIZES = [4096, 8192]
CHAINS = [4, 8]
TOKENS = 4096


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dry-run", action="store_true", help="print the plan and exit (no CUDA needed)")
    p.add_argument("--quick", action="store_true", help="fewer timing repetitions")
    p.add_argument("--sizes", type=int, nargs="+", default=SIZES)
    p.add_argument("--chains", type=int, nargs="+", default=CHAINS)
    p.add_argument("--tokens", type=int, default=TOKENS)
    p.add_argument("--skip-parity", action="store_true")
    p.add_argument("--skip-train", action="store_true")
    return p.parse_args(argv)


def plan_lines(args):
    lines = ["plan:", "  1. parity of the compiled kernel vs torch fallback (fp32, bf16)"]
    for d in args.sizes:
        for n in args.chains:
            lines.append(f"  2. timing {d}x{d}, {n} equal chains, tokens {args.tokens}, bf16: "
                         f"fwd and fwd+bwd of triton / per-chain torch / dense matmul; ideal {(n + 1) / (2 * n):.3f}")
    lines.append("  3. training step (~350M CoLM-Air vs a dense Llama of its size, bf16, one GPU): " +
                 ("skipped" if args.skip_train else "colm_torch.step_benchmark"))
    return lines


def equal_chains(d, n):
    w = d // n
    return [w] * n, [w * (i + 1) for i in range(n)]


def parity(torch, chain_linear):
    cases = [  # outs, cums, k, lead, bias
        ([5, 11, 3], [7, 20, 37], 3, (3, 41), True),
        ([96, 160, 64], [128, 384, 512], 3, (2, 300), False),
        ([256] * 4, [256, 512, 768, 1024], 2, (1000,), True),
        ([200, 72], [136, 200], 2, (77,), False),
    ]
    ok = True
    for dtype in (torch.float32, torch.bfloat16):
        for outs, cums, k, lead, bias in cases:
            g = torch.Generator(device="cuda").manual_seed(0)
            ws = [(torch.randn(o, c, device="cuda", generator=g) / c ** 0.5).to(dtype).requires_grad_()
                  for o, c in zip(outs, cums)]
            bs = [torch.randn(o, device="cuda", generator=g).to(dtype).requires_grad_() for o in outs] if bias else None
            x = torch.randn(*lead, cums[-1], device="cuda", generator=g).to(dtype).requires_grad_()
            params = [x, *ws[:k]] + (bs[:k] if bias else [])
            # reference: the torch path in fp32 from the same (rounded) inputs
            p32 = [p.detach().float().requires_grad_() for p in params]
            x32, ws32 = p32[0], p32[1:1 + k]
            bs32 = p32[1 + k:] if bias else None
            y_ref = chain_linear(x32, ws32, bs32, k, impl="torch")
            y = chain_linear(x, ws, bs, k, impl="triton")
            gy = torch.randn(y.shape, device="cuda", generator=g).to(dtype)
            gr = torch.autograd.grad(y, params, gy)
            gref = torch.autograd.grad(y_ref, p32, gy.float())
            errs = {"fwd": (y.float() - y_ref).abs().max().item()}
            names = ["grad_x"] + [f"grad_W{i}" for i in range(k)] + ([f"grad_b{i}" for i in range(k)] if bias else [])
            worst = 0.0
            for nm, a, b in zip(names, gr, gref):
                e = (a.float() - b).abs().max().item() / max(1.0, b.abs().max().item())
                errs[nm] = e
            errs["fwd"] /= max(1.0, y_ref.abs().max().item())
            worst = max(errs.values())
            tol = 1e-5 if dtype == torch.float32 else 1.6e-2
            good = worst <= tol
            ok &= good
            print(f"  parity {str(dtype):15s} outs={outs} cums={cums} k={k} lead={lead} bias={bias}: "
                  f"max rel err {worst:.2e} ({'ok' if good else 'FAIL'}; fwd {errs['fwd']:.1e}, "
                  f"grad_x {errs['grad_x']:.1e}, grad_W {max(v for n_, v in errs.items() if n_.startswith('grad_W')):.1e})")
    return ok


def bench(torch, fn, reps):
    import triton.testing
    return triton.testing.do_bench(fn, warmup=max(5, reps // 4), rep=reps)  # ms


def timings(torch, chain_linear, args):
    reps = 50 if args.quick else 200
    dtype = torch.bfloat16
    rows = []
    for d in args.sizes:
        for n in args.chains:
            outs, cums = equal_chains(d, n)
            g = torch.Generator(device="cuda").manual_seed(0)
            ws = [(torch.randn(o, c, device="cuda", generator=g) * 0.02).to(dtype).requires_grad_()
                  for o, c in zip(outs, cums)]
            wd = (torch.randn(d, d, device="cuda", generator=g) * 0.02).to(dtype).requires_grad_()
            x = torch.randn(args.tokens, d, device="cuda", generator=g).to(dtype).requires_grad_()
            gy = torch.randn(args.tokens, d, device="cuda", generator=g).to(dtype)
            res = {}
            with torch.no_grad():
                res["dense fwd"] = bench(torch, lambda: torch.matmul(x, wd.t()), reps)
                res["triton fwd"] = bench(torch, lambda: chain_linear(x, ws, None, n, impl="triton"), reps)
                res["torch fwd"] = bench(torch, lambda: chain_linear(x, ws, None, n, impl="torch"), reps)

            def fb(f, inputs):
                def run():
                    y = f()
                    torch.autograd.grad(y, inputs, gy)
                return run

            res["dense fwd+bwd"] = bench(torch, fb(lambda: torch.matmul(x, wd.t()), [x, wd]), reps)
            res["triton fwd+bwd"] = bench(torch, fb(lambda: chain_linear(x, ws, None, n, impl="triton"), [x, *ws]), reps)
            res["torch fwd+bwd"] = bench(torch, fb(lambda: chain_linear(x, ws, None, n, impl="torch"), [x, *ws]), reps)
            ideal = (n + 1) / (2 * n)
            print(f"  {d}x{d}, {n} chains, tokens {args.tokens}, bf16 (ideal {ideal:.3f}, target <= {ideal + 0.1:.3f}):")
            for kind in ("fwd", "fwd+bwd"):
                dense = res[f"dense {kind}"]
                tr, to = res[f"triton {kind}"], res[f"torch {kind}"]
                verdict = "meets target" if tr / dense <= ideal + 0.1 else "misses target"
                print(f"    {kind:8s} dense {dense:7.3f} ms | triton {tr:7.3f} ms ratio {tr / dense:.3f} | "
                      f"per-chain torch {to:7.3f} ms ratio {to / dense:.3f} | ideal {ideal:.3f} | {verdict}")
            rows.append((d, n, res))
    return rows


def train_step(args):
    # One bf16 training step of a ~350M CoLM-Air (multi-chain loss) and of a dense Llama of the same
    # stored parameters on this GPU (colm_torch/step_benchmark.py): tokens/s, MFU, and the step-time
    # ratio against the ideal + 10%. One GPU: FSDP2 shards nothing there, so the step runs unsharded.
    from colm_torch.step_benchmark import gpu_step_benchmark
    gpu_step_benchmark(quick=args.quick)


def main(argv=None):
    args = parse_args(argv)
    print("\n".join(plan_lines(args)))
    if args.dry_run:
        return 0
    import torch
    if not torch.cuda.is_available():
        print("gpu_check: no CUDA device; use --dry-run to see the plan")
        return 2
    os.environ.pop("TRITON_INTERPRET", None)
    import triton
    from colm_torch.ops import chain_linear
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}, triton {triton.__version__}")
    t0 = time.time()
    ok = True
    if not args.skip_parity:
        print("1. parity (compiled kernel vs torch, relative to max(1, |ref|))")
        ok = parity(torch, chain_linear)
        print(f"   parity {'ok' if ok else 'FAILED'} ({time.time() - t0:.0f} s)")
    print("2. timings (triton.testing.do_bench, median ms; first calls autotune)")
    timings(torch, chain_linear, args)
    print(f"   ({time.time() - t0:.0f} s)")
    print("3. training step")
    if args.skip_train:
        print("  train step: skipped")
    else:
        train_step(args)
    print(f"gpu_check done in {time.time() - t0:.0f} s: parity {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
