"""Independent float64 numpy references for the examples in examples/.

Each function takes the example's arguments (numpy arrays, in argument order)
and returns the output [B, Hq, T, Dv] in float64, together with a boolean
[B, Hq, T] array marking the query rows that see no key at all (their output
must be exactly 0), or None where the notion does not apply.

The math follows the published form of each variant (softmax attention as
softmax(q k^T / sqrt(d)) v with the row of a query that sees no key set to 0;
linear attention and its gated forms through their recurrent state form;
MLA un-absorbed; NSA and DSA by their selection rules written out per query),
with the conventions of the attn dialect: tensors are [B, H, T, D], query head
h reads kv head h // (Hq // Hkv), and query t sits at position L - T + t, L
the key length (S, or lengths[b]).

This file deliberately shares no code with the interpreter.
"""

import numpy as np


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

def f64(x):
    return np.asarray(x, dtype=np.float64)


def expand_heads(x, hq):
    """[B, Hkv, S, D] -> [B, hq, S, D]: query head h reads kv head h // (hq // Hkv)."""
    hkv = x.shape[1]
    assert hq % hkv == 0, "query heads %d not a multiple of kv heads %d" % (hq, hkv)
    return np.repeat(x, hq // hkv, axis=1)


def positions(T, L):
    """Query positions L - T + t for t in [0, T); L a scalar or [B] array."""
    L = np.asarray(L)
    if L.ndim == 0:
        return int(L) - T + np.arange(T)
    return L[:, None] - T + np.arange(T)[None, :]  # [B, T]


def causal_keep(B, H, T, S, lengths=None):
    """keep[b, h, t, s]: s < L and s <= L - T + t."""
    s = np.arange(S)
    if lengths is None:
        p = positions(T, S)                          # [T]
        keep = (s[None, :] <= p[:, None]) & (s[None, :] < S)
        return np.broadcast_to(keep, (B, H, T, S))
    L = np.asarray(lengths, dtype=np.int64)
    p = positions(T, L)                              # [B, T]
    keep = (s[None, None, :] <= p[:, :, None]) & (s[None, None, :] < L[:, None, None])
    return np.broadcast_to(keep[:, None, :, :], (B, H, T, S))


def masked_softmax_attention(scores, keep, v):
    """softmax over the kept keys of each row, then the weighted sum of v.

    scores [B, Hq, T, S] (float64), keep [B, Hq, T, S] bool, v [B, Hkv, S, Dv].
    A row with no kept key yields 0."""
    B, Hq, T, S = scores.shape
    v = expand_heads(f64(v), Hq)
    out = np.zeros((B, Hq, T, v.shape[3]))
    empty = ~keep.any(axis=3)
    for b in range(B):
        for h in range(Hq):
            for t in range(T):
                sel = np.nonzero(keep[b, h, t])[0]
                if sel.size == 0:
                    continue
                x = scores[b, h, t, sel]
                e = np.exp(x - x.max())
                p = e / e.sum()
                out[b, h, t] = p @ v[b, h, sel]
    return out, empty


def dot_scores(q, k, scale):
    """scale * q . k with GQA: [B, Hq, T, D] x [B, Hkv, S, D] -> [B, Hq, T, S]."""
    q = f64(q)
    k = expand_heads(f64(k), q.shape[1])
    return scale * np.einsum("bhtd,bhsd->bhts", q, k)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# --------------------------------------------------------------------------
# Softmax attention family
# --------------------------------------------------------------------------

def causal_softmax(q, k, v):
    """softmax_causal, gqa: softmax(q k^T / sqrt(Dk) + causal) v."""
    B, Hq, T, D = q.shape
    S = k.shape[2]
    s = dot_scores(q, k, 1.0 / np.sqrt(D))
    return masked_softmax_attention(s, causal_keep(B, Hq, T, S), v)


def bidirectional(q, k, v):
    B, Hq, T, D = q.shape
    S = k.shape[2]
    s = dot_scores(q, k, 1.0 / np.sqrt(D))
    return masked_softmax_attention(s, np.ones((B, Hq, T, S), bool), v)


def sliding_window(q, k, v, w=64):
    """key s seen by the query at p when p - w < s <= p."""
    B, Hq, T, D = q.shape
    S = k.shape[2]
    s = dot_scores(q, k, 1.0 / np.sqrt(D))
    p = positions(T, S)[:, None]
    j = np.arange(S)[None, :]
    keep = (j <= p) & (j > p - w)
    return masked_softmax_attention(s, np.broadcast_to(keep, (B, Hq, T, S)), v)


def softcap(q, k, v, cap=50.0):
    """Gemma-2 logit soft-capping: scores -> cap * tanh(scores / cap), causal."""
    B, Hq, T, D = q.shape
    S = k.shape[2]
    s = dot_scores(q, k, 1.0 / np.sqrt(D))
    s = cap * np.tanh(s / cap)
    return masked_softmax_attention(s, causal_keep(B, Hq, T, S), v)


def predicates(q, k, v):
    """Inputs/predicates.mlir's score_mod under MLIR's comparison semantics,
    full attention: 2 off the score where t - s read as an unsigned index
    exceeds 8 (s > t, or t - s > 8), then halved (ult against NaN holds, one
    against NaN does not, maximumf and minimumf return the NaN)."""
    B, H, T, D = q.shape
    S = k.shape[2]
    s = dot_scores(q, k, 1.0 / np.sqrt(D))
    d = np.arange(T)[:, None] - np.arange(S)[None, :]
    far = (d < 0) | (d > 8)
    s = np.where(far[None, None], s - 2.0, s) * 0.5
    return masked_softmax_attention(s, np.ones((B, H, T, S), bool), v)


def alibi(q, k, v):
    """ALiBi: scores + m_h * (s - p), m_h = 2^(-8 (h + 1) / H), causal.

    Written on the positions (p = S - T + t); the example writes the bias on
    the indices (s - t), which differs per row by a constant that softmax
    ignores."""
    B, H, T, D = q.shape
    S = k.shape[2]
    s = dot_scores(q, k, 1.0 / np.sqrt(D))
    slopes = 2.0 ** (-8.0 * (np.arange(H) + 1) / H)
    p = positions(T, S)
    dist = np.arange(S)[None, :] - p[:, None]          # [T, S]
    s = s + slopes[None, :, None, None] * dist[None, None, :, :]
    return masked_softmax_attention(s, causal_keep(B, H, T, S), v)


def causal_lse(q, k, v, lengths):
    """attn.attention's log-sum-exp: log sum_s exp(s_ts) over the kept keys
    of a causal mask with per-sequence lengths; -inf for a row with none."""
    B, Hq, T, D = q.shape
    S = k.shape[2]
    s = dot_scores(q, k, 1.0 / np.sqrt(D))
    keep = causal_keep(B, Hq, T, S, lengths)
    peak = np.where(keep, s, -np.inf).max(axis=3, keepdims=True)
    empty = ~keep.any(axis=3)
    safe = np.where(empty[..., None], 0.0, peak)
    total = np.where(keep, np.exp(s - safe), 0.0).sum(axis=3)
    with np.errstate(divide="ignore"):
        lse = np.where(empty, -np.inf, safe[..., 0] + np.log(total))
    return lse, None


def kv_cache_decode(q, k_cache, v_cache, lengths):
    B, Hq, T, D = q.shape
    S = k_cache.shape[2]
    lengths = np.asarray(lengths, dtype=np.int64)
    assert lengths.shape == (B,)
    s = dot_scores(q, k_cache, 1.0 / np.sqrt(D))
    return masked_softmax_attention(s, causal_keep(B, Hq, T, S, lengths), v_cache)


# --------------------------------------------------------------------------
# Linear attention and its gated forms, by the recurrent state form
# --------------------------------------------------------------------------

def elu_plus_one(x):
    return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))


def linear(q, k, v):
    """Causal linear attention, unnormalized, phi = elu + 1, scale 1:
    o_t = phi(q_t) S_p with S_p = sum_{s <= p} phi(k_s)^T v_s, p = S - T + t."""
    q, k, v = f64(q), f64(k), f64(v)
    B, Hq, T, Dk = q.shape
    S, Dv = k.shape[2], v.shape[3]
    k = expand_heads(k, Hq)
    v = expand_heads(v, Hq)
    fq, fk = elu_plus_one(q), elu_plus_one(k)
    p = positions(T, S)
    out = np.zeros((B, Hq, T, Dv))
    for b in range(B):
        for h in range(Hq):
            state = np.zeros((Dk, Dv))
            states = []
            for s in range(S):
                state = state + np.outer(fk[b, h, s], v[b, h, s])
                states.append(state)
            for t in range(T):
                if p[t] >= 0:
                    out[b, h, t] = fq[b, h, t] @ states[min(p[t], S - 1)]
    return out, np.broadcast_to((p < 0)[None, None, :], (B, Hq, T))


def _scalar_decay_recurrence(q, k, v, logdecay, scale):
    """S_t = exp(g_t) S_{t-1} + k_t^T v_t, o_t = scale * q_t S_t.
    logdecay: [B, H, T]."""
    B, H, T, Dk = q.shape
    assert k.shape[2] == T, "decay needs S == T"
    k = expand_heads(k, H)
    v = expand_heads(v, H)
    out = np.zeros((B, H, T, v.shape[3]))
    for b in range(B):
        for h in range(H):
            state = np.zeros((Dk, v.shape[3]))
            for t in range(T):
                state = np.exp(logdecay[b, h, t]) * state + np.outer(k[b, h, t], v[b, h, t])
                out[b, h, t] = scale * (q[b, h, t] @ state)
    return out


# RetNet's per-head decay gamma_h = 1 - 2^(-5 - h); the example stores
# log(gamma_h) as an f32 constant, so the reference rounds it the same way.
def retnet_log_gammas(H):
    return np.array([np.float32(np.log(1.0 - 2.0 ** (-5 - h))) for h in range(H)],
                    dtype=np.float64)


def retnet(q, k, v):
    """Retention: o_t = sum_{s <= t} gamma_h^(t-s) (q_t . k_s / sqrt(Dk)) v_s."""
    q, k, v = f64(q), f64(k), f64(v)
    B, H, T, Dk = q.shape
    g = np.broadcast_to(retnet_log_gammas(H)[None, :, None], (B, H, T))
    return _scalar_decay_recurrence(q, k, v, g, 1.0 / np.sqrt(Dk)), None


def mamba2(c, b, x, g):
    """SSD: S_t = exp(g_t) S_{t-1} + B_t^T x_t, y_t = C_t S_t."""
    c, b, x, g = f64(c), f64(b), f64(x), f64(g)
    return _scalar_decay_recurrence(c, b, x, g, 1.0), None


def gla(q, k, v, g):
    """GLA: S_t = diag(exp(g_t)) S_{t-1} + k_t^T v_t, o_t = q_t S_t / sqrt(Dk)."""
    q, k, v, g = f64(q), f64(k), f64(v), f64(g)
    B, H, T, Dk = q.shape
    assert k.shape[2] == T, "decay needs S == T"
    k = expand_heads(k, H)
    v = expand_heads(v, H)
    out = np.zeros((B, H, T, v.shape[3]))
    scale = 1.0 / np.sqrt(Dk)
    for bb in range(B):
        for h in range(H):
            state = np.zeros((Dk, v.shape[3]))
            for t in range(T):
                state = np.exp(g[bb, h, t])[:, None] * state + np.outer(k[bb, h, t], v[bb, h, t])
                out[bb, h, t] = scale * (q[bb, h, t] @ state)
    return out, None


# --------------------------------------------------------------------------
# Native Sparse Attention
# --------------------------------------------------------------------------

def nsa_compress(x, l, d, mlp=()):
    """Block i pools tokens [i*d, i*d + l): their mean, or with mlp = (pe [l, D],
    W1 [l*D, hidden], W2 [hidden, D]) relu(flatten(tokens + pe) W1) W2.
    (S - l) // d + 1 blocks (0 if S < l)."""
    x = f64(x)
    B, H, S, D = x.shape
    n = 0 if S < l else (S - l) // d + 1
    out = np.zeros((B, H, n, D))
    for i in range(n):
        tokens = x[:, :, i * d:i * d + l]
        if not mlp:
            out[:, :, i] = tokens.mean(axis=2)
            continue
        pe, w1, w2 = (f64(w) for w in mlp)
        hidden = np.maximum((tokens + pe).reshape(B, H, l * D) @ w1, 0.0)
        out[:, :, i] = hidden @ w2
    return out


def nsa_select(pc, p_t, Hkv, l, d, lp, top, initial, local):
    """Selection-block indices for one query (at position p_t) and each GQA group.

    pc: [Hq, Nc] compressed probabilities of this query. Returns [Hkv, top]."""
    Hq, Nc = pc.shape
    rep = Hq // Hkv
    res = -np.ones((Hkv, top), dtype=np.int64)
    if p_t < 0:
        return res
    own = p_t // lp
    eligible = list(range(own + 1))          # blocks starting at or before p_t
    for gi in range(Hkv):
        group = pc[gi * rep:(gi + 1) * rep].sum(axis=0)   # [Nc]
        score = {}
        for j in eligible:
            lo, hi = j * lp, (j + 1) * lp
            score[j] = sum(group[i] for i in range(Nc)
                           if i * d < hi and i * d + l > lo)
        forced = set(j for j in eligible if j < initial)
        forced |= set(j for j in eligible if own - local < j <= own)
        rest = sorted((j for j in eligible if j not in forced),
                      key=lambda j: (-score[j], j))
        chosen = sorted(forced | set(rest[:max(0, top - len(forced))]))
        assert len(chosen) <= top
        res[gi, :len(chosen)] = chosen
    return res


def nsa(q, k, v, g, *mlp, l=32, d=16, lp=64, n=16, initial=1, local=2, w=512):
    """mlp: none (mean pooling), or the key MLP's three weights then the
    value MLP's (see nsa_compress)."""
    assert len(mlp) in (0, 6), "NSA reference: no MLP weights or 3 + 3"
    q, k, v, g = f64(q), f64(k), f64(v), f64(g)
    B, Hq, T, Dk = q.shape
    Hkv, S = k.shape[1], k.shape[2]
    # The compressed mask and select_blocks see only the compressed length,
    # not the token count S, so NSA is defined here for self-attention only
    # (query t at token t); see the note in examples/nsa.mlir.
    assert S == T, "NSA reference: self-attention only, S must equal T"
    scale = 1.0 / np.sqrt(Dk)
    p = positions(T, S)

    # Compressed branch: blocks that end at or before the query.
    kc, vc = nsa_compress(k, l, d, mlp[:3]), nsa_compress(v, l, d, mlp[3:])
    Nc = kc.shape[2]
    sc = dot_scores(q, kc, scale)
    i = np.arange(Nc)
    keep_c = np.broadcast_to((i[None, :] * d + l - 1 <= p[:, None]), (B, Hq, T, Nc))
    o_cmp, _ = masked_softmax_attention(sc, keep_c, vc)
    # The compressed probabilities (0 where masked).
    pc = np.zeros((B, Hq, T, Nc))
    for b in range(B):
        for h in range(Hq):
            for t in range(T):
                sel = np.nonzero(keep_c[b, h, t])[0]
                if sel.size:
                    x = sc[b, h, t, sel]
                    e = np.exp(x - x.max())
                    pc[b, h, t, sel] = e / e.sum()

    # Selected branch.
    s = dot_scores(q, k, scale)
    keep_s = np.zeros((B, Hq, T, S), bool)
    rep = Hq // Hkv
    j = np.arange(S)
    for b in range(B):
        for t in range(T):
            idx = nsa_select(pc[b, :, t], p[t], Hkv, l, d, lp, n, initial, local)
            for h in range(Hq):
                blocks = [x for x in idx[h // rep] if x >= 0]
                keep_s[b, h, t] = np.isin(j // lp, blocks) & (j <= p[t])
    o_slc, _ = masked_softmax_attention(s, keep_s, v)

    # Sliding-window branch.
    keep_w = (j[None, :] <= p[:, None]) & (j[None, :] > p[:, None] - w)
    o_win, _ = masked_softmax_attention(s, np.broadcast_to(keep_w, (B, Hq, T, S)), v)

    gs = sigmoid(g)
    out = gs[..., 0:1] * o_cmp + gs[..., 1:2] * o_slc + gs[..., 2:3] * o_win
    return out, None


# --------------------------------------------------------------------------
# MLA and DSA
# --------------------------------------------------------------------------

def rope_rotate_half(x, pos, theta):
    """x [T, D] at positions pos [T]: pairs (x_i, x_{i + D/2}) rotated by
    pos * theta^(-2i/D)."""
    T, D = x.shape
    half = D // 2
    inv = theta ** (-2.0 * np.arange(half) / D)
    ang = pos[:, None].astype(np.float64) * inv[None, :]
    c, s = np.cos(ang), np.sin(ang)
    x1, x2 = x[:, :half], x[:, half:]
    return np.concatenate([x1 * c - x2 * s, x2 * c + x1 * s], axis=1)


def mla(q_nope, q_rope, c_kv, k_rope, w_uk, w_uv, lengths, theta, rotate_keys):
    """MLA in its un-absorbed form: per head h, k_nope = c_kv W_UK[h],
    v = c_kv W_UV[h]; score = (q_nope . k_nope + rope(q_rope) . k_rope) / sqrt(Dn + Dr),
    causal, over a cache with per-sequence lengths or (lengths None) over S keys.
    rotate_keys: k_rope is rotated here, key s at position s."""
    q_nope, q_rope, c_kv, k_rope = f64(q_nope), f64(q_rope), f64(c_kv), f64(k_rope)
    w_uk, w_uv = f64(w_uk), f64(w_uv)
    B, H, T, Dn = q_nope.shape
    Dr = q_rope.shape[3]
    S = c_kv.shape[2]
    if lengths is None:
        pos = np.broadcast_to(positions(T, S), (B, T))
    else:
        lengths = np.asarray(lengths, dtype=np.int64)
        pos = positions(T, lengths)                               # [B, T]
    qr = np.zeros_like(q_rope)
    for b in range(B):
        for h in range(H):
            qr[b, h] = rope_rotate_half(q_rope[b, h], pos[b], theta)
    if rotate_keys:
        k_rope = np.stack([rope_rotate_half(k_rope[b, 0], np.arange(S), theta)
                           for b in range(B)])[:, None]
    k_nope = np.einsum("bsc,hcd->bhsd", c_kv[:, 0], w_uk)         # [B, H, S, Dn]
    vals = np.einsum("bsc,hcd->bhsd", c_kv[:, 0], w_uv)           # [B, H, S, Dv]
    kr = expand_heads(k_rope, H)
    scores = (np.einsum("bhtd,bhsd->bhts", q_nope, k_nope) +
              np.einsum("bhtd,bhsd->bhts", qr, kr)) / np.sqrt(Dn + Dr)
    return masked_softmax_attention(scores, causal_keep(B, H, T, S, lengths), vals)


def mla_decode(q_nope, q_rope, c_kv, k_rope, w_uk, w_uv, lengths, theta=10000.0):
    """MLA decode over the latent cache; the cached k_rope is already rotated."""
    return mla(q_nope, q_rope, c_kv, k_rope, w_uk, w_uv, lengths, theta, False)


def mla_prefill(q_nope, q_rope, c_kv, k_rope, w_uk, w_uv, theta=10000.0):
    """MLA causal self-attention (S = T), both RoPE parts rotated here."""
    return mla(q_nope, q_rope, c_kv, k_rope, w_uk, w_uv, None, theta, True)


def dsa(q, k, v, iq, ik, iw, lengths=None, top=2048):
    """Indexer I_ts = sum_j w_tj relu(iq_tj . ik_s) over causal keys; each query
    keeps its top `top` keys (ties to the lower index), then causal softmax MQA
    attention over them. With lengths, sequence b has lengths[b] keys and query t
    sits at lengths[b] - T + t."""
    q, k, v, iq, ik, iw = map(f64, (q, k, v, iq, ik, iw))
    B, H, T, D = q.shape
    S = k.shape[2]
    L = np.full(B, S, np.int64) if lengths is None else np.asarray(lengths, np.int64)
    keep = np.zeros((B, H, T, S), bool)
    for b in range(B):
        p = positions(T, L[b])
        for t in range(T):
            cand = [s for s in range(S) if s <= p[t] and s < L[b]]
            I = {s: float(np.sum(iw[b, :, t] * np.maximum(iq[b, :, t] @ ik[b, 0, s], 0.0)))
                 for s in cand}
            chosen = sorted(cand, key=lambda s: (-I[s], s))[:top]
            keep[b, :, t, chosen] = True
    s = dot_scores(q, k, 1.0 / np.sqrt(D))
    return masked_softmax_attention(s, keep, v)


# --------------------------------------------------------------------------
# Registry: family -> (function, default parameters as in examples/)
# --------------------------------------------------------------------------

FAMILIES = {
    "softmax_causal": (causal_softmax, {}),
    "gqa": (causal_softmax, {}),
    "sliding_window": (sliding_window, {"w": 64}),
    "softcap": (softcap, {"cap": 50.0}),
    "alibi": (alibi, {}),
    "predicates": (predicates, {}),
    "bidirectional": (bidirectional, {}),
    "linear": (linear, {}),
    "retnet": (retnet, {}),
    "mamba2": (mamba2, {}),
    "gla": (gla, {}),
    "nsa": (nsa, {"l": 32, "d": 16, "lp": 64, "n": 16, "initial": 1, "local": 2,
                  "w": 512}),
    "mla_decode": (mla_decode, {"theta": 10000.0}),
    "mla_prefill": (mla_prefill, {"theta": 10000.0}),
    "dsa": (dsa, {"top": 2048}),
    "kv_cache_decode": (kv_cache_decode, {}),
    "causal_lse": (causal_lse, {}),
}
