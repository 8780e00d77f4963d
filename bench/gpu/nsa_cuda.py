#!/usr/bin/env python3
"""Native Sparse Attention (attn.nsa) through attention-opt --emit=cuda, checked and timed.

  emit DIR  (here) writes NSA programs to DIR and compiles them with
            `attention-opt --emit=cuda` (sm_90a): the issue's shape (64 query heads
            over 4 KV heads, D = 128, bf16, the paper's block sizes) and small
            variants (1 and 4 query heads per KV head, f16, bf16 gates, another
            gate-column order, smaller blocks, MLP pooling); two of them also
            for sm_80 (DIR/sm_80, mma.sync branch kernels, run as compute_80 PTX).
  run DIR   (on the GPU) builds them with nvcc, checks each against an independent
            PyTorch NSA in f64 on fresh random inputs (T = 1, below one block, not a
            multiple of any block; constant keys for ties), then times the issue's
            shape against PyTorch SDPA (flash and cuDNN backends) doing full causal
            attention at the same shape, in the same run, and writes a table.

The selection check: the kernel reports its selected blocks (the launcher's
`selection` output). They must be a valid top-n under the f64 importance scores
(forced blocks present, every other chosen block scoring at least as high as
every unchosen one, up to a bf16-sized tolerance); the reference output is then
computed over that selection, and the share of tokens whose selection equals
the f64 reference's own is reported.

With --fla, the public Triton NSA of flash-linear-attention (fla.ops.nsa,
from a checkout that holds the `fla` package; its window branch needs
flash-attn, so FlexAttention's sliding window stands in) is timed beside the
nsa_fla variant, ours compiled with fla's sizes (compression and selection
blocks of 64, stride 64, top 16, window 512).

Usage: bench/gpu/nsa_cuda.py emit DIR [--compiler build/bin/attention-opt]
       bench/gpu/nsa_cuda.py run DIR [--include DIR] [--out FILE.md] [--fla CHECKOUT]
"""
import ctypes
import datetime
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from softmax_cuda import ROOT, back_to_back, build, build_nvrtc, describe, emit_or_run, publish  # noqa: E402

# name: Hq, Hkv, D, dtype, gate dtype, gate columns, (l, d, l', top, initial, local, window)
# [, the pooling MLP's hidden width (mean pooling without)]
VARIANTS = {
    "nsa_paper": (64, 4, 128, "bf16", "f32", ("compressed", "selected", "window"), (32, 16, 64, 16, 1, 2, 512)),
    "nsa_g1": (4, 4, 64, "bf16", "bf16", ("window", "compressed", "selected"), (16, 8, 32, 6, 1, 2, 64)),
    "nsa_g4_f16": (8, 2, 64, "f16", "f32", ("selected", "window", "compressed"), (32, 16, 64, 4, 2, 1, 100)),
    # selection blocks of 3 strides: 64-key tiles of Kc start at different
    # offsets into a selection block (the select kernel's general path)
    "nsa_g2_sel24": (8, 4, 128, "bf16", "f32", ("compressed", "selected", "window"), (16, 8, 24, 5, 1, 2, 48)),
    # MLP pooling (hidden width 64; weights are inputs)
    "nsa_mlp": (16, 4, 128, "bf16", "f32", ("compressed", "selected", "window"), (32, 16, 64, 16, 1, 2, 512), 64),
    # flash-linear-attention's NSA sizes (its compression pools whole
    # selection blocks), for the peer comparison
    "nsa_fla": (64, 4, 128, "bf16", "f32", ("compressed", "selected", "window"), (64, 64, 64, 16, 1, 2, 512)),
}

# Also emitted for sm_80 (the branches as mma.sync kernels).
SM80_VARIANTS = ("nsa_paper", "nsa_mlp")


def program(name, Hq, Hkv, D, dtype, gdtype, columns, sizes, hidden=None):
    l, d, sel, top, initial, local, window = sizes
    q = f"tensor<?x{Hq}x?x{D}x{dtype}>"
    kv = f"tensor<?x{Hkv}x?x{D}x{dtype}>"
    g = f"tensor<?x{Hq}x?x3x{gdtype}>"
    args, types, pooling = "", "", "mean"
    if hidden:
        w = [f"tensor<{l}x{D}x{dtype}>", f"tensor<{l * D}x{hidden}x{dtype}>", f"tensor<{hidden}x{D}x{dtype}>"] * 2
        names = ["pk", "w1k", "w2k", "pv", "w1v", "w2v"]
        args = "".join(f", %{n}: {t}" for n, t in zip(names, w))
        types = "".join(", " + t for t in w)
        pooling = "mlp key_weights(%pk, %w1k, %w2k) value_weights(%pv, %w1v, %w2v)"
    return f"""func.func @{name}(%q: {q}, %k: {kv}, %v: {kv}, %g: {g}{args}) -> {q} {{
  %o = attn.nsa %q, %k, %v gates %g({", ".join(columns)})
      compress {pooling.replace(" key", f" block {l} stride {d} key", 1) if hidden else f"mean block {l} stride {d}"}
      select block {sel} top {top} initial {initial}
      local {local} window {window} scale {D ** -0.5!r}
      : ({q}, {kv}, {kv}, {g}{types}) -> {q}
  return %o : {q}
}}
"""


def emit(args):
    os.makedirs(args.dir, exist_ok=True)
    for name, spec in VARIANTS.items():
        path = os.path.join(args.dir, name + ".mlir")
        with open(path, "w") as f:
            f.write(program(name, *spec))
        subprocess.run([args.compiler, path, "--emit=cuda", "-o", args.dir], check=True)
    sm80 = os.path.join(args.dir, "sm_80")
    os.makedirs(sm80, exist_ok=True)
    for name in SM80_VARIANTS:
        subprocess.run([args.compiler, os.path.join(args.dir, name + ".mlir"), "--emit=cuda",
                        "--cuda-arch=sm_80", "-o", sm80], check=True)
    print("wrote", args.dir)


def reference(q, k, v, g, spec, dtype, selection=None, weights=()):
    """NSA from its definition, in `dtype`; returns (out, importance, forced).
    `weights`: MLP pooling's (pe, W1, W2) for keys, then for values."""
    import torch
    Hq, Hkv, D, _, _, columns, (l, d, sel, top, initial, local, window) = spec[:7]
    B, _, T, _ = q.shape
    group = Hq // Hkv
    q, k, v, g = q.to(dtype), k.to(dtype), v.to(dtype), g.to(dtype)
    scale = D ** -0.5
    dev = q.device
    t = torch.arange(T, device=dev)
    Nc = 0 if T < l else (T - l) // d + 1
    rep = lambda x: x.repeat_interleave(group, 1)

    def attend(scores, mask, values):
        s = scores.masked_fill(~mask, float("-inf"))
        p = torch.softmax(s, -1).nan_to_num(0.0)
        return p @ values, p

    outs = {}
    if Nc:
        def pool(x, w):
            blocks = torch.stack([x[:, :, i * d:i * d + l] for i in range(Nc)], 2)  # B H Nc l D
            if not w:
                return blocks.mean(3)
            pe, w1, w2 = (t.to(dtype) for t in w)
            flat = (blocks + pe).flatten(3)  # B H Nc l*D
            return torch.relu(flat @ w1) @ w2
        kc, vc = pool(k, weights[:3]), pool(v, weights[3:])
        i = torch.arange(Nc, device=dev)
        cmask = (i.view(1, Nc) * d + l - 1 <= t.view(T, 1))
        outs["compressed"], pc = attend(q @ rep(kc).transpose(-1, -2) * scale, cmask, rep(vc))
        # Importance of selection block j: probabilities of the compressed
        # blocks overlapping it, summed over the group's heads.
        overlap = torch.zeros(Nc, (T + sel - 1) // sel, device=dev, dtype=dtype)
        for c in range(Nc):
            overlap[c, (c * d) // sel:(c * d + l - 1) // sel + 1] = 1
        imp = (pc.view(B, Hkv, group, T, Nc).sum(2)) @ overlap
    else:
        outs["compressed"] = torch.zeros_like(q)
        imp = torch.zeros(B, Hkv, T, (T + sel - 1) // sel, device=dev, dtype=dtype)
    nsel = imp.shape[-1]
    own = t // sel
    j = torch.arange(nsel, device=dev)
    visible_blocks = j.view(1, nsel) <= own.view(T, 1)
    imp = imp.masked_fill(~visible_blocks, float("-inf"))
    forced = torch.zeros(T, nsel, dtype=torch.bool, device=dev)
    for tt in range(T):
        count = 0
        for jj in range(initial):
            if jj <= own[tt] and count < top:
                forced[tt, jj] = True
                count += 1
        for jj in range(local):
            b = own[tt] - jj
            if b >= 0 and count < top and not forced[tt, b]:
                forced[tt, b] = True
                count += 1
    if selection is None:
        # Ties to the lower block: a stable descending sort.
        key = imp.masked_fill(forced.view(1, 1, T, nsel), float("inf"))
        order = torch.sort(key, dim=-1, descending=True, stable=True).indices
        m = min(top, nsel)
        n = torch.clamp(own + 1, max=top).view(1, 1, T, 1)
        chosen = torch.zeros_like(key, dtype=torch.bool)
        chosen.scatter_(-1, order[..., :m], (torch.arange(m, device=dev).view(1, 1, 1, m) < n).expand(B, Hkv, T, m))
    else:
        chosen = torch.zeros(B, Hkv, T, nsel + 1, dtype=torch.bool, device=dev)
        chosen.scatter_(-1, selection.long().clamp(min=-1) % (nsel + 1), True)
        chosen = chosen[..., :nsel]
    s = q @ rep(k).transpose(-1, -2) * scale
    key_block = (torch.arange(T, device=dev) // sel)
    smask = rep(chosen)[..., key_block] & (t.view(T, 1) >= t.view(1, T))
    outs["selected"], _ = attend(s, smask, rep(v))
    wmask = (t.view(1, T) <= t.view(T, 1)) & (t.view(1, T) > t.view(T, 1) - window)
    outs["window"], _ = attend(s, wmask, rep(v))
    out = sum(torch.sigmoid(g[..., c:c + 1]) * outs[name] for c, name in enumerate(columns))
    return out, imp, forced, chosen


def run(args):
    import torch
    import torch.nn.functional as F
    include = args.include or os.path.join(ROOT, "include")
    libs = {name: build(args.dir, name, include, "sm_90a") for name in VARIANTS}
    libs["nsa_g1_nvrtc"] = build_nvrtc(args.dir, "nsa_g1", include)
    for name in SM80_VARIANTS:
        libs[name + "_sm80"] = build(os.path.join(args.dir, "sm_80"), name, include, "sm_80")
    dt = {"bf16": torch.bfloat16, "f16": torch.float16, "f32": torch.float32}

    def inputs(spec, B, T, gen, constant_keys=False):
        Hq, Hkv, D, dtype, gdtype = spec[:5]
        q = torch.randn(B, Hq, T, D, device="cuda", generator=gen).to(dt[dtype])
        k = torch.randn(B, Hkv, T, D, device="cuda", generator=gen).to(dt[dtype])
        if constant_keys:
            k = k[:, :, :1].expand(B, Hkv, T, D).contiguous()
        v = torch.randn(B, Hkv, T, D, device="cuda", generator=gen).to(dt[dtype])
        g = torch.randn(B, Hq, T, 3, device="cuda", generator=gen).to(dt[gdtype])
        w = []
        if len(spec) > 7:
            l, hidden = spec[6][0], spec[7]
            for _ in range(2):
                w += [(0.5 * torch.randn(l, D, device="cuda", generator=gen)).to(dt[dtype]),
                      (torch.randn(l * D, hidden, device="cuda", generator=gen) / (l * D) ** 0.5).to(dt[dtype]),
                      (torch.randn(hidden, D, device="cuda", generator=gen) / hidden ** 0.5).to(dt[dtype])]
        return q, k, v, g, w

    def ours(lib, spec, q, k, v, g, w, selection=None):
        fn, err, _ = lib
        out = torch.empty_like(q)
        sel_ptr = ctypes.c_void_p(selection.data_ptr()) if selection is not None else None
        rc = fn(*[ctypes.byref(describe(x)) for x in [q, k, v, g] + w + [out]], sel_ptr, None)
        if rc:
            raise RuntimeError(err().decode())
        return out

    rows, ok_all = [], True
    gen = torch.Generator(device="cuda").manual_seed(0)
    cases = [(1, 1, False), (2, 31, False), (1, 100, False), (2, 333, False), (1, 1000, False),
             (1, 200, True)]
    for name, lib in libs.items():
        spec = VARIANTS[name.replace("_nvrtc", "").replace("_sm80", "")]
        top = spec[6][3]
        for B, T, constant in cases:
            if name == "nsa_paper" and T == 1000:
                T = 1500  # past the window and several selection blocks
            q, k, v, g, w = inputs(spec, B, T, gen, constant)
            selection = torch.full((B, spec[1], T, top), -7, device="cuda", dtype=torch.int32)
            out = ours(lib, spec, q, k, v, g, w, selection)
            torch.cuda.synchronize()
            _, imp, forced, own_choice = reference(q, k, v, g, spec, torch.float64, weights=w)
            ref, _, _, chosen = reference(q, k, v, g, spec, torch.float64, selection, w)
            # Validity of the kernel's selection under the f64 scores.
            sel_block = spec[6][2]
            own = torch.arange(T, device="cuda") // sel_block
            n_expected = torch.clamp(own + 1, max=top)
            valid_entries = selection >= 0
            count_ok = bool((valid_entries.sum(-1) == n_expected.view(1, 1, T)).all())
            ascending = bool(((selection[..., 1:] > selection[..., :-1]) | ~valid_entries[..., 1:]).all())
            forced_ok = bool((chosen | ~forced.view(1, 1, T, -1)).all())
            scored = imp.masked_fill(forced.view(1, 1, T, -1), float("nan"))
            lo = torch.where(chosen, scored, torch.full_like(scored, float("inf"))).nan_to_num(float("inf"))
            hi = torch.where(~chosen, scored, torch.full_like(scored, float("-inf"))).nan_to_num(float("-inf"))
            gap = (hi.max(-1).values - lo.min(-1).values)
            scale_ = imp.nan_to_num(0, posinf=0, neginf=0).abs().amax(-1).clamp_min(1e-6)
            order_ok = bool((gap <= 2e-2 * scale_ + 1e-6).all())
            same = (chosen == own_choice).all(-1).float().mean().item()
            norm = ref.norm().clamp_min(1e-30)
            e = ((out.double() - ref).norm() / norm).item()
            # The bf16 yardstick: the same reference with its inputs and every
            # product in the input precision.
            lowp = torch.float16 if spec[3] == "f16" else torch.bfloat16
            ref_lp, _, _, _ = reference(q, k, v, g, spec, torch.float32, selection, w)
            ep = ((ref_lp.to(lowp).double() - ref).norm() / norm).item()
            finite = bool(torch.isfinite(out.float()).all())
            ok = count_ok and ascending and forced_ok and order_ok and finite and e <= max(2 * ep, 8e-3)
            ok_all &= ok
            rows.append(f"| {name} | B={B} T={T}{' constant keys' if constant else ''} | {e:.2e} | {ep:.2e} | "
                        f"{'ok' if count_ok and ascending and forced_ok and order_ok else 'BAD'} | {same:.3f} | "
                        f"{'yes' if ok else 'NO'} |")
            print(rows[-1], flush=True)

    # Inputs the launchers must refuse with a code and a message, not run on.
    rejects = []

    def refused(label, lib, tensors, code, words):
        nonlocal ok_all
        fn, err, _ = lib
        rc = fn(*[ctypes.byref(describe(x)) for x in tensors], None, None)
        message = err().decode() if rc else ""
        ok = rc == code and words in message
        ok_all &= ok
        rejects.append(f"| {label} | {rc} | {message} | {'yes' if ok else 'NO'} |")
        print(rejects[-1], flush=True)

    spec = VARIANTS["nsa_mlp"]
    q, k, v, g, w = inputs(spec, 1, 100, gen)
    out = torch.empty_like(q)
    wide = [w[0], torch.cat([w[1], w[1][:, :8]], 1).contiguous(), w[2]] + w[3:]
    refused("key W1 one hidden unit wider than compiled", libs["nsa_mlp"], [q, k, v, g] + wide + [out], 1,
            "pooling weights")
    strided = w[:3] + [w[3], w[4], w[5].t().contiguous().t()]  # same shape, column-major
    refused("value W2 transposed in memory", libs["nsa_mlp"], [q, k, v, g] + strided + [out], 2, "contiguous")
    refused("queries of 8 heads for a program of 16", libs["nsa_mlp"], [q[:, :8], k, v, g] + w + [out[:, :8]], 1,
            "do not fit")
    del q, k, v, g, w, out

    def timed(f, iters=10):
        return back_to_back(f, reps=1, iters=iters)

    from torch.nn.attention import SDPBackend, sdpa_kernel
    perf = []
    spec = VARIANTS["nsa_paper"]
    Hq, Hkv, D = spec[:3]
    for T in (8192, 32768, 65536):
        q, k, v, g, w = inputs(spec, 1, T, gen)
        t_ours = timed(launcher(libs["nsa_paper"], q, k, v, g))
        peers = {}
        kx, vx = k.repeat_interleave(Hq // Hkv, 1), v.repeat_interleave(Hq // Hkv, 1)
        for label, backend in (("flash", SDPBackend.FLASH_ATTENTION), ("cuDNN", SDPBackend.CUDNN_ATTENTION)):
            peers[label] = None
            # GQA where the backend takes it, else the KV heads repeated
            # (the same FLOPs).
            for kk, vv, gqa in ((k, v, True), (kx, vx, False)):
                try:
                    with sdpa_kernel(backend):
                        peers[label] = timed(lambda: F.scaled_dot_product_attention(
                            q, kk, vv, is_causal=True, enable_gqa=gqa), iters=5)
                    break
                except RuntimeError as ex:  # a backend that does not take this shape
                    print(label, "gqa" if gqa else "repeated", "unavailable:", str(ex)[:200])
        del kx, vx
        flops = 4 * Hq * T * T / 2 * D
        line = f"| {T} | {t_ours:.2f} | "
        for label in ("flash", "cuDNN"):
            p = peers[label]
            line += f"{p:.2f} | {p / t_ours:.2f} | " if p else "n/a | n/a | "
        line += f"{flops / (peers['flash'] * 1e-3) / 1e12:.0f} |" if peers["flash"] else "n/a |"
        perf.append(line)
        print(line, flush=True)
        del q, k, v, g
        torch.cuda.empty_cache()

    peer_perf = fla_peer(args.fla, libs["nsa_fla"], inputs, timed, gen) if args.fla else []

    md = ["# Native Sparse Attention: attention-opt --emit=cuda (attn.nsa, sm_90a) vs full causal attention",
          "", f"{datetime.date.today()}, {torch.cuda.get_device_name()}, torch {torch.__version__}, median of 10 runs (CUDA events; the launcher called through ctypes, its scratch allocation included).",
          "", "Command: `python3 bench/gpu/nsa_cuda.py emit DIR` here, then on the GPU `python3 nsa_cuda.py run DIR --include INCLUDE --out gpu-nsa.md`.",
          "", f"B = 1, Hq = {Hq}, Hkv = {Hkv}, D = {D}, bf16; NSA with all three branches (compression block 32, stride 16, selection block 64, top 16 incl. 1 initial and 2 local, window 512, f32 gates). Peers: PyTorch SDPA full causal attention at the same shape (enable_gqa), x = peer time / ours.",
          "", "| T | ours ms | SDPA flash ms | x flash | SDPA cuDNN ms | x cuDNN | flash TFLOP/s |", "|---|---|---|---|---|---|---|", *perf,
          *peer_perf,
          "", "Numerics (relative Frobenius error vs an independent f64 PyTorch NSA over the kernel's own selection; 'bf16 ref' = that reference computed in f32 and rounded to the input type; selection: the kernel's blocks are a valid top-n of the f64 importance scores (count, order, forced blocks, no unchosen block scoring more than 2% of the row's largest above a chosen one); 'same' = share of (token, KV head) rows whose selection equals the f64 reference's):",
          "", "| variant | case | err | bf16 ref | selection | same | ok |", "|---|---|---|---|---|---|---|", *rows,
          "", "Refused inputs (nsa_mlp; the launcher's code and message):",
          "", "| input | code | message | ok |", "|---|---|---|---|", *rejects,
          "", "ALL CHECKS PASSED" if ok_all else "SOME CHECKS FAILED"]
    publish(md, ok_all, args.out)


def launcher(lib, q, k, v, g):
    """A call of an NSA launcher (mean pooling, no selection output) on these
    inputs, returning its output."""
    import torch
    fn, err, _ = lib
    out = torch.empty_like(q)
    descs = [ctypes.byref(describe(x)) for x in (q, k, v, g, out)]

    def call():
        if fn(*descs, None, None):
            raise RuntimeError(err().decode())
        return out
    return call


def fla_peer(checkout, lib, inputs, timed, gen):
    """The nsa_fla variant against flash-linear-attention's Triton NSA
    (compression, top-n and selected branches) plus FlexAttention's sliding
    window, at the issue's shapes: the table's lines, after both outputs'
    errors against the f64 reference at small T."""
    import torch
    from torch.nn.attention.flex_attention import create_block_mask, flex_attention
    sys.path.insert(0, checkout)
    from fla.ops.nsa.parallel import parallel_nsa
    spec = VARIANTS["nsa_fla"]
    Hq, Hkv, D = spec[:3]
    window = spec[6][6]
    flex = torch.compile(flex_attention)

    def both(T):
        """Fresh inputs of length T, our call and the peer's; both calls
        return the output in our layout."""
        q, k, v, g, _ = inputs(spec, 1, T, gen)
        call = launcher(lib, q, k, v, g)
        # fla's layout [B, T, H, D], its gates multiplied as given.
        qt, kt, vt = (x.transpose(1, 2).contiguous() for x in (q, k, v))
        gates = torch.sigmoid(g.float()).to(q.dtype).permute(3, 0, 2, 1).contiguous()  # [3, B, T, H]
        mask = create_block_mask(lambda b, h, i, j: (j <= i) & (j > i - window), None, None, T, T)

        def peer():
            o = parallel_nsa(qt, kt, vt, gates[0], gates[1], None, block_counts=spec[6][3], block_size=64,
                             scale=D ** -0.5)
            o_swa = flex(q, k, v, block_mask=mask, enable_gqa=True)
            return torch.addcmul(o, o_swa.transpose(1, 2), gates[2].unsqueeze(-1)).transpose(1, 2)
        return (q, k, v, g), call, peer

    # Both against the f64 reference (over its own selection) where it fits.
    errors = []
    for T in (1000, 2000):
        x, call, peer = both(T)
        ref = reference(*x, spec, torch.float64)[0]
        e = [((f().double() - ref).norm() / ref.norm()).item() for f in (call, peer)]
        errors.append(f"T = {T}: ours {e[0]:.1e}, fla {e[1]:.1e}")
    lines = ["", "Peer at its own sizes: nsa_fla (compression and selection blocks 64, stride 64, top 16 incl. 1 "
             "initial and 2 local, window 512) against flash-linear-attention's Triton NSA (fla.ops.nsa."
             "parallel_nsa: compression, top-n, selected branch and gates) plus FlexAttention's sliding window "
             "(fla's own window branch needs flash-attn), same inputs, same run; x = peer time / ours; diff = relative difference of the two outputs. "
             "Relative error against the f64 reference NSA (over its own selection): " + "; ".join(errors) + ".",
             "", "| T | ours ms | fla NSA + Flex window ms | x | diff |", "|---|---|---|---|---|"]
    for T in (8192, 32768, 65536):
        _, call, peer = both(T)
        t_ours, t_peer = timed(call), timed(peer)
        out, theirs = call().double(), peer().double()
        diff = ((out - theirs).norm() / theirs.norm()).item()
        lines.append(f"| {T} | {t_ours:.2f} | {t_peer:.2f} | {t_peer / t_ours:.2f} | {diff:.1e} |")
        print(lines[-1], flush=True)
        del call, peer, out, theirs
        torch.cuda.empty_cache()
    return lines


if __name__ == "__main__":
    emit_or_run(emit, run, lambda r: r.add_argument("--fla", help="a checkout holding the fla package"))
