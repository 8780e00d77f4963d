#!/usr/bin/env python3
"""Softmax decode over a KV cache through attention-opt --emit=cuda, checked and timed.

  emit DIR  (here) writes the decode program (GQA 32/8, D = 128, bf16, per-sequence
            lengths, causal) to DIR and compiles it with `attention-opt --emit=cuda`
            for sm_90a and sm_80 (the launcher picks the split-key decode kernels
            when a KV head's group of queries fits 16 rows).
  run DIR   (on the GPU) builds both with nvcc (and the sm_90a source with NVRTC), checks them against an f64 PyTorch
            reference on fresh inputs (T = 1 and 3, odd and mixed cache lengths,
            an empty cache, one split and many), then times the issue's shapes
            against a device-to-device copy of the same bytes and a plain PyTorch
            implementation in the same run, and writes a table.

Usage: bench/gpu/decode_cuda.py emit DIR [--compiler build/bin/attention-opt]
       bench/gpu/decode_cuda.py run DIR [--include DIR] [--out FILE.md]
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from softmax_cuda import ROOT, back_to_back, build, build_nvrtc, check_row, emit_or_run, launcher_call, report  # noqa: E402

HQ, HKV, D = 32, 8, 128
PROGRAM = f"""func.func @decode(%q: tensor<?x{HQ}x?x{D}xbf16> {{attn.dims = "B,Hq,T,D"}},
                   %k: tensor<?x{HKV}x?x{D}xbf16> {{attn.dims = "B,Hkv,S,D"}},
                   %v: tensor<?x{HKV}x?x{D}xbf16> {{attn.dims = "B,Hkv,S,D"}},
                   %lengths: tensor<?xi64> {{attn.dims = "B"}}) -> tensor<?x{HQ}x?x{D}xbf16> {{
  %s = attn.score %q, %k : (tensor<?x{HQ}x?x{D}xbf16>, tensor<?x{HKV}x?x{D}xbf16>) -> tensor<?x{HQ}x?x?xbf16>
  %m = attn.mask %s, causal lengths %lengths : tensor<?x{HQ}x?x?xbf16>, tensor<?xi64>
  %p = attn.softmax %m : tensor<?x{HQ}x?x?xbf16>
  %o = attn.aggregate %p, %v : tensor<?x{HQ}x?x?xbf16>, tensor<?x{HKV}x?x{D}xbf16> -> tensor<?x{HQ}x?x{D}xbf16>
  return %o : tensor<?x{HQ}x?x{D}xbf16>
}}
"""


def reference(q, k, v, lengths, dtype):
    """Causal GQA attention over [B, HKV, S, D] caches, written independently of the kernels."""
    import torch
    B, _, T, _ = q.shape
    S = k.shape[2]
    kk = k.to(dtype).repeat_interleave(HQ // HKV, 1)
    vv = v.to(dtype).repeat_interleave(HQ // HKV, 1)
    s = torch.einsum("bhtd,bhsd->bhts", q.to(dtype), kk) / D ** 0.5
    pos = lengths.view(B, 1, 1, 1) - T + torch.arange(T, device="cuda").view(1, 1, T, 1)
    key = torch.arange(S, device="cuda").view(1, 1, 1, S)
    visible = (key <= pos) & (key < lengths.view(B, 1, 1, 1))
    s = s.masked_fill(~visible, float("-inf"))
    lse = torch.logsumexp(s, -1)
    p = torch.softmax(s, -1).nan_to_num(0.0)
    return torch.einsum("bhts,bhsd->bhtd", p, vv), lse


def emit(args):
    os.makedirs(args.dir, exist_ok=True)
    path = os.path.join(args.dir, "decode.mlir")
    with open(path, "w") as f:
        f.write(PROGRAM)
    for arch in ("sm_90a", "sm_80"):
        out = os.path.join(args.dir, arch)
        subprocess.run([args.compiler, path, "--emit=cuda", "--cuda-arch=" + arch, "-o", out],
                       check=True)
    print("wrote", args.dir)


def run(args):
    import torch
    include = args.include or os.path.join(ROOT, "include")
    libs = {arch: build(os.path.join(args.dir, arch), "decode", include, arch)
            for arch in ("sm_90a", "sm_80")}
    # The sm_90a source built by a host compiler, its kernels compiled by NVRTC.
    libs["NVRTC"] = build_nvrtc(os.path.join(args.dir, "sm_90a"), "decode", include)

    rows, ok_all = [], True
    cases = [(1, 1, 37, [37]), (3, 1, 1000, [1000, 1, 517]), (2, 3, 4099, [4099, 2000]),
             (4, 1, 32768, [32768, 12345, 31, 0]), (1, 3, 70000, [70000])]
    gen = torch.Generator(device="cuda").manual_seed(0)
    for arch, (fn, err, spills) in libs.items():
        for B, T, S, lens in cases:
            q = torch.randn(B, HQ, T, D, device="cuda", generator=gen).bfloat16()
            k = torch.randn(B, HKV, S, D, device="cuda", generator=gen).bfloat16()
            v = torch.randn(B, HKV, S, D, device="cuda", generator=gen).bfloat16()
            lengths = torch.tensor(lens, device="cuda", dtype=torch.int64)
            out, lse = launcher_call(fn, err, (q, k, v, lengths), q)()
            ref, ref_lse = reference(q, k, v, lengths, torch.float64)
            plain, _ = reference(q, k, v, lengths, torch.bfloat16)
            ok, row = check_row(arch, f"B={B} T={T} S={S} lengths={lens}", out, lse, ref, ref_lse, plain)
            ok_all &= ok
            rows.append(row)

    perf = []
    S = 32768
    for B in (1, 32):
        q = torch.randn(B, HQ, 1, D, device="cuda").bfloat16()
        k = torch.randn(B, HKV, S, D, device="cuda").bfloat16()
        v = torch.randn(B, HKV, S, D, device="cuda").bfloat16()
        lengths = torch.full((B,), S, device="cuda", dtype=torch.int64)
        cache = 2 * k.numel() * 2
        src = torch.empty(cache // 2, device="cuda", dtype=torch.bfloat16)
        dst = torch.empty_like(src)
        t_copy = back_to_back(lambda: dst.copy_(src))
        copy_bw = 2 * cache / (t_copy * 1e-3)  # read + write
        t_plain = back_to_back(lambda: reference(q, k, v, lengths, torch.bfloat16))
        line = [f"| {B} | {S} | {cache / 1e6:.0f} MB | copy {t_copy * 1e3:.1f} us ({copy_bw / 1e9:.0f} GB/s)"]
        for arch, (fn, err, _) in libs.items():
            t = back_to_back(launcher_call(fn, err, (q, k, v, lengths), q))
            bw = cache / (t * 1e-3)
            line.append(f"{arch} {t * 1e3:.1f} us, {bw / 1e9:.0f} GB/s = {bw / copy_bw:.2f} x copy, {t_plain / t:.1f} x plain")
        perf.append(" | ".join(line) + f" | plain {t_plain * 1e3:.1f} us |")

    report("Softmax KV-cache decode: attention-opt --emit=cuda split-key decode kernel",
           "`python3 bench/gpu/decode_cuda.py emit DIR` here, then on the GPU `python3 decode_cuda.py run DIR --include INCLUDE --out gpu-decode.md`.",
           f"GQA {HQ}/{HKV} heads, D = {D}, bf16, T = 1, every cache full. Effective bandwidth = K and V cache bytes / time; the copy moves the same bytes device to device (its bandwidth counts read + write); 'plain' is PyTorch einsum + softmax + einsum in bf16.",
           "| B | S | cache | copy | ours sm_90a | ours sm_80 (PTX on the H100) | ours NVRTC (sm_90a source) | plain |",
           perf, rows, ok_all, args.out, checks_label="arch")


if __name__ == "__main__":
    emit_or_run(emit, run)
