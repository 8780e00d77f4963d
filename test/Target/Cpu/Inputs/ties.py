"""Writes top-k inputs full of exact ties (sparse.test) to the directory argv[1].

Values are small multiples of 1/4, exact in f32 and f64 and in their sums, so
the CPU backend and the interpreter see the same ties; masked (-inf) entries
and all-equal rows make the tie rule (lower index first) decide.
"""

import os
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)


def save(name, array):
    np.save(os.path.join(out, name), array.astype(np.float32))


def quantized(shape, levels):
    return rng.integers(0, levels, size=shape) / 4.0


# select_blocks probabilities [B, Hq, T, Nc]; the first batch entry all zero.
probs = quantized((2, 8, 40, 9), 3)
probs[0] = 0
save("blocks.npy", probs)
save("blocks4.npy", quantized((2, 4, 20, 9), 2))

# select_tokens scores [B, G, T, S] with masked entries, an all-masked row, a
# row with fewer unmasked keys than top, and an all-equal row.
scores = quantized((2, 2, 9, 30), 3) - 0.25
scores[rng.random(scores.shape) < 0.3] = -np.inf
scores[0, 0, 0] = -np.inf
scores[0, 0, 1, 2:] = -np.inf
scores[1, 1, 2] = 0.5
save("tokens.npy", scores)
save("tokens_causal.npy", quantized((1, 1, 12, 12), 2))
