# Writes inputs that do not fit the programs: values with fewer positions
# than keys (softmax_causal), and a sequence length past the cache (kv decode).
import sys

import numpy as np

out = sys.argv[1]
r = np.random.default_rng(0)
np.save(f"{out}/q.npy", r.standard_normal((1, 8, 4, 64)).astype("<f4"))
np.save(f"{out}/k.npy", r.standard_normal((1, 8, 6, 64)).astype("<f4"))
np.save(f"{out}/v.npy", r.standard_normal((1, 8, 5, 64)).astype("<f4"))
np.save(f"{out}/q_decode.npy", r.standard_normal((1, 8, 1, 128)).astype("<f4"))
np.save(f"{out}/cache.npy", r.standard_normal((1, 2, 7, 128)).astype("<f4"))
np.save(f"{out}/lengths.npy", np.array([9], dtype="<i8"))
