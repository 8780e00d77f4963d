"""Runs examples/kv_cache_decode.mlir over caches whose slots past each
sequence's length hold NaN and infinities (stale or never written), with a
length of 0 (a fully masked row): masked keys must not contribute, so the
interpreter and the CPU backend both give the numpy reference over the filled
slots, and rows that see nothing are 0, never NaN.

usage: nan_cache.py ATTENTION_RUN EXAMPLES_DIR WORK_DIR
Prints one line per backend; exits 1 on a mismatch.
"""
import subprocess
import sys

import numpy as np

attention_run, examples, work = sys.argv[1:4]
B, HQ, HKV, T, S, D = 3, 8, 2, 2, 40, 128
rng = np.random.default_rng(11)
q = rng.uniform(-1, 1, (B, HQ, T, D)).astype(np.float32)
k = rng.uniform(-1, 1, (B, HKV, S, D)).astype(np.float32)
v = rng.uniform(-1, 1, (B, HKV, S, D)).astype(np.float32)
lengths = np.array([0, 17, 40], dtype=np.int64)
for b, length in enumerate(lengths):
    k[b, :, length:] = np.nan
    v[b, :, length:] = np.where(rng.uniform(size=v[b, :, length:].shape) < 0.5,
                                np.nan, np.inf)

# Query t of sequence b sits at position L - T + t and sees keys s <= it.
expected = np.zeros((B, HQ, T, D))
for b, length in enumerate(lengths):
    for h in range(HQ):
        kv = h // (HQ // HKV)
        for t in range(T):
            visible = np.arange(S) <= length - T + t
            visible &= np.arange(S) < length
            if not visible.any():
                continue
            s = (q[b, h, t].astype(np.float64) @ k[b, kv, visible].T.astype(np.float64)) / np.sqrt(D)
            p = np.exp(s - s.max())
            expected[b, h, t] = (p / p.sum()) @ v[b, kv, visible].astype(np.float64)

paths = []
for name, x in [("q", q), ("k", k), ("v", v), ("lengths", lengths)]:
    path = f"{work}/{name}.npy"
    np.save(path, x)
    paths.append(path)
failed = False
for backend in ["interp", "cpu"]:
    subprocess.run([attention_run, f"{examples}/kv_cache_decode.mlir", "--inputs", *paths,
                    "--backend", backend, "--output-dir", f"{work}/{backend}"],
                   check=True, stdout=subprocess.DEVNULL)
    out = np.load(f"{work}/{backend}/result0.npy").astype(np.float64)
    error = np.abs(out - expected).max() / np.abs(expected).max()
    ok = np.isfinite(out).all() and error < 1e-5 and not out[0].any()
    failed |= not ok
    print(f"{backend}: max relative error {error:.2e} {'PASS' if ok else 'FAIL'}")
sys.exit(1 if failed else 0)
