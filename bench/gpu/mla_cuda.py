#!/usr/bin/env python3
"""MLA decode over the latent cache through attention-opt --emit=cuda, checked and timed.

  emit DIR  (here) writes MLA's absorbed attention (latent 512 + RoPE 64, bf16,
            per-sequence lengths, causal) for 128 and 16 query heads to DIR and
            compiles both with `attention-opt --emit=cuda` for sm_90a.
  run DIR   (on the GPU) builds them with nvcc (and the 128-head source with
            NVRTC), checks them against an independent f64 PyTorch MLA on fresh
            inputs (T = 1 to 5, odd and mixed cache lengths, an empty cache, row
            blocks not filled, one split and many), then times the issue's shapes
            (128 heads, T = 1, B = 64 and 128, caches of 4096 and 8192) against a
            device-to-device copy of the cache bytes and a plain PyTorch
            implementation in the same run, and writes a table.

Usage: bench/gpu/mla_cuda.py emit DIR [--compiler build/bin/attention-opt]
       bench/gpu/mla_cuda.py run DIR [--include DIR] [--out FILE.md] [--extra NAME=SUBDIR]
                                     [--flashmla CHECKOUT]
       bench/gpu/mla_cuda.py profile DIR B S [--include DIR]  (one 128-head call, for ncu)
--extra times a hand-modified copy of the 128-head source (SUBDIR/mla128.cu) beside
ours, for trying a kernel change before it goes into the compiler.
--flashmla builds DeepSeek's FlashMLA sm90 dense decode kernel from a checkout
(its csrc/, with the CUTLASS submodule in csrc/cutlass or CHECKOUT/cutlass)
and checks and times it beside ours, as a peer.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from softmax_cuda import ROOT, back_to_back, build, build_nvrtc, check_row, emit_run_profile_main, interleaved, launcher_call, report, to_pages  # noqa: E402

DC, DR = 512, 64
SCALE = (128 + 64) ** -0.5  # DeepSeek's: the un-absorbed head dims


def latent_caches(page):
    """The latent cache and RoPE keys as arguments %c, %kr, or with `page`
    as pools of pages of that many slots read through one page table: the
    arguments' text, and the ops that define %c and %kr from the pools."""
    c, kr = f"tensor<?x1x?x{DC}xbf16>", f"tensor<?x1x?x{DR}xbf16>"
    if page:
        cp, rp = f"tensor<?x{page}x1x{DC}xbf16>", f"tensor<?x{page}x1x{DR}xbf16>"
        caches = f"""%c_pages: {cp} {{attn.dims = "N,P,Hc,Dc"}}, %kr_pages: {rp} {{attn.dims = "N,P,Hc,Dr"}},
    %table: tensor<?x?xi32> {{attn.dims = "B,M"}}"""
        paging = f"""  %c = attn.paged_cache %c_pages, %table : {cp}, tensor<?x?xi32> -> {c}
  %kr = attn.paged_cache %kr_pages, %table : {rp}, tensor<?x?xi32> -> {kr}
"""
    else:
        caches = f"""%c: {c} {{attn.dims = "B,Hc,S,Dc"}}, %kr: {kr} {{attn.dims = "B,Hc,S,Dr"}}"""
        paging = ""
    return caches, paging


def program(name, heads, page=None):
    """MLA over the latent cache, plain or in pages (latent_caches)."""
    q, qr = f"tensor<?x{heads}x?x{DC}xbf16>", f"tensor<?x{heads}x?x{DR}xbf16>"
    c, kr, s = f"tensor<?x1x?x{DC}xbf16>", f"tensor<?x1x?x{DR}xbf16>", f"tensor<?x{heads}x?x?xbf16>"
    caches, paging = latent_caches(page)
    return f"""func.func @{name}(%q: {q} {{attn.dims = "B,H,T,Dc"}}, %qr: {qr} {{attn.dims = "B,H,T,Dr"}},
    {caches}, %lengths: tensor<?xi32> {{attn.dims = "B"}}) -> {q} {{
{paging}  %s = attn.score %q, %c + %qr, %kr scale {SCALE!r} : ({q}, {c}, {qr}, {kr}) -> {s}
  %m = attn.mask %s, causal lengths %lengths : {s}, tensor<?xi32>
  %p = attn.softmax %m : {s}
  %o = attn.aggregate %p, %c : {s}, {c} -> {q}
  return %o : {q}
}}
"""


PAGE = 64  # FlashMLA's page size
PROGRAMS = {"mla128": (128, None), "mla16": (16, None), "mla128_paged": (128, PAGE)}


def emit(args):
    for name, (heads, page) in PROGRAMS.items():
        out = os.path.join(args.dir, name)
        os.makedirs(out, exist_ok=True)
        path = os.path.join(out, name + ".mlir")
        with open(path, "w") as f:
            f.write(program(name, heads, page))
        subprocess.run([args.compiler, path, "--emit=cuda", "--cuda-arch=sm_90a", "-o", out], check=True)
    print("wrote", args.dir)


def reference(q, qr, c, kr, lengths, dtype):
    """MLA over the latent cache, written independently of the kernel."""
    B, H, T, _ = q.shape
    S = c.shape[2]
    cc, kk = c[:, 0].to(dtype), kr[:, 0].to(dtype)
    s = (torch.einsum("bhtd,bsd->bhts", q.to(dtype), cc) + torch.einsum("bhtd,bsd->bhts", qr.to(dtype), kk)) * SCALE
    pos = lengths.view(B, 1, 1, 1).long() - T + torch.arange(T, device="cuda").view(1, 1, T, 1)
    key = torch.arange(S, device="cuda").view(1, 1, 1, S)
    visible = (key <= pos) & (key < lengths.view(B, 1, 1, 1).long())
    s = s.masked_fill(~visible, float("-inf"))
    lse = torch.logsumexp(s.double(), -1)
    p = torch.softmax(s, -1).nan_to_num(0.0)
    return torch.einsum("bhts,bsd->bhtd", p, cc), lse


FLASHMLA_BINDING = """#include "api/dense_decode.h"
PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) { m.def("dense_decode_fwd", &dense_attn_decode_interface); }
"""


def flashmla_peer(root):
    """FlashMLA's sm90 dense decode, built from the checkout at `root` with
    its own flags. Gives make(q, qr, c, kr, lengths) -> a call returning
    (out, lse) in our layouts; the cache is copied once into FlashMLA's
    [pages of 64, 576] layout (the same 1152 bytes per entry), and the
    scheduling metadata of the first call is reused, as its users do."""
    from torch.utils.cpp_extension import CUDA_HOME, load
    os.environ.setdefault("TORCH_CUDA_ARCH_LIST", "9.0a")
    csrc = os.path.join(root, "csrc")
    # A git checkout has CUTLASS as the submodule csrc/cutlass.
    cutlass = next((d for d in (os.path.join(csrc, "cutlass"), os.path.join(root, "cutlass"))
                    if os.path.isdir(os.path.join(d, "include"))), None)
    if not cutlass:
        sys.exit(f"--flashmla {root}: no CUTLASS in csrc/cutlass or cutlass/ (git submodule update --init)")
    binding = os.path.join(root, "peer_binding.cpp")
    with open(binding, "w") as f:
        f.write(FLASHMLA_BINDING)
    common = ["-O3", "-std=c++20", "-DNDEBUG", "-DFLASH_MLA_DISABLE_FP16"]
    nvcc = common + ["-D_USE_MATH_DEFINES", "-U__CUDA_NO_HALF_OPERATORS__", "-U__CUDA_NO_HALF_CONVERSIONS__",
                     "-U__CUDA_NO_HALF2_OPERATORS__", "-U__CUDA_NO_BFLOAT16_CONVERSIONS__",
                     "--expt-relaxed-constexpr", "--expt-extended-lambda", "--use_fast_math"]
    build_dir = os.path.join(root, "build")
    os.makedirs(build_dir, exist_ok=True)
    ext = load("flashmla_dense", [binding] + [os.path.join(csrc, f) for f in (
        "smxx/decode/get_decoding_sched_meta/get_decoding_sched_meta.cu", "smxx/decode/combine/combine.cu",
        "sm90/decode/dense/instantiations/bf16.cu")],
        extra_cflags=common, extra_cuda_cflags=nvcc, build_directory=build_dir,
        extra_include_paths=[csrc, os.path.join(csrc, "kerutils", "include"), os.path.join(csrc, "sm90"),
                             os.path.join(cutlass, "include"), os.path.join(cutlass, "tools", "util", "include"),
                             os.path.join(CUDA_HOME, "include", "cccl")])  # CUDA 13's libcu++ (cutlass includes it)

    def make(q, qr, c, kr, lengths):
        B, H, T, _ = q.shape
        S = c.shape[2]
        pages = (S + 63) // 64
        cache = torch.zeros(B, pages * 64, DC + DR, device="cuda", dtype=q.dtype)
        cache[:, :S] = torch.cat([c[:, 0], kr[:, 0]], -1)
        cache = cache.view(B * pages, 64, 1, DC + DR)
        table = torch.arange(B * pages, device="cuda", dtype=torch.int32).view(B, pages)
        query = torch.cat([q, qr], -1).transpose(1, 2).contiguous()  # [B, T, H, 576]
        meta = [None, None]

        def call():
            out, lse, meta[0], meta[1] = ext.dense_decode_fwd(query, cache, DC, lengths, table, SCALE, T > 1,
                                                              meta[0], meta[1])
            return out.transpose(1, 2), lse
        return call
    return make


def run(args):
    global torch
    import torch
    include = args.include or os.path.join(ROOT, "include")
    libs = {}
    for name in PROGRAMS:
        libs[name] = build(os.path.join(args.dir, name), name, include, "sm_90a")
    libs["mla128 NVRTC"] = build_nvrtc(os.path.join(args.dir, "mla128"), "mla128", include)
    for extra in args.extra or []:
        label, sub = extra.split("=")
        libs["mla128 " + label] = build(os.path.join(args.dir, sub), "mla128", include, "sm_90a")
    for label, (_, _, spills) in libs.items():
        print(label, spills)
    peer = flashmla_peer(args.flashmla) if args.flashmla else None

    def prepared(fn, err, q, qr, c, kr, lengths, label=""):
        caches = to_pages((c, kr), lengths, PAGE) if label.endswith("paged") else (c, kr)
        return launcher_call(fn, err, (q, qr, *caches, lengths), q)

    rows, ok_all = [], True
    cases = {128: [(1, 1, 37, [37]), (3, 1, 1000, [1000, 1, 517]), (2, 2, 4099, [4099, 2000]),
                   (4, 1, 8192, [8192, 4095, 31, 0]), (1, 1, 70000, [70000]), (64, 1, 333, None)],
             16: [(2, 1, 100, [100, 64]), (3, 5, 2049, [2049, 5, 1300])]}
    gen = torch.Generator(device="cuda").manual_seed(0)
    for label, (fn, err, _) in libs.items():
        heads = 16 if label == "mla16" else 128
        for B, T, S, lens in cases[heads]:
            q = torch.randn(B, heads, T, DC, device="cuda", generator=gen).bfloat16()
            qr = torch.randn(B, heads, T, DR, device="cuda", generator=gen).bfloat16()
            c = torch.randn(B, 1, S, DC, device="cuda", generator=gen).bfloat16()
            kr = torch.randn(B, 1, S, DR, device="cuda", generator=gen).bfloat16()
            lens = lens or torch.randint(1, S + 1, (B,), generator=gen, device="cuda").tolist()
            lengths = torch.tensor(lens, device="cuda", dtype=torch.int32)
            out, lse = prepared(fn, err, q, qr, c, kr, lengths, label)()
            ref, ref_lse = reference(q, qr, c, kr, lengths, torch.float64)
            plain, _ = reference(q, qr, c, kr, lengths, torch.bfloat16)
            shown = lens if len(lens) <= 4 else f"{len(lens)} random in [1, {S}]"
            ok, row = check_row(label, f"B={B} T={T} S={S} lengths={shown}", out, lse, ref, ref_lse, plain)
            ok_all &= ok
            rows.append(row)
    if peer:  # the peer's own numerics, on the same kind of inputs
        for B, T, S, lens in [(4, 1, 1000, [1000, 1, 517, 64]), (2, 2, 4099, [4099, 2000])]:
            q, qr = (torch.randn(B, 128, T, d, device="cuda", generator=gen).bfloat16() for d in (DC, DR))
            c, kr = (torch.randn(B, 1, S, d, device="cuda", generator=gen).bfloat16() for d in (DC, DR))
            lengths = torch.tensor(lens, device="cuda", dtype=torch.int32)
            out, lse = peer(q, qr, c, kr, lengths)()
            ref, ref_lse = reference(q, qr, c, kr, lengths, torch.float64)
            plain, _ = reference(q, qr, c, kr, lengths, torch.bfloat16)
            ok, row = check_row("FlashMLA (peer)", f"B={B} T={T} S={S} lengths={lens}", out, lse, ref, ref_lse, plain)
            ok_all &= ok
            rows.append(row)

    perf = []
    heads = 128
    for B in (64, 128):
        for S in (4096, 8192):
            q = torch.randn(B, heads, 1, DC, device="cuda").bfloat16()
            qr = torch.randn(B, heads, 1, DR, device="cuda").bfloat16()
            c = torch.randn(B, 1, S, DC, device="cuda").bfloat16()
            kr = torch.randn(B, 1, S, DR, device="cuda").bfloat16()
            lengths = torch.full((B,), S, device="cuda", dtype=torch.int32)
            cache = (c.numel() + kr.numel()) * 2
            src = torch.empty(cache // 2, device="cuda", dtype=torch.bfloat16)
            dst = torch.empty_like(src)
            t_plain = back_to_back(lambda: reference(q, qr, c, kr, lengths, torch.bfloat16))
            timed = {label: prepared(fn, err, q, qr, c, kr, lengths, label)
                     for label, (fn, err, _) in libs.items() if label != "mla16"}
            if peer:
                timed["FlashMLA"] = peer(q, qr, c, kr, lengths)
            times = interleaved({"copy": lambda: dst.copy_(src), **timed})
            t_copy = times["copy"]
            copy_bw = 2 * cache / (t_copy * 1e-3)  # read + write
            flops = 2 * B * heads * S * (DC + DR + DC)
            line = [f"| {B} | {S} | {cache / 1e6:.0f} MB | {t_copy * 1e3:.1f} us ({copy_bw / 1e9:.0f} GB/s)"]
            for label in timed:
                t = times[label]
                bw = cache / (t * 1e-3)
                line.append(f"{label}: {t * 1e3:.1f} us, {bw / 1e9:.0f} GB/s = **{bw / copy_bw:.2f} x copy**, "
                            f"{flops / (t * 1e-3) / 1e12:.0f} TFLOP/s, {t_plain / t:.1f} x plain")
            perf.append(" | ".join(line) + f" | {t_plain * 1e3:.1f} us |")

    report("MLA absorbed decode over the latent cache: attention-opt --emit=cuda latent kernel",
           "`python3 bench/gpu/mla_cuda.py emit DIR` here, then on the GPU `python3 mla_cuda.py run DIR --include INCLUDE --out gpu-mla.md`.",
           f"128 query heads, latent {DC} + RoPE {DR}, one latent head, bf16, T = 1, every cache full. Effective bandwidth = latent + RoPE cache bytes / time; the copy moves the same bytes device to device (its bandwidth counts read + write), its runs taking turns with the kernels' so that clock drift weighs on all alike; 'plain' is PyTorch einsum + softmax + einsum in bf16. TFLOP/s counts 2 (576 + 512) FLOPs per head and key.",
           "| B | S | cache | copy | ours | plain |", perf, rows, ok_all, args.out)


def profile(args):
    global torch
    import torch
    include = args.include or os.path.join(ROOT, "include")
    fn, err, _ = build(os.path.join(args.dir, "mla128"), "mla128", include, "sm_90a")
    B, S = args.B, args.S
    q = torch.randn(B, 128, 1, DC, device="cuda").bfloat16()
    qr = torch.randn(B, 128, 1, DR, device="cuda").bfloat16()
    c = torch.randn(B, 1, S, DC, device="cuda").bfloat16()
    kr = torch.randn(B, 1, S, DR, device="cuda").bfloat16()
    lengths = torch.full((B,), S, device="cuda", dtype=torch.int32)
    call = launcher_call(fn, err, (q, qr, c, kr, lengths), q)
    for _ in range(2):
        call()
    torch.cuda.synchronize()


if __name__ == "__main__":
    emit_run_profile_main(emit, run, profile, lambda r: (r.add_argument("--extra", action="append"),
                                                                r.add_argument("--flashmla")))
