#!/usr/bin/env python3
"""Softmax decode over a paged KV cache through attention-opt --emit=cuda, checked and timed.

  emit DIR  (here) writes the paged decode program (GQA 32/8, D = 128, bf16, pages
            of 16 slots read through an i32 page table, per-sequence lengths,
            causal) and the same program over a contiguous cache (decode_cuda.py's)
            to DIR, and compiles them with `attention-opt --emit=cuda`.
  run DIR   (on the GPU) builds them with nvcc (the paged one for sm_90a and sm_80,
            the sm_80 build running on the H100 as PTX), checks both against an
            f64 PyTorch reference over the gathered caches on fresh inputs (pages
            shuffled through a pool, table entries past a sequence's pages out of
            the pool, T = 1 and 3, odd and mixed lengths, an empty cache, one split
            and many), then times B = 1 and 32 at S = 32k against the contiguous
            kernel on the same data and a device-to-device copy of the cache bytes,
            their runs taking turns, and writes a table.

Usage: bench/gpu/paged_cuda.py emit DIR [--compiler build/bin/attention-opt]
       bench/gpu/paged_cuda.py run DIR [--include DIR] [--out FILE.md]
"""
import ctypes
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from decode_cuda import D, HKV, HQ, PROGRAM as CONTIGUOUS, reference  # noqa: E402
from softmax_cuda import ROOT, build, check_row, describe, emit_or_run, interleaved, report, to_pages  # noqa: E402

P = 16
PAGES, CACHE = f"tensor<?x{P}x{HKV}x{D}xbf16>", f"tensor<?x{HKV}x?x{D}xbf16>"
Q, SCORES = f"tensor<?x{HQ}x?x{D}xbf16>", f"tensor<?x{HQ}x?x?xbf16>"
PROGRAM = f"""func.func @paged(%q: {Q} {{attn.dims = "B,Hq,T,D"}},
                  %k_pages: {PAGES} {{attn.dims = "N,P,Hkv,D"}},
                  %v_pages: {PAGES} {{attn.dims = "N,P,Hkv,D"}},
                  %table: tensor<?x?xi32> {{attn.dims = "B,M"}},
                  %lengths: tensor<?xi64> {{attn.dims = "B"}}) -> {Q} {{
  %k = attn.paged_cache %k_pages, %table : {PAGES}, tensor<?x?xi32> -> {CACHE}
  %v = attn.paged_cache %v_pages, %table : {PAGES}, tensor<?x?xi32> -> {CACHE}
  %s = attn.score %q, %k : ({Q}, {CACHE}) -> {SCORES}
  %m = attn.mask %s, causal lengths %lengths : {SCORES}, tensor<?xi64>
  %p = attn.softmax %m : {SCORES}
  %o = attn.aggregate %p, %v : {SCORES}, {CACHE} -> {Q}
  return %o : {Q}
}}
"""


BUILDS = {"paged": ("paged", PROGRAM, "sm_90a"), "paged_sm80": ("paged", PROGRAM, "sm_80"),
          "decode": ("decode", CONTIGUOUS, "sm_90a")}  # directory: function, program, arch


def emit(args):
    for sub, (name, program, arch) in BUILDS.items():
        out = os.path.join(args.dir, sub)
        os.makedirs(out, exist_ok=True)
        path = os.path.join(out, name + ".mlir")
        with open(path, "w") as f:
            f.write(program)
        subprocess.run([args.compiler, path, "--emit=cuda", "--cuda-arch=" + arch, "-o", out], check=True)
    print("wrote", args.dir)


def paged_inputs(B, T, S, lens, gen):
    """Queries, caches [B, HKV, S, D], the same caches as shuffled pools of
    pages with their table (to_pages), and the lengths."""
    import torch
    q = torch.randn(B, HQ, T, D, device="cuda", generator=gen).bfloat16()
    k = torch.randn(B, HKV, S, D, device="cuda", generator=gen).bfloat16()
    v = torch.randn(B, HKV, S, D, device="cuda", generator=gen).bfloat16()
    lengths = torch.tensor(lens, device="cuda", dtype=torch.int64)
    k_pages, v_pages, table = to_pages((k, v), lengths, P)
    return q, k_pages, v_pages, table, lengths, k, v


def call(fn, err, tensors, out, lse):
    rc = fn(*[ctypes.byref(describe(t)) for t in tensors], ctypes.byref(describe(out)),
            ctypes.c_void_p(lse.data_ptr()), None)
    if rc:
        raise RuntimeError(err().decode())


def run(args):
    import torch
    include = args.include or os.path.join(ROOT, "include")
    libs = {sub: build(os.path.join(args.dir, sub), name, include, arch)[:2]
            for sub, (name, _, arch) in BUILDS.items()}
    (paged_fn, paged_err), (plain_fn, plain_err) = libs["paged"], libs["decode"]

    rows, ok_all = [], True
    cases = [(1, 1, 37, [37]), (3, 1, 1000, [1000, 1, 517]), (2, 3, 4099, [4099, 2000]),
             (4, 1, 32768, [32768, 12345, 31, 0]), (1, 3, 70000, [70000])]
    gen = torch.Generator(device="cuda").manual_seed(0)
    for label in ("paged", "paged_sm80"):
        fn, err = libs[label]
        for B, T, S, lens in cases:
            q, kp, vp, table, lengths, k, v = paged_inputs(B, T, S, lens, gen)
            out = torch.empty_like(q)
            lse = torch.empty(q.shape[:3], device="cuda", dtype=torch.float32)
            call(fn, err, (q, kp, vp, table, lengths), out, lse)
            ref, ref_lse = reference(q, k, v, lengths, torch.float64)
            plain, _ = reference(q, k, v, lengths, torch.bfloat16)
            ok, row = check_row(label, f"B={B} T={T} S={S} lengths={lens}", out, lse, ref, ref_lse, plain)
            ok_all &= ok
            rows.append(row)

    perf = []
    S = 32768
    for B in (1, 32):
        q, kp, vp, table, lengths, k, v = paged_inputs(B, 1, S, [S] * B, gen)
        out, lse = torch.empty_like(q), torch.empty(q.shape[:3], device="cuda", dtype=torch.float32)
        cache = 2 * k.numel() * 2
        src = torch.empty(cache // 2, device="cuda", dtype=torch.bfloat16)
        dst = torch.empty_like(src)
        t = interleaved({"copy": lambda: dst.copy_(src),
                         "paged": lambda: call(paged_fn, paged_err, (q, kp, vp, table, lengths), out, lse),
                         "contiguous": lambda: call(plain_fn, plain_err, (q, k, v, lengths), out, lse)})
        copy_bw = 2 * cache / (t["copy"] * 1e-3)  # read + write
        line = [f"| {B} | {S} | {cache / 1e6:.0f} MB | copy {t['copy'] * 1e3:.1f} us ({copy_bw / 1e9:.0f} GB/s)"]
        for name in ("paged", "contiguous"):
            bw = cache / (t[name] * 1e-3)
            line.append(f"{t[name] * 1e3:.1f} us, {bw / 1e9:.0f} GB/s = {bw / copy_bw:.2f} x copy")
        perf.append(" | ".join(line) + f" | {t['contiguous'] / t['paged']:.2f} |")

    report("Softmax decode over a paged KV cache: attention-opt --emit=cuda split-key decode kernel",
           "`python3 bench/gpu/paged_cuda.py emit DIR` here, then on the GPU `python3 paged_cuda.py run DIR --include INCLUDE --out gpu-paged.md`.",
           f"GQA {HQ}/{HKV} heads, D = {D}, bf16, T = 1, pages of {P} slots shuffled through a pool, every cache full. Effective bandwidth = K and V cache bytes / time; the copy moves the same bytes device to device (its bandwidth counts read + write); 'contiguous' is the same kernel over [B, Hkv, S, D] caches holding the same data. Runs of the three take turns.",
           "| B | S | cache | copy | paged | contiguous | paged speed / contiguous |",
           perf, rows, ok_all, args.out, checks_label="kernel")


if __name__ == "__main__":
    emit_or_run(emit, run)
