#!/usr/bin/python3
"""Self-test of reference.py: each reference against a second, differently
written formulation of the same math (parallel vs recurrent, absorbed vs
un-absorbed, vectorized -inf masks vs per-row loops). Run directly; prints
one line per check and exits 1 on a mismatch."""

import os
import sys

import numpy as np

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as R  # noqa: E402

rng = np.random.default_rng(1)
failures = 0


def u(*shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


def close(name, a, b, tol=1e-12):
    global failures
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    err = np.abs(a - b).max() / max(np.abs(b).max(), 1e-300)
    ok = a.shape == b.shape and err <= tol
    failures += not ok
    print("%s %s: rel.err %.3g" % ("ok  " if ok else "FAIL", name, err))


def softmax_inf(s):
    """softmax along the last axis with -inf masks; all -inf rows -> 0."""
    m = np.max(s, axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    e = np.exp(s - m)
    z = e.sum(-1, keepdims=True)
    return np.where(z > 0, e / np.where(z > 0, z, 1.0), 0.0)


def attn_inf(s, v, hq):
    v = R.expand_heads(np.float64(v), hq)
    return np.einsum("bhts,bhsd->bhtd", softmax_inf(s), v)


# Softmax causal / GQA, with T > S (fully masked rows).
for (B, Hq, Hkv, T, S) in [(2, 8, 2, 5, 9), (1, 6, 3, 12, 7), (2, 4, 4, 1, 1)]:
    q, k, v = u(B, Hq, T, 16), u(B, Hkv, S, 16), u(B, Hkv, S, 24)
    out, empty = R.causal_softmax(q, k, v)
    s = np.einsum("bhtd,bhsd->bhts", np.float64(q),
                  np.float64(np.repeat(k, Hq // Hkv, 1))) / 4.0
    t = np.arange(T)[:, None] + S - T
    s = np.where(np.arange(S)[None, :] <= t, s, -np.inf)
    close("causal B%d Hq%d Hkv%d T%d S%d" % (B, Hq, Hkv, T, S), out, attn_inf(s, v, Hq))
    assert empty.sum() == B * Hq * max(0, T - S)

# Lengths.
B, Hq, Hkv, T, S = 3, 4, 2, 4, 10
q, k, v = u(B, Hq, T, 8), u(B, Hkv, S, 8), u(B, Hkv, S, 8)
lengths = np.array([1, 10, 6], np.int64)
out, empty = R.kv_cache_decode(q, k, v, lengths)
s = np.einsum("bhtd,bhsd->bhts", np.float64(q), np.float64(np.repeat(k, 2, 1))) / np.sqrt(8)
for b in range(B):
    for t in range(T):
        for j in range(S):
            if not (j < lengths[b] and j <= lengths[b] - T + t):
                s[b, :, t, j] = -np.inf
close("kv_cache_decode", out, attn_inf(s, v, Hq))
assert empty[0, :, :3].all() and not empty[0, :, 3].any() and not empty[1:].any()

# Linear attention: recurrent vs quadratic (with S != T too).
for T, S in [(7, 7), (5, 9), (9, 5)]:
    q, k, v = u(2, 3, T, 8), u(2, 3, S, 8), u(2, 3, S, 5)
    out, empty = R.linear(q, k, v)
    fq, fk = R.elu_plus_one(np.float64(q)), R.elu_plus_one(np.float64(k))
    s = np.einsum("bhtd,bhsd->bhts", fq, fk)
    t = np.arange(T)[:, None] + S - T
    s = np.where(np.arange(S)[None, :] <= t, s, 0.0)
    close("linear T%d S%d" % (T, S), out, np.einsum("bhts,bhsd->bhtd", s, np.float64(v)))

# Decays: recurrent vs parallel.
T = 11
q, k, v = u(2, 8, T, 8), u(2, 8, T, 8), u(2, 8, T, 6)
out, _ = R.retnet(q, k, v)
gam = np.exp(R.retnet_log_gammas(8))
dec = np.array([[[g ** (t - s) if s <= t else 0.0 for s in range(T)] for t in range(T)]
                for g in gam])
s = np.einsum("bhtd,bhsd->bhts", np.float64(q), np.float64(k)) / np.sqrt(8) * dec[None]
close("retnet", out, np.einsum("bhts,bhsd->bhtd", s, np.float64(v)))

g = u(2, 8, T, lo=-0.7, hi=-0.001)
out, _ = R.mamba2(q, k, v, g)
G = np.cumsum(np.float64(g), axis=2)
dec = np.exp(G[..., :, None] - G[..., None, :]) * np.tril(np.ones((T, T)))
s = np.einsum("bhtd,bhsd->bhts", np.float64(q), np.float64(k)) * dec
close("mamba2", out, np.einsum("bhts,bhsd->bhtd", s, np.float64(v)))

g4 = u(2, 8, T, 8, lo=-0.7, hi=-0.001)
out, _ = R.gla(q, k, v, g4)
G = np.cumsum(np.float64(g4), axis=2)
s = np.zeros((2, 8, T, T))
for t in range(T):
    for j in range(t + 1):
        s[:, :, t, j] = np.sum(np.float64(q[:, :, t]) * np.float64(k[:, :, j]) *
                               np.exp(G[:, :, t] - G[:, :, j]), axis=-1) / np.sqrt(8)
close("gla", out, np.einsum("bhts,bhsd->bhtd", s, np.float64(v)))

# MLA: un-absorbed reference vs absorbed computation.
B, H, T, S = 2, 4, 3, 9
qn, qr, c, kr = u(B, H, T, 16), u(B, H, T, 8), u(B, 1, S, 32), u(B, 1, S, 8)
wuk, wuv = u(H, 32, 16), u(H, 32, 12)
lengths = np.array([2, 9], np.int64)
out, empty = R.mla_decode(qn, qr, c, kr, wuk, wuv, lengths)
ql = np.einsum("bhtd,hcd->bhtc", np.float64(qn), np.float64(wuk))
qrr = np.zeros((B, H, T, 8))
for b in range(B):
    for t in range(T):
        pos = lengths[b] - T + t
        for i in range(4):
            a = pos * 10000.0 ** (-2.0 * i / 8)
            x1, x2 = np.float64(qr[b, :, t, i]), np.float64(qr[b, :, t, i + 4])
            qrr[b, :, t, i] = x1 * np.cos(a) - x2 * np.sin(a)
            qrr[b, :, t, i + 4] = x2 * np.cos(a) + x1 * np.sin(a)
s = (np.einsum("bhtc,bsc->bhts", ql, np.float64(c[:, 0])) +
     np.einsum("bhtd,bsd->bhts", qrr, np.float64(kr[:, 0]))) / np.sqrt(24)
for b in range(B):
    for t in range(T):
        for j in range(S):
            if not (j < lengths[b] and j <= lengths[b] - T + t):
                s[b, :, t, j] = -np.inf
ol = np.einsum("bhts,bsc->bhtc", softmax_inf(s), np.float64(c[:, 0]))
close("mla_decode", out, np.einsum("bhtc,hcd->bhtd", ol, np.float64(wuv)))
assert empty[0, :, 0].all() and empty.sum() == H

# MLA prefill: causal attention over the concatenated [k_nope, rope(k_rope)] keys.
B, H, T = 2, 4, 7
qn, qr, c, kr = u(B, H, T, 16), u(B, H, T, 8), u(B, 1, T, 32), u(B, 1, T, 8)
wuk, wuv = u(H, 32, 16), u(H, 32, 12)
pos = np.arange(T)
rot = lambda x: np.stack([np.stack([R.rope_rotate_half(np.float64(x[b, h]), pos, 10000.0)
                                    for h in range(x.shape[1])]) for b in range(B)])
qcat = np.concatenate([np.float64(qn), rot(qr)], axis=3)
kcat = np.concatenate([np.einsum("bsc,hcd->bhsd", np.float64(c[:, 0]), np.float64(wuk)),
                       np.repeat(rot(kr), H, axis=1)], axis=3)
vals = np.einsum("bsc,hcd->bhsd", np.float64(c[:, 0]), np.float64(wuv))
close("mla_prefill", R.mla_prefill(qn, qr, c, kr, wuk, wuv)[0],
      R.causal_softmax(qcat, kcat, vals)[0])

# NSA selection on hand-made probabilities.
pc = np.zeros((2, 7))        # Hq = 2, one group; compressed l = 8, d = 4
pc[0, 5] = 0.5; pc[1, 1] = 0.3; pc[0, 3] = 0.2
# selection blocks of 8: block j overlaps compressed i in {2j-1, 2j, 2j+1}
# scores: j=0: i0,i1 -> .3; j=1: i1,i2,i3 -> .5; j=2: i3,i4,i5 -> .7; j=3: i5,i6 -> .5
idx = R.nsa_select(pc, 40, 1, 8, 4, 8, 3, 0, 0)
assert list(idx[0]) == [1, 2, 3], idx          # 2 (.7), then 1 and 3 (.5 each)
idx = R.nsa_select(pc, 40, 1, 8, 4, 8, 2, 0, 0)
assert list(idx[0]) == [1, 2], idx             # tie between 1 and 3 goes to 1
idx = R.nsa_select(pc, 40, 1, 8, 4, 8, 4, 1, 1)
assert list(idx[0]) == [0, 1, 2, 5], idx       # forced 0 and own block 5, then 2, 1
idx = R.nsa_select(pc, 3, 1, 8, 4, 8, 4, 1, 2)
assert list(idx[0]) == [0, -1, -1, -1], idx
print("ok   nsa_select")

# NSA MLP pooling against per-element loops: act_u = sum_j,e (x_je + pe_je)
# W1[j*D + e, u], out_e' = sum_u relu(act_u) W2[u, e'].
B, H, S, D, l, d, hidden = 2, 3, 11, 4, 4, 2, 5
x, pe, w1, w2 = u(B, H, S, D), u(l, D), u(l * D, hidden), u(hidden, D)
loops = np.zeros((B, H, (S - l) // d + 1, D))
for b in range(B):
    for h in range(H):
        for i in range(loops.shape[2]):
            act = np.zeros(hidden)
            for j in range(l):
                for e in range(D):
                    act += (np.float64(x[b, h, i * d + j, e]) + pe[j, e]) * np.float64(w1[j * D + e])
            loops[b, h, i] = np.maximum(act, 0.0) @ np.float64(w2)
close("nsa_compress mlp", R.nsa_compress(x, l, d, (pe, w1, w2)), loops)
assert R.nsa_compress(x[:, :, :3], l, d, (pe, w1, w2)).shape == (B, H, 0, D)

# DSA with top >= S equals causal attention.
q, k, v = u(2, 4, 6, 8), u(2, 1, 6, 8), u(2, 1, 6, 8)
iq, ik, iw = u(2, 2, 6, 4), u(2, 1, 6, 4), u(2, 2, 6)
close("dsa top>=S", R.dsa(q, k, v, iq, ik, iw, top=16)[0], R.causal_softmax(q, k, v)[0])

# DSA with lengths: sequence b as a cache cut to its first lengths[b] keys.
lengths = np.array([6, 2], np.int64)
out = R.dsa(q, k, v, iq, ik, iw, lengths, top=3)[0]
cut = np.concatenate([R.dsa(q[b:b + 1], k[b:b + 1, :, :n], v[b:b + 1, :, :n], iq[b:b + 1],
                            ik[b:b + 1, :, :n], iw[b:b + 1], top=3)[0]
                      for b, n in enumerate(lengths)])
close("dsa lengths", out, cut)

sys.exit(1 if failures else 0)
