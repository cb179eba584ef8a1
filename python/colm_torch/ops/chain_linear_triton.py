"""The chain linear as a Triton block-sparse kernel (BCSR without a column index, as in the paper).

Storage (design): the weights stay as the model holds them, one contiguous [out_i, cum_in_i] tensor
per chain; nothing is packed or copied. The kernels receive
  META [k, 3] int32   per chain: (offset of its rows in y, out_i, cum_in_i)   (cached per shape)
  WP   [k]    int64   the address of each W_i (and GWP/BP: of each grad W_i, bias b_i)
and turn an address into a typed pointer inside the kernel. A row block of chain i is "BCSR without
a column index": its K-extent is cum_in_i, and its blocks are columns [0, cum_in_i) in order, so no
column list is needed. Only blocks inside the block-lower-triangular mask exist, so nothing outside
the mask is ever launched, loaded or multiplied:

  forward  y[m, out_off_i + n] = sum_{c < cum_in_i} x[m, c] W_i[n, c]
           grid: (M tiles) x (row tiles of every chain, each inside one chain); a program loops K
           only to its chain's cum_in_i. Programs of the last (longest) chains start first.
  grad_x   dx[m, c] = sum_{i : cum_in_i > c} sum_n dy[m, out_off_i + n] W_i[n, c]
           grid: (M tiles) x (column tiles of x); a column tile starting at c0 loops over the chains
           with cum_in_i > c0 only (the first one found by counting cum_in_i <= c0), row blocks of each.
  grad_W   dW_i[n, c] = sum_m dy[m, out_off_i + n] x[m, c]   for c < cum_in_i
           grid: one program per stored block (row tile, column tile) of every chain, reducing over M.
  grad_b   the sum over rows of dy, per chain, in torch.

Every program finds its chain by counting tiles of the chains before it, so tile sizes are free
(autotuned on CUDA) and no per-size tile table is needed. Edges (M, out_i, cum_in_i not multiples of
a tile) are masked. Accumulation is fp32 whatever the input dtype; fp32 inputs use IEEE dots, as
torch's fp32 matmul does. COUNT=True (tests) makes each program add the number of weight tiles it
loads to a counter, to show that the mask's outside is never visited.

Kernels call no @triton.jit helper (tl.cdiv, tl.zeros are: written out), and they are created on first
use, not at import, so that TRITON_INTERPRET=1 set by a test module
before its first call takes effect even when another module imported this one earlier.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import Optional, Sequence

import torch
import triton
import triton.language as tl


# ----------------------------------------------------------------------------------------------
# Kernels (plain functions, turned into Triton kernels by _kernels())

def _fwd_kernel(X, Y, WP, BP, META, CNT, M, nchain, N_TOT, K_MAX, stride_xm, stride_ym,
                HAS_BIAS: tl.constexpr, ALIGNED: tl.constexpr, COUNT: tl.constexpr, PREC: tl.constexpr, UPCAST: tl.constexpr,
                BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr, GROUP_M: tl.constexpr):
    pid = tl.program_id(0)
    num_m = (M + BM - 1) // BM
    num_nt = 0
    for c in range(0, nchain):
        num_nt += (tl.load(META + 3 * c + 1) + BN - 1) // BN
    width = GROUP_M * num_nt
    first_m = (pid // width) * GROUP_M
    gsize = tl.minimum(num_m - first_m, GROUP_M)
    pid_m = first_m + (pid % width) % gsize
    pid_n = num_nt - 1 - (pid % width) // gsize       # last chains (longest K) first
    # which chain owns row tile pid_n: count the tiles of the chains before it
    chain = 0
    base = 0
    for c in range(0, nchain - 1):
        end = base + (tl.load(META + 3 * c + 1) + BN - 1) // BN
        after = pid_n >= end
        chain += after.to(tl.int32)
        base = tl.where(after, end, base)
    out_off = tl.load(META + 3 * chain)
    out_n = tl.load(META + 3 * chain + 1)
    cum = tl.load(META + 3 * chain + 2)
    w = tl.load(WP + chain).to(tl.pointer_type(Y.dtype.element_ty))
    if ALIGNED:
        cum = tl.multiple_of(cum, 8)
        w = tl.multiple_of(w, 16)
    offs_m = pid_m * BM + tl.arange(0, BM)
    offs_n = (pid_n - base) * BN + tl.arange(0, BN)    # row inside the chain
    offs_k = tl.arange(0, BK)
    mask_m = offs_m < M
    mask_n = offs_n < out_n
    x_ptrs = X + offs_m[:, None].to(tl.int64) * stride_xm + offs_k[None, :]
    w_ptrs = w + offs_n[None, :].to(tl.int64) * cum + offs_k[:, None]      # [BK, BN] view of W_i^T
    acc = tl.full((BM, BN), 0.0, tl.float32)
    for k0 in range(0, cum, BK):
        mask_k = offs_k < cum - k0
        a = tl.load(x_ptrs, mask=mask_m[:, None] & mask_k[None, :], other=0.0)
        b = tl.load(w_ptrs, mask=mask_k[:, None] & mask_n[None, :], other=0.0)
        if UPCAST:
            a = a.to(tl.float32)
            b = b.to(tl.float32)
        acc = tl.dot(a, b, acc, input_precision=PREC)
        x_ptrs += BK
        w_ptrs += BK
        if COUNT:
            tl.atomic_add(CNT, 1)
    if HAS_BIAS:
        bptr = tl.load(BP + chain).to(tl.pointer_type(Y.dtype.element_ty))
        bias = tl.load(bptr + offs_n, mask=mask_n, other=0.0)
        acc += bias[None, :].to(tl.float32)
    y_ptrs = Y + offs_m[:, None].to(tl.int64) * stride_ym + out_off + offs_n[None, :]
    tl.store(y_ptrs, acc.to(Y.dtype.element_ty), mask=mask_m[:, None] & mask_n[None, :])


def _grad_x_kernel(DY, DX, WP, META, CNT, M, nchain, N_TOT, K_MAX, stride_dym, stride_dxm,
                   ALIGNED: tl.constexpr, COUNT: tl.constexpr, PREC: tl.constexpr, UPCAST: tl.constexpr,
                   BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr, GROUP_M: tl.constexpr):
    pid = tl.program_id(0)
    num_m = (M + BM - 1) // BM
    num_ct = (K_MAX + BK - 1) // BK
    width = GROUP_M * num_ct
    first_m = (pid // width) * GROUP_M
    gsize = tl.minimum(num_m - first_m, GROUP_M)
    pid_m = first_m + (pid % width) % gsize
    pid_c = (pid % width) // gsize                     # first columns have the most chains: first
    col0 = pid_c * BK
    # the chains that read column col0 are those with cum_in > col0: skip the others, unread
    first = 0
    for c in range(0, nchain):
        first += (tl.load(META + 3 * c + 2) <= col0).to(tl.int32)
    offs_m = pid_m * BM + tl.arange(0, BM)
    offs_c = col0 + tl.arange(0, BK)
    offs_r = tl.arange(0, BN)
    mask_m = offs_m < M
    acc = tl.full((BM, BK), 0.0, tl.float32)
    for ch in range(first, nchain):
        out_off = tl.load(META + 3 * ch)
        out_n = tl.load(META + 3 * ch + 1)
        cum = tl.load(META + 3 * ch + 2)
        w = tl.load(WP + ch).to(tl.pointer_type(DX.dtype.element_ty))
        if ALIGNED:
            cum = tl.multiple_of(cum, 8)
            w = tl.multiple_of(w, 16)
            out_off = tl.multiple_of(out_off, 8)
        mask_c = offs_c < cum
        dy_ptrs = DY + offs_m[:, None].to(tl.int64) * stride_dym + out_off + offs_r[None, :]
        w_ptrs = w + offs_r[:, None].to(tl.int64) * cum + offs_c[None, :]   # [BN, BK] of W_i
        for r0 in range(0, out_n, BN):
            mask_r = offs_r < out_n - r0
            a = tl.load(dy_ptrs, mask=mask_m[:, None] & mask_r[None, :], other=0.0)
            b = tl.load(w_ptrs, mask=mask_r[:, None] & mask_c[None, :], other=0.0)
            if UPCAST:
                a = a.to(tl.float32)
                b = b.to(tl.float32)
            acc = tl.dot(a, b, acc, input_precision=PREC)
            dy_ptrs += BN
            w_ptrs += BN * cum
            if COUNT:
                tl.atomic_add(CNT, 1)
    dx_ptrs = DX + offs_m[:, None].to(tl.int64) * stride_dxm + offs_c[None, :]
    tl.store(dx_ptrs, acc.to(DX.dtype.element_ty), mask=mask_m[:, None] & (offs_c[None, :] < K_MAX))


def _grad_w_kernel(DY, X, GWP, META, CNT, M, nchain, N_TOT, K_MAX, stride_dym, stride_xm,
                   ALIGNED: tl.constexpr, COUNT: tl.constexpr, PREC: tl.constexpr, UPCAST: tl.constexpr,
                   BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr):
    pid = tl.program_id(0)
    # which chain owns stored block pid: count the blocks of the chains before it
    chain = 0
    base = 0
    for c in range(0, nchain - 1):
        nblk = ((tl.load(META + 3 * c + 1) + BN - 1) // BN) * ((tl.load(META + 3 * c + 2) + BK - 1) // BK)
        end = base + nblk
        after = pid >= end
        chain += after.to(tl.int32)
        base = tl.where(after, end, base)
    out_off = tl.load(META + 3 * chain)
    out_n = tl.load(META + 3 * chain + 1)
    cum = tl.load(META + 3 * chain + 2)
    gw = tl.load(GWP + chain).to(tl.pointer_type(X.dtype.element_ty))
    if ALIGNED:
        cum = tl.multiple_of(cum, 8)
        gw = tl.multiple_of(gw, 16)
        out_off = tl.multiple_of(out_off, 8)
    local = pid - base
    num_kt = (cum + BK - 1) // BK
    offs_n = (local // num_kt) * BN + tl.arange(0, BN)
    offs_k = (local % num_kt) * BK + tl.arange(0, BK)
    offs_m = tl.arange(0, BM)
    mask_n = offs_n < out_n
    mask_k = offs_k < cum
    dy_ptrs = DY + offs_m[None, :].to(tl.int64) * stride_dym + out_off + offs_n[:, None]   # [BN, BM]
    x_ptrs = X + offs_m[:, None].to(tl.int64) * stride_xm + offs_k[None, :]                # [BM, BK]
    acc = tl.full((BN, BK), 0.0, tl.float32)
    for m0 in range(0, M, BM):
        mask_mm = offs_m < M - m0
        a = tl.load(dy_ptrs, mask=mask_n[:, None] & mask_mm[None, :], other=0.0)
        b = tl.load(x_ptrs, mask=mask_mm[:, None] & mask_k[None, :], other=0.0)
        if UPCAST:
            a = a.to(tl.float32)
            b = b.to(tl.float32)
        acc = tl.dot(a, b, acc, input_precision=PREC)
        dy_ptrs += BM * stride_dym
        x_ptrs += BM * stride_xm
    if COUNT:
        tl.atomic_add(CNT, 1)
    gw_ptrs = gw + offs_n[:, None].to(tl.int64) * cum + offs_k[None, :]
    tl.store(gw_ptrs, acc.to(X.dtype.element_ty), mask=mask_n[:, None] & mask_k[None, :])


# ----------------------------------------------------------------------------------------------
# Configurations and lazy kernel creation

def interpreting() -> bool:
    return os.environ.get("TRITON_INTERPRET", "0") not in ("", "0")


# Tile sizes in the interpreter: small, so that tests with small shapes cross many tile edges.
# tl.dot needs every dimension >= 16.
INTERPRET_CONFIG = dict(BM=16, BN=16, BK=16)

# CUDA candidates (autotuned per shape and dtype). BM x BN x BK, warps, stages.
_CUDA_MM = [(128, 128, 64, 8, 3), (128, 256, 64, 8, 3), (128, 128, 64, 4, 4), (64, 128, 64, 4, 4),
            (128, 64, 64, 4, 4), (128, 128, 32, 4, 4)]
_CUDA_GW = [(64, 128, 128, 8, 3), (64, 128, 128, 4, 4), (32, 128, 128, 4, 4), (64, 64, 128, 4, 4),
            (64, 128, 64, 4, 4)]

_KERNELS: dict = {}


def _fix_interpreter_index() -> None:
    """Triton 3.6's interpreter turns a scalar into a Python int with int(array of shape (1,)),
    which NumPy >= 2.3 refuses, so `range(runtime_value)` in a kernel fails there. Make __index__
    take .item() (the compiled path is untouched; newer Triton does the same)."""
    from triton.runtime import interpreter as interp
    if getattr(interp, "_colm_index_fixed", False):
        return
    original = interp._patch_lang_tensor

    def patched(tensor, scope):
        original(tensor, scope)
        scope.set_attr(tensor, "__index__", lambda self: int(self.handle.data.reshape(-1)[0]))

    interp._patch_lang_tensor = patched
    interp._colm_index_fixed = True


def _kernels(interpret: bool):
    if interpret in _KERNELS:
        return _KERNELS[interpret]
    if interpret and not interpreting():
        raise RuntimeError("chain_linear(impl='triton') on CPU tensors needs TRITON_INTERPRET=1 "
                           "set before the first call (Triton's interpreter); use impl='torch' or CUDA")
    if interpret:
        _fix_interpreter_index()
    fwd = triton.jit(_fwd_kernel)
    gx = triton.jit(_grad_x_kernel)
    gw = triton.jit(_grad_w_kernel)
    if not interpret:
        mm = [triton.Config(dict(BM=m, BN=n, BK=k, GROUP_M=8), num_warps=w, num_stages=s)
              for m, n, k, w, s in _CUDA_MM]
        gwc = [triton.Config(dict(BM=m, BN=n, BK=k), num_warps=w, num_stages=s)
               for m, n, k, w, s in _CUDA_GW]
        # N_TOT, K_MAX and nchain stand for the chain shapes (layers of one model share few)
        fwd = triton.autotune(mm, key=["M", "nchain", "N_TOT", "K_MAX"])(fwd)
        gx = triton.autotune(mm, key=["M", "nchain", "N_TOT", "K_MAX"])(gx)
        gw = triton.autotune(gwc, key=["M", "nchain", "N_TOT", "K_MAX"])(gw)
    _KERNELS[interpret] = (fwd, gx, gw)
    return _KERNELS[interpret]


def _launch_kwargs(interpret: bool, dtype: torch.dtype, grad_w: bool = False) -> dict:
    # UPCAST: Triton 3.6's interpreter multiplies bf16 tiles as their raw uint16 bits; on the CPU
    # the tiles go to fp32 first (the same math: a bf16 product is exact in fp32).
    if not interpret:
        return dict(UPCAST=False)
    kw = dict(INTERPRET_CONFIG, UPCAST=dtype == torch.bfloat16)
    if not grad_w:
        kw["GROUP_M"] = 2
    return kw


# ----------------------------------------------------------------------------------------------
# Host side: tables, launches, autograd

_META_CACHE: "OrderedDict[tuple, torch.Tensor]" = OrderedDict()
_PTR_CACHE: "OrderedDict[tuple, torch.Tensor]" = OrderedDict()


def _lru_get(cache: OrderedDict, key, make, size: int = 256):
    t = cache.get(key)
    if t is None:
        t = make()
        cache[key] = t
        if len(cache) > size:
            cache.popitem(last=False)
    else:
        cache.move_to_end(key)
    return t


def _to_device(values, dtype, device: torch.device) -> torch.Tensor:
    t = torch.tensor(values, dtype=dtype)
    if device.type == "cuda":
        # pinned + non_blocking: no host sync per layer call
        return t.pin_memory().to(device, non_blocking=True)
    return t


def _meta(outs: tuple, cums: tuple, device: torch.device) -> torch.Tensor:
    def make():
        rows, off = [], 0
        for o, c in zip(outs, cums):
            rows.append([off, o, c])
            off += o
        return _to_device(rows, torch.int32, device)
    return _lru_get(_META_CACHE, (outs, cums, str(device)), make)


def _ptrs(tensors: Sequence[torch.Tensor], device: torch.device) -> torch.Tensor:
    ptrs = tuple(t.data_ptr() for t in tensors)
    # the table holds nothing but these addresses, so equal keys give equal tables
    return _lru_get(_PTR_CACHE, (ptrs, str(device)), lambda: _to_device(list(ptrs), torch.int64, device))


def _aligned(outs: tuple, cums: tuple, tensors: Sequence[torch.Tensor]) -> bool:
    """May the CUDA kernels assume 16-byte aligned rows (vector loads)? Checked, never assumed."""
    return (all(c % 8 == 0 for c in cums) and all(o % 8 == 0 for o in outs)
            and all(t.data_ptr() % 16 == 0 for t in tensors))


def _prec(dtype: torch.dtype) -> str:
    return "ieee" if dtype == torch.float32 else "tf32"


class _Counter:
    """Tiles loaded by the kernels (tests): set .tensor to an int32 [1] tensor to enable."""
    tensor: Optional[torch.Tensor] = None


counter = _Counter()


_DUMMY: dict = {}


def _cnt(device):
    if counter.tensor is None:
        key = str(device)
        if key not in _DUMMY:
            _DUMMY[key] = torch.zeros(1, dtype=torch.int32, device=device)
        return _DUMMY[key], False
    return counter.tensor, True


class _Plan:
    """Shapes of the k chains used by one call."""

    def __init__(self, weights: Sequence[torch.Tensor]):
        self.outs = tuple(int(w.shape[0]) for w in weights)
        self.cums = tuple(int(w.shape[1]) for w in weights)
        self.n_tot = sum(self.outs)
        self.k_max = self.cums[-1]


def _common(x: torch.Tensor, plan: _Plan, tensors: Sequence[torch.Tensor], strides: Sequence[int]):
    interpret = not x.is_cuda
    aligned = ((not interpret) and _aligned(plan.outs, plan.cums, tensors)
               and all(s % 8 == 0 for s in strides))
    cnt, count = _cnt(x.device)
    return interpret, aligned, cnt, count


def _forward(x: torch.Tensor, weights, biases, plan: _Plan) -> torch.Tensor:
    M = x.shape[0]
    y = torch.empty((M, plan.n_tot), dtype=x.dtype, device=x.device)
    if M == 0:
        return y
    interpret, aligned, cnt, count = _common(x, plan, [x, y, *weights], [x.stride(0), y.stride(0)])
    fwd, _, _ = _kernels(interpret)
    meta = _meta(plan.outs, plan.cums, x.device)
    wp = _ptrs(weights, x.device)
    bp = _ptrs(biases, x.device) if biases is not None else wp
    outs = plan.outs

    def grid(m):
        return (triton.cdiv(M, m["BM"]) * sum(triton.cdiv(o, m["BN"]) for o in outs),)

    fwd[grid](x, y, wp, bp, meta, cnt, M, len(outs), plan.n_tot, plan.k_max, x.stride(0), y.stride(0),
              HAS_BIAS=biases is not None, ALIGNED=aligned, COUNT=count, PREC=_prec(x.dtype),
              **_launch_kwargs(interpret, x.dtype))
    return y


def _grad_x(dy: torch.Tensor, weights, plan: _Plan, x_width: int) -> torch.Tensor:
    M = dy.shape[0]
    dx = torch.empty((M, plan.k_max), dtype=dy.dtype, device=dy.device)
    if M == 0:
        return dx
    interpret, aligned, cnt, count = _common(dy, plan, [dy, dx, *weights], [dy.stride(0), dx.stride(0)])
    _, gx, _ = _kernels(interpret)
    meta = _meta(plan.outs, plan.cums, dy.device)
    wp = _ptrs(weights, dy.device)
    k_max = plan.k_max

    def grid(m):
        return (triton.cdiv(M, m["BM"]) * triton.cdiv(k_max, m["BK"]),)

    gx[grid](dy, dx, wp, meta, cnt, M, len(plan.outs), plan.n_tot, k_max, dy.stride(0), dx.stride(0),
             ALIGNED=aligned, COUNT=count, PREC=_prec(dy.dtype), **_launch_kwargs(interpret, dy.dtype))
    return dx


def _grad_w(dy: torch.Tensor, x: torch.Tensor, weights, plan: _Plan):
    gws = [torch.empty_like(w, memory_format=torch.contiguous_format) for w in weights]
    M = dy.shape[0]
    if M == 0:
        return [g.zero_() for g in gws]
    interpret, aligned, cnt, count = _common(dy, plan, [dy, x, *gws], [dy.stride(0), x.stride(0)])
    _, _, gw = _kernels(interpret)
    meta = _meta(plan.outs, plan.cums, dy.device)
    gwp = _ptrs(gws, dy.device)
    outs, cums = plan.outs, plan.cums

    def grid(m):
        return (sum(triton.cdiv(o, m["BN"]) * triton.cdiv(c, m["BK"]) for o, c in zip(outs, cums)),)

    gw[grid](dy, x, gwp, meta, cnt, M, len(outs), plan.n_tot, plan.k_max, dy.stride(0), x.stride(0),
             ALIGNED=aligned, COUNT=count, PREC=_prec(dy.dtype), **_launch_kwargs(interpret, dy.dtype, grad_w=True))
    return gws


class ChainLinearFunction(torch.autograd.Function):
    """y = chain linear of x (2-D, [M, cum_in_{k-1}]) with k weights and optional biases."""

    @staticmethod
    def forward(ctx, x, n: int, has_bias: bool, *params):
        weights = [w.contiguous() for w in params[:n]]
        biases = [b.contiguous() for b in params[n:2 * n]] if has_bias else None
        plan = _Plan(weights)
        y = _forward(x, weights, biases, plan)
        ctx.save_for_backward(x, *weights)
        ctx.n, ctx.has_bias, ctx.plan = n, has_bias, plan
        return y

    @staticmethod
    def backward(ctx, dy):
        x, *weights = ctx.saved_tensors
        n, plan = ctx.n, ctx.plan
        dy = dy.contiguous()
        dx = None
        if ctx.needs_input_grad[0]:
            dx = _grad_x(dy, weights, plan, x.shape[1])
        want_w = any(ctx.needs_input_grad[3:3 + n])
        gws = _grad_w(dy, x, weights, plan) if want_w else [None] * n
        gws = [g if ctx.needs_input_grad[3 + i] else None for i, g in enumerate(gws)]
        gbs = []
        if ctx.has_bias:
            off = 0
            for i, o in enumerate(plan.outs):
                gbs.append(dy[:, off:off + o].sum(0, dtype=torch.float32).to(dy.dtype)
                           if ctx.needs_input_grad[3 + n + i] else None)
                off += o
        return (dx, None, None, *gws, *gbs)


def chain_linear_triton(x: torch.Tensor, weights: Sequence[torch.Tensor],
                        biases: Optional[Sequence[Optional[torch.Tensor]]], k: int) -> torch.Tensor:
    """The kernel path of chain_linear (arguments checked there)."""
    weights = list(weights[:k])
    for i, w in enumerate(weights):
        if w.dtype != x.dtype or w.device != x.device:
            raise TypeError(f"chain_linear: weights[{i}] is {w.dtype} on {w.device}, x is {x.dtype} on {x.device}")
    if x.dtype not in (torch.float32, torch.bfloat16, torch.float16):
        raise TypeError(f"chain_linear(impl='triton'): dtype {x.dtype} not supported")
    bs = None if biases is None else list(biases[:k])
    if bs is not None and all(b is None for b in bs):
        bs = None
    if bs is not None:
        # a chain without bias adds zeros (rare: FORMAT.md biases are whole or per chain)
        bs = [torch.zeros(w.shape[0], dtype=x.dtype, device=x.device) if b is None else b
              for b, w in zip(bs, weights)]
        for i, b in enumerate(bs):
            if b.dtype != x.dtype:
                raise TypeError(f"chain_linear: biases[{i}] is {b.dtype}, x is {x.dtype}")
    k_max = weights[-1].shape[1]
    lead = x.shape[:-1]
    x2 = x[..., :k_max] if x.shape[-1] != k_max else x
    x2 = x2.reshape(-1, k_max)
    if x2.stride(-1) != 1:
        x2 = x2.contiguous()
    params = weights + (bs if bs is not None else [])
    y = ChainLinearFunction.apply(x2, k, bs is not None, *params)
    return y.reshape(*lead, y.shape[-1])
