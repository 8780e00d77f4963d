#!/usr/bin/env python3
"""DeepSeek sparse attention (DSA) decode over MLA's latent cache through
attention-opt --emit=cuda, checked and timed.

  emit DIR  (here) writes DSA over the latent cache (DeepSeek-V3.2's sizes:
            lightning indexer of 64 heads x 128 with f32 weights, top 2048, 128
            query heads over latent 512 + RoPE 64, bf16, causal with
            per-sequence lengths), the same over a paged cache (pages of 16
            slots), a small variant (16 heads, indexer 8 x 64 with bf16
            weights, top 100) and dense MLA (mla_cuda.py's mla128), and
            compiles them with `attention-opt --emit=cuda` for sm_90a.
  run DIR   (on the GPU) builds them with nvcc (and DSA-128 with NVRTC), checks
            them against an independent f64 PyTorch DSA (indexer, top-k with
            ties to the lower key, attention over the selected keys) on fresh
            inputs: quantized indexer inputs whose scores are exact integers and
            tie by the thousand, random ones, all-zero scores (the first keys
            win), k above the cache length, T = 2 and 3, an empty cache; then
            times DSA-128 at T = 1 against dense MLA over the whole cache, a
            device-to-device copy of the bytes DSA must read (indexer keys plus
            the selected latent rows) and a plain PyTorch DSA in the same run.

Usage: bench/gpu/dsa_cuda.py emit DIR [--compiler build/bin/attention-opt]
       bench/gpu/dsa_cuda.py run DIR [--include DIR] [--out FILE.md]
       bench/gpu/dsa_cuda.py profile DIR B S [--include DIR]  (DSA-128's kernels' times, T = 1)
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from softmax_cuda import ROOT, back_to_back, build, build_nvrtc, check_row, emit_run_profile_main, interleaved, launcher_call, report, to_pages  # noqa: E402
from mla_cuda import DC, DR, SCALE, latent_caches, program as mla_program  # noqa: E402

# name: query heads, indexer heads, indexer dim, top, indexer weight type,
# page size (None: a contiguous cache)
PAGE = 16
PROGRAMS = {"dsa128": (128, 64, 128, 2048, "f32", None), "dsa16": (16, 8, 64, 100, "bf16", None),
            "dsa128_paged": (128, 64, 128, 2048, "f32", PAGE)}


def program(name, heads, ih, idim, top, wtype, page):
    """DSA over the latent cache, plain or in pages (latent_caches)."""
    q, qr = f"tensor<?x{heads}x?x{DC}xbf16>", f"tensor<?x{heads}x?x{DR}xbf16>"
    c, kr, s = f"tensor<?x1x?x{DC}xbf16>", f"tensor<?x1x?x{DR}xbf16>", f"tensor<?x{heads}x?x?xbf16>"
    iq, ik, iw = f"tensor<?x{ih}x?x{idim}xbf16>", f"tensor<?x1x?x{idim}xbf16>", f"tensor<?x{ih}x?x{wtype}>"
    isc, sel = "tensor<?x1x?x?xbf16>", f"tensor<?x1x?x{top}xi64>"
    caches, paging = latent_caches(page)
    return f"""func.func @{name}(%q: {q} {{attn.dims = "B,H,T,Dc"}}, %qr: {qr} {{attn.dims = "B,H,T,Dr"}},
    {caches},
    %iq: {iq} {{attn.dims = "B,Hi,T,Di"}}, %ik: {ik} {{attn.dims = "B,Hik,S,Di"}},
    %iw: {iw} {{attn.dims = "B,Hi,T"}}, %lengths: tensor<?xi32> {{attn.dims = "B"}}) -> {q} {{
{paging}  %is = attn.index_score %iq, %ik, %iw : {iq}, {ik}, {iw} -> {isc}
  %im = attn.mask %is, causal lengths %lengths : {isc}, tensor<?xi32>
  %sel = attn.select_tokens %im top {top} : {isc} -> {sel}
  %s = attn.score %q, %c + %qr, %kr scale {SCALE!r} : ({q}, {c}, {qr}, {kr}) -> {s}
  %m = attn.mask %s, causal lengths %lengths : {s}, tensor<?xi32>
  %b = attn.block_mask %m, %sel, block 1 : {s}, {sel}
  %p = attn.softmax %b : {s}
  %o = attn.aggregate %p, %c : {s}, {c} -> {q}
  return %o : {q}
}}
"""


def emit(args):
    texts = {name: program(name, *sizes) for name, sizes in PROGRAMS.items()}
    texts["mla128"] = mla_program("mla128", 128)
    for name, text in texts.items():
        out = os.path.join(args.dir, name)
        os.makedirs(out, exist_ok=True)
        path = os.path.join(out, name + ".mlir")
        with open(path, "w") as f:
            f.write(text)
        subprocess.run([args.compiler, path, "--emit=cuda", "--cuda-arch=sm_90a", "-o", out], check=True)
    print("wrote", args.dir)


def visible_keys(lengths, T, S):
    """[B, T, S]: the causal mask with per-sequence lengths (query t at
    lengths[b] - T + t)."""
    L = lengths.view(-1, 1, 1).long()
    pos = L - T + torch.arange(T, device="cuda").view(1, T, 1)
    key = torch.arange(S, device="cuda").view(1, 1, S)
    return (key <= pos) & (key < L)


def reference(q, qr, c, kr, iq, ik, iw, lengths, top, dtype):
    """DSA written independently of the kernels: the indexer in f64, the top
    `top` visible keys (a stable sort: ties to the lower key), attention in
    `dtype` over only those."""
    B, H, T, _ = q.shape
    S = c.shape[2]
    visible = visible_keys(lengths, T, S)
    dots = torch.einsum("bjtd,bsd->bjts", iq.double(), ik[:, 0].double()).clamp_min(0)
    index = torch.einsum("bjt,bjts->bts", iw.double(), dots).masked_fill(~visible, float("-inf"))
    order = torch.sort(-index, dim=-1, stable=True).indices[..., :top]
    chosen = torch.zeros_like(visible).scatter_(-1, order, True) & visible
    cc, kk = c[:, 0].to(dtype), kr[:, 0].to(dtype)
    s = (torch.einsum("bhtd,bsd->bhts", q.to(dtype), cc) + torch.einsum("bhtd,bsd->bhts", qr.to(dtype), kk)) * SCALE
    s = s.masked_fill(~chosen[:, None], float("-inf"))
    lse = torch.logsumexp(s.double(), -1)
    p = torch.softmax(s, -1).nan_to_num(0.0)
    return torch.einsum("bhts,bsd->bhtd", p, cc), lse


def plain(q, qr, c, kr, iq, ik, iw, lengths, top):
    """DSA as PyTorch code would run it in bf16: indexer einsums, topk, the
    selected rows gathered, attention over them."""
    B, H, T, _ = q.shape
    S = c.shape[2]
    scores = torch.einsum("bjtd,bsd->bjts", iq, ik[:, 0]).relu_()
    index = torch.einsum("bjt,bjts->bts", iw.to(scores.dtype), scores).float()
    index = index.masked_fill(~visible_keys(lengths, T, S), float("-inf"))
    best, keys = index.topk(min(top, S), dim=-1)
    rows = (keys + torch.arange(B, device="cuda").view(B, 1, 1) * S).view(-1)
    sc = c.view(B * S, DC)[rows].view(B, T, -1, DC)
    sr = kr.view(B * S, DR)[rows].view(B, T, -1, DR)
    s = (torch.einsum("bhtd,btkd->bhtk", q, sc) + torch.einsum("bhtd,btkd->bhtk", qr, sr)) * SCALE
    s = s.masked_fill(best[:, None] == float("-inf"), float("-inf"))
    p = torch.softmax(s.float(), -1).to(q.dtype)
    return torch.einsum("bhtk,btkd->bhtd", p, sc)


def inputs(B, H, T, S, ih, idim, wdtype, kind, gen):
    """Random queries and caches; the indexer's inputs by `kind`: 'random'
    (normal), 'quantized' (integers in [-2, 2] and power-of-two weights: exact
    scores with many ties) or 'zero' (every score 0)."""
    r = lambda *shape: torch.randn(*shape, device="cuda", generator=gen).bfloat16()  # noqa: E731
    q, qr, c, kr = r(B, H, T, DC), r(B, H, T, DR), r(B, 1, S, DC), r(B, 1, S, DR)
    if kind == "quantized":
        iq = torch.randint(-2, 3, (B, ih, T, idim), device="cuda", generator=gen).bfloat16()
        ik = torch.randint(-2, 3, (B, 1, S, idim), device="cuda", generator=gen).bfloat16()
        iw = 2.0 ** torch.randint(-2, 2, (B, ih, T), device="cuda", generator=gen)
    else:
        iq, ik = r(B, ih, T, idim), r(B, 1, S, idim)
        iw = torch.rand(B, ih, T, device="cuda", generator=gen)
        if kind == "zero":
            iq = torch.zeros_like(iq)
    return q, qr, c, kr, iq, ik, iw.to(wdtype)


def run(args):
    global torch
    import torch
    include = args.include or os.path.join(ROOT, "include")
    libs = {name: build(os.path.join(args.dir, name), name, include, "sm_90a") for name in (*PROGRAMS, "mla128")}
    libs["dsa128 NVRTC"] = build_nvrtc(os.path.join(args.dir, "dsa128"), "dsa128", include)
    for label, (_, _, spills) in libs.items():
        print(label, spills)

    def prepared(fn, err, tensors, lengths, out_like, page=None):
        """The launcher's call on `tensors` (q, qr, c, kr, iq, ik, iw or the
        first four), the caches in pages of `page` slots if given (the
        indexer keys padded to the pages' slots)."""
        if page:
            q, qr, c, kr, iq, ik, iw = tensors
            *pools, table = to_pages((c, kr), lengths, page)
            pad = table.shape[1] * page - ik.shape[2]
            tensors = (q, qr, *pools, table, iq, torch.nn.functional.pad(ik, (0, 0, 0, pad)), iw)
        return launcher_call(fn, err, (*tensors, lengths), out_like)

    rows, ok_all = [], True
    cases = {"dsa128_paged": [(2, 1, 5000, [5000, 3001], "quantized"), (2, 2, 4099, [4099, 2500], "random"),
                              (4, 1, 8192, [8192, 4095, 31, 0], "random"), (64, 1, 3000, None, "quantized")],
             "dsa128": [(2, 1, 5000, [5000, 3001], "quantized"), (3, 1, 1000, [1000, 1, 517], "random"),
                        (2, 2, 4099, [4099, 2500], "quantized"), (4, 1, 8192, [8192, 4095, 31, 0], "random"),
                        (1, 1, 70000, [70000], "random"), (64, 1, 3000, None, "quantized"),
                        (2, 1, 3000, [3000, 2100], "zero")],
             "dsa16": [(2, 3, 300, [300, 50], "quantized"), (3, 1, 2049, [2049, 5, 1300], "random"),
                       (1, 1, 700, [700], "zero")]}
    gen = torch.Generator(device="cuda").manual_seed(0)
    for label, (fn, err, _) in libs.items():
        if label == "mla128":
            continue
        name = label.split()[0]
        heads, ih, idim, top, wtype, page = PROGRAMS[name]
        wdtype = torch.float32 if wtype == "f32" else torch.bfloat16
        for B, T, S, lens, kind in cases[name]:
            tensors = inputs(B, heads, T, S, ih, idim, wdtype, kind, gen)
            lens = lens or torch.randint(1, S + 1, (B,), generator=gen, device="cuda").tolist()
            lengths = torch.tensor(lens, device="cuda", dtype=torch.int32)
            out, lse = prepared(fn, err, tensors, lengths, tensors[0], page)()
            ref, ref_lse = reference(*tensors, lengths, top, torch.float64)
            bf16, _ = reference(*tensors, lengths, top, torch.bfloat16)
            shown = lens if len(lens) <= 4 else f"{len(lens)} random in [1, {S}]"
            ok, row = check_row(label, f"B={B} T={T} S={S} lengths={shown} indexer {kind}", out, lse, ref, ref_lse,
                                bf16)
            ok_all &= ok
            rows.append(row)

    perf = []
    heads, ih, idim, top, _, _ = PROGRAMS["dsa128"]
    for B, S in ((64, 8192), (64, 32768), (64, 65536), (128, 32768)):
        gen.manual_seed(B * S)
        tensors = inputs(B, heads, 1, S, ih, idim, torch.float32, "random", gen)
        q, qr, c, kr, iq, ik, iw = tensors
        lengths = torch.full((B,), S, device="cuda", dtype=torch.int32)
        read = (ik.numel() + B * min(top, S) * (DC + DR)) * 2  # indexer keys + selected rows
        src = torch.empty(read // 2, device="cuda", dtype=torch.bfloat16)
        dst = torch.empty_like(src)
        t_plain = back_to_back(lambda: plain(*tensors, lengths, top))
        times = interleaved({"copy": lambda: dst.copy_(src),
                             "dsa": prepared(*libs["dsa128"][:2], tensors, lengths, q),
                             "paged": prepared(*libs["dsa128_paged"][:2], tensors, lengths, q, PAGE),
                             "dense": prepared(*libs["mla128"][:2], (q, qr, c, kr), lengths, q)})
        t_copy, t, t_dense, t_paged = times["copy"], times["dsa"], times["dense"], times["paged"]
        copy_bw = 2 * read / (t_copy * 1e-3)  # read + write
        bw = read / (t * 1e-3)
        perf.append(f"| {B} | {S} | {read / 1e6:.0f} MB | {t_copy * 1e3:.1f} us ({copy_bw / 1e9:.0f} GB/s) | "
                    f"{t * 1e3:.1f} us, {bw / 1e9:.0f} GB/s = **{bw / copy_bw:.2f} x copy** | "
                    f"{t_paged * 1e3:.1f} us = **{read / (t_paged * 1e-3) / copy_bw:.2f} x copy** | "
                    f"{t_dense * 1e3:.1f} us (**{t_dense / t:.2f} x** DSA's time) | "
                    f"{t_plain * 1e3:.1f} us (**{t_plain / t:.1f} x** DSA's time) |")

    report("DeepSeek sparse attention decode over the latent cache: attention-opt --emit=cuda indexer, top-k and sparse latent kernels",
           "`python3 bench/gpu/dsa_cuda.py emit DIR` here, then on the GPU `python3 dsa_cuda.py run DIR --include INCLUDE --out gpu-dsa.md`.",
           f"DSA-128: indexer 64 heads x 128 (bf16, f32 weights), top 2048, 128 query heads over latent {DC} + RoPE {DR}, bf16, T = 1, every cache full, random inputs. One call runs the indexer, the top-k selection and the sparse latent kernel (and the split merge). 'read' = the bytes DSA must read: indexer keys (S x 128 x 2 B per sequence) and the selected latent + RoPE rows (2048 x 1152 B); the copy moves those bytes device to device (read + write counted) in turns with the kernels. 'paged' reads the latent and RoPE caches from shuffled pools of 16-slot pages through a table; 'dense' is our MLA kernel over the whole cache (mla128); 'plain' is PyTorch in bf16 (einsum indexer, topk, gathered rows, einsum attention).",
           "| B | S | read | copy | DSA (ours) | DSA, paged (ours) | dense MLA (ours) | plain PyTorch DSA |", perf, rows, ok_all, args.out)


def profile(args):
    """Each kernel's mean time over 20 DSA-128 calls (torch.profiler), and
    the dense latent kernel's over a cache of the selection's size."""
    global torch
    import torch
    include = args.include or os.path.join(ROOT, "include")
    heads, ih, idim, top, _, _ = PROGRAMS["dsa128"]
    gen = torch.Generator(device="cuda").manual_seed(0)
    for name, S in (("dsa128", args.S), ("mla128", top)):
        fn, err, _ = build(os.path.join(args.dir, name), name, include, "sm_90a")
        tensors = inputs(args.B, heads, 1, S, ih, idim, torch.float32, "random", gen)
        if name == "mla128":
            tensors = tensors[:4]
        lengths = torch.full((args.B,), S, device="cuda", dtype=torch.int32)
        call = launcher_call(fn, err, (*tensors, lengths), tensors[0])
        for _ in range(3):
            call()
        torch.cuda.synchronize()
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as prof:
            for _ in range(20):
                call()
            torch.cuda.synchronize()
        print(f"{name} B={args.B} S={S}")
        print(prof.key_averages().table(sort_by="cuda_time_total", row_limit=8))


if __name__ == "__main__":
    emit_run_profile_main(emit, run, profile)
