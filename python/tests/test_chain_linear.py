"""Chain linear: the Triton block-sparse kernel (in Triton's interpreter, on the CPU) against the
per-chain torch path and the dense masked product, forward and backward.

TRITON_INTERPRET=1 is set here before anything imports triton. Triton is imported unguarded: if it
or its interpreter is missing these tests fail, they never skip.
"""

import os
import sys

os.environ["TRITON_INTERPRET"] = "1"
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import pytest  # noqa: E402
import torch  # noqa: E402
import triton  # noqa: E402,F401

from colm_torch.ops import chain_linear, dense_masked_weight  # noqa: E402
from colm_torch.ops import chain_linear_triton as clt  # noqa: E402


def _widths(total, chains):
    s = sum(chains)
    assert total % s == 0
    return [total * c // s for c in chains]


def _cum(ws):
    out, acc = [], 0
    for w in ws:
        acc += w
        out.append(acc)
    return out


def _make(outs, cums, lead, dtype, bias, seed=0):
    g = torch.Generator().manual_seed(seed)
    ws = [(torch.randn(o, c, generator=g) / c ** 0.5).to(dtype).requires_grad_() for o, c in zip(outs, cums)]
    bs = [torch.randn(o, generator=g).to(dtype).requires_grad_() for o in outs] if bias else None
    x = torch.randn(*lead, cums[-1], generator=g).to(dtype).requires_grad_()
    return x, ws, bs


def _dense(x, ws, bs, k):
    """The dense masked product in fp32 and its gradients, sliced back to the stored blocks."""
    xd = x.detach().float().requires_grad_()
    wd = dense_masked_weight([w.detach().float() for w in ws], k).requires_grad_()
    kmax = ws[k - 1].shape[1]
    y = xd[..., :kmax] @ wd.t()
    bd = None
    if bs is not None:
        bd = torch.cat([b.detach().float() for b in bs[:k]]).requires_grad_()
        y = y + bd
    return y, xd, wd, bd


def _grads_of(y, inputs, gy):
    return torch.autograd.grad(y, inputs, gy, allow_unused=True)


def _err(a, b):
    return (a.float() - b.float()).abs().max().item()


def _tol(ref, dtype):
    scale = max(1.0, ref.abs().max().item())
    return scale * (2e-5 if dtype == torch.float32 else 2e-2)


CASES = [
    # name, outs, cums, k, lead
    ("chains[1,2,1]", _widths(36, [1, 2, 1]), _cum(_widths(40, [1, 2, 1])), 3, (2, 5)),
    ("chains[3,1]", _widths(44, [3, 1]), _cum(_widths(36, [3, 1])), 2, (7,)),
    ("odd37", [5, 11, 3], [7, 20, 37], 3, (3, 4)),
    ("k<n", _widths(48, [1, 1, 1, 1]), _cum(_widths(48, [1, 1, 1, 1])), 2, (2, 3, 3)),
    ("1chain", [20], [33], 1, (9,)),
    ("96x80", _widths(80, [1, 1, 1, 1]), _cum(_widths(96, [1, 1, 1, 1])), 4, (40,)),
]

ERRORS = {}


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["fp32", "bf16"])
@pytest.mark.parametrize("bias", [False, True], ids=["nobias", "bias"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_parity(case, bias, dtype):
    name, outs, cums, k, lead = case
    x, ws, bs = _make(outs, cums, lead, dtype, bias)
    y_tr = chain_linear(x, ws, bs, k, impl="triton")
    y_to = chain_linear(x, ws, bs, k, impl="torch")
    y_de, xd, wd, bd = _dense(x, ws, bs, k)
    assert y_tr.shape == (*lead, sum(outs[:k])) and y_tr.dtype == dtype
    tol = _tol(y_de, dtype)
    errs = {"fwd": _err(y_tr, y_de), "fwd_vs_torch": _err(y_tr, y_to)}
    assert errs["fwd"] <= tol and errs["fwd_vs_torch"] <= 2 * tol, errs

    gy = torch.randn(y_tr.shape, generator=torch.Generator().manual_seed(1)).to(dtype)
    params = [x, *ws[:k]] + (list(bs[:k]) if bias else [])
    g_tr = _grads_of(y_tr, params, gy)
    g_to = _grads_of(y_to, params, gy)
    g_de = _grads_of(y_de, [xd, wd] + ([bd] if bias else []), gy.float())
    # grad x
    ref = g_de[0]
    t = _tol(ref, dtype)
    errs["grad_x"] = _err(g_tr[0], ref)
    assert errs["grad_x"] <= t and _err(g_tr[0], g_to[0]) <= 2 * t, errs
    # grad W_i: the stored blocks of the dense gradient
    row = 0
    errs["grad_W"] = 0.0
    for i in range(k):
        ref = g_de[1][row:row + outs[i], :cums[i]]
        t = _tol(ref, dtype)
        e = _err(g_tr[1 + i], ref)
        errs["grad_W"] = max(errs["grad_W"], e)
        assert g_tr[1 + i].shape == ws[i].shape
        assert e <= t and _err(g_tr[1 + i], g_to[1 + i]) <= 2 * t, (i, errs)
        row += outs[i]
    if bias:
        gb = torch.cat([g.float() for g in g_tr[1 + k:]])
        errs["grad_b"] = _err(gb, g_de[2])
        assert errs["grad_b"] <= _tol(g_de[2], dtype), errs
    ERRORS[(name, bias, str(dtype))] = errs
    print(f"\n{name} bias={bias} {dtype}: " + ", ".join(f"{a}={b:.3g}" for a, b in errs.items()))


def test_unused_chains_get_no_grad():
    outs, cums = [8, 8, 8], [16, 32, 48]
    x, ws, bs = _make(outs, cums, (5,), torch.float32, True)
    y = chain_linear(x, ws, bs, 2, impl="triton")
    y.sum().backward()
    assert ws[2].grad is None and bs[2].grad is None
    assert ws[0].grad is not None and x.grad.shape == x.shape
    assert torch.all(x.grad[:, 32:] == 0)


def _expected_tiles(outs, cums, M, bm, bn, bk):
    cd = triton.cdiv
    fwd = cd(M, bm) * sum(cd(o, bn) * cd(c, bk) for o, c in zip(outs, cums))
    gx = cd(M, bm) * sum(sum(cd(o, bn) for o, c in zip(outs, cums) if c > col0)
                         for col0 in range(0, cums[-1], bk))
    gw = sum(cd(o, bn) * cd(c, bk) for o, c in zip(outs, cums))
    dense_blocks = cd(sum(outs), bn) * cd(cums[-1], bk)
    return fwd, gx, gw, dense_blocks


def test_only_blocks_inside_the_mask_are_visited():
    """Count the weight tiles each kernel loads (grad-W: the blocks it computes)."""
    outs, cums = _widths(64, [1, 1, 1, 1]), _cum(_widths(64, [1, 1, 1, 1]))
    M = 20
    x, ws, bs = _make(outs, cums, (M,), torch.float32, False)
    cfg = clt.INTERPRET_CONFIG
    fwd_e, gx_e, gw_e, dense = _expected_tiles(outs, cums, M, cfg["BM"], cfg["BN"], cfg["BK"])
    plan = clt._Plan(ws)
    xd, wd = x.detach(), [w.detach() for w in ws]
    dy = torch.ones(M, sum(outs))
    counts = []
    try:
        clt.counter.tensor = torch.zeros(1, dtype=torch.int32)
        for run in (lambda: clt._forward(xd, wd, None, plan), lambda: clt._grad_x(dy, wd, plan, cums[-1]),
                    lambda: clt._grad_w(dy, xd, wd, plan)):
            clt.counter.tensor.zero_()
            run()
            counts.append(int(clt.counter.tensor.item()))
    finally:
        clt.counter.tensor = None
    assert counts == [fwd_e, gx_e, gw_e], (counts, [fwd_e, gx_e, gw_e])
    m_tiles = triton.cdiv(M, cfg["BM"])
    # 4 equal chains of 16 rows/columns, 16x16 tiles: 10 of the 16 blocks are stored, (n+1)/(2n)
    assert gw_e == 10 and dense == 16
    assert fwd_e == m_tiles * 10 and gx_e == m_tiles * 10


def test_nothing_outside_the_stored_blocks_is_read():
    """Weights live between NaNs and x carries NaN columns past the prefix that sub-model k reads:
    any read outside the mask (or past an edge) would spread NaN."""
    outs, cums = [6, 10, 5], [9, 23, 30]
    k, M = 2, 19
    gen = torch.Generator().manual_seed(3)
    buf = torch.full((2000,), float("nan"))
    ws, off = [], 7
    for o, c in zip(outs, cums):
        buf[off:off + o * c] = torch.randn(o * c, generator=gen)
        ws.append(buf[off:off + o * c].view(o, c))
        off += o * c + 13
    xfull = torch.full((M, cums[-1]), float("nan"))
    xfull[:, :cums[k - 1]] = torch.randn(M, cums[k - 1], generator=gen)
    x = xfull.clone().requires_grad_()
    y = chain_linear(x, ws, None, k, impl="triton")
    assert torch.isfinite(y).all()
    ref = xfull[:, :cums[k - 1]] @ dense_masked_weight(ws, k).t()
    assert _err(y, ref) <= 2e-5 * max(1.0, ref.abs().max().item())
    (gx,) = torch.autograd.grad(y, [x], torch.ones_like(y))
    assert torch.isfinite(gx).all()
    gws = clt._grad_w(torch.ones(M, sum(outs[:k])), xfull[:, :cums[k - 1]], ws[:k], clt._Plan(ws[:k]))
    assert all(torch.isfinite(g).all() for g in gws)


def test_interpreter_is_active_and_auto_falls_back_on_cpu():
    assert clt.interpreting()
    fwd, _, _ = clt._kernels(True)
    from triton.runtime.interpreter import InterpretedFunction
    assert isinstance(fwd, InterpretedFunction)
    x, ws, bs = _make([4, 4], [16, 32], (3,), torch.float32, True)
    assert torch.equal(chain_linear(x, ws, bs, 2, impl="auto"), chain_linear(x, ws, bs, 2, impl="torch"))
    with pytest.raises(ValueError):
        chain_linear(x, ws, bs, 2, impl="cuda")
    with pytest.raises(ValueError):
        chain_linear(x, ws, bs, 3)
