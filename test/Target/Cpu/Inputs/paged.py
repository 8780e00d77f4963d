"""Runs examples/paged_decode.mlir on pages scattered through a pool and
compares it with the numpy reference of kv_cache_decode over the same caches
gathered densely (test/reference/reference.py): an independent check of
attn.paged_cache, in the interpreter and the CPU backend.

usage: paged.py ATTENTION_RUN EXAMPLES_DIR REFERENCE_DIR WORK_DIR BACKEND
Prints one line per case; exits 1 on a mismatch.
"""
import os
import subprocess
import sys

import numpy as np

attention_run, examples, reference_dir, work, backend = sys.argv[1:6]
sys.dont_write_bytecode = True
sys.path.insert(0, reference_dir)
import reference  # noqa: E402

P, HKV, HQ, D = 16, 2, 8, 128
rng = np.random.default_rng(7)
failed = False
# (B, T, pages in the pool, page slots per sequence, lengths)
cases = [(1, 1, 4, 1, [1]), (3, 1, 40, 7, [100, 17, 1]), (2, 3, 9, 4, [64, 50]),
         (2, 2, 12, 5, [33, 80])]
for B, T, N, M, lengths in cases:
    q = rng.uniform(-1, 1, (B, HQ, T, D)).astype(np.float32)
    kp = rng.uniform(-1, 1, (N, P, HKV, D)).astype(np.float32)
    vp = rng.uniform(-1, 1, (N, P, HKV, D)).astype(np.float32)
    # Each sequence's pages scattered through the pool; slots past its
    # length name no page (-1) or a page past the pool (N), which read zeros.
    table = np.full((B, M), -1, dtype=np.int32)
    order = rng.permutation(N)
    for b in range(B):
        used = -(-lengths[b] // P)
        table[b, :used] = order[:used] if B * M > N else order[b * M:b * M + used]
        table[b, used:] = rng.choice([-1, N], M - used)
    lens = np.array(lengths, dtype=np.int64)
    paths = []
    for name, x in [("q", q), ("kp", kp), ("vp", vp), ("table", table), ("lengths", lens)]:
        paths.append(os.path.join(work, f"{name}.npy"))
        np.save(paths[-1], x)
    out_dir = os.path.join(work, "out")
    subprocess.run([attention_run, os.path.join(examples, "paged_decode.mlir"), "--inputs", *paths,
                    "--backend", backend, "--output-dir", out_dir], check=True, stdout=subprocess.DEVNULL)
    out = np.load(os.path.join(out_dir, "result0.npy"))
    dense = lambda pages: np.where(  # noqa: E731
        ((table >= 0) & (table < N))[:, :, None, None, None],
        pages[np.clip(table, 0, N - 1)], 0).reshape(B, M * P, HKV, D).transpose(0, 2, 1, 3)
    ref, _ = reference.kv_cache_decode(q, dense(kp), dense(vp), lens)
    err = np.abs(out - ref).max() / max(np.abs(ref).max(), 1e-300)
    ok = err <= 1e-4 and np.isfinite(out).all()
    failed |= not ok
    print(f"{backend} B={B} T={T} N={N} M={M} lengths={lengths}: max relative error {err:.1e} {'PASS' if ok else 'FAIL'}")
sys.exit(1 if failed else 0)
