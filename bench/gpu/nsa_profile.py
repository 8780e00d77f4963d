"""One call of the NSA launcher at the benchmark's shape, for a profiler
(run bench/gpu/nsa_cuda.py emit DIR first).

Usage (repository root, on the GPU):
  ncu --clock-control none -k regex:nsa_paper_select python3 bench/gpu/nsa_profile.py DIR T
"""
import ctypes, sys, torch
sys.path.insert(0, "bench/gpu")
from softmax_cuda import describe, build
d, T = sys.argv[1], int(sys.argv[2])
fn, err, _ = build(d, "nsa_paper", "include", "sm_90a")
q = torch.randn(1, 64, T, 128, device="cuda").bfloat16()
k = torch.randn(1, 4, T, 128, device="cuda").bfloat16(); v = torch.randn_like(k)
g = torch.randn(1, 64, T, 3, device="cuda")
out = torch.empty_like(q)
rc = fn(*[ctypes.byref(describe(x)) for x in (q, k, v, g, out)], None, None)
torch.cuda.synchronize()
assert rc == 0, err()
