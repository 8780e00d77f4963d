"""Per-kernel times of the NSA launcher (run bench/gpu/nsa_cuda.py emit DIR first):
the whole call, the two branch launchers alone, and a CUDA profile of one call.

Usage (repository root, on the GPU): python3 bench/gpu/nsa_breakdown.py DIR
"""
import ctypes, os, sys, torch
sys.path.insert(0, "bench/gpu")
from softmax_cuda import describe, build
d = sys.argv[1] if len(sys.argv) > 1 else ".devcarry/nsa"  # the emit directory
fn, err, _ = build(d, "nsa_paper", "include", "sm_90a")
lib = ctypes.CDLL(os.path.join(d, "nsa_paper.so"))
def timed(f, iters=5):
    f(); torch.cuda.synchronize()
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    ts = []
    for _ in range(iters):
        s.record(); f(); e.record(); torch.cuda.synchronize(); ts.append(s.elapsed_time(e))
    return sorted(ts)[len(ts)//2]
print("| T | total ms | compressed branch ms | window branch ms | compress+select+selected ms |")
for T in (8192, 32768, 65536):
    q = torch.randn(1, 64, T, 128, device="cuda").bfloat16()
    k = torch.randn(1, 4, T, 128, device="cuda").bfloat16(); v = torch.randn_like(k)
    g = torch.randn(1, 64, T, 3, device="cuda")
    out = torch.empty_like(q)
    Nc = (T - 32) // 16 + 1
    kc = torch.randn(1, 4, Nc, 128, device="cuda").bfloat16(); vc = torch.randn_like(kc)
    lse = torch.empty(1, 64, T, device="cuda")
    D = [ctypes.byref(describe(x)) for x in (q, k, v, g, out)]
    tot = timed(lambda: fn(*D, None, None))
    Dc = [ctypes.byref(describe(x)) for x in (q, kc, vc, out)]
    cmp = timed(lambda: lib.nsa_paper_cmp(*Dc, ctypes.c_void_p(lse.data_ptr()), None))
    Dw = [ctypes.byref(describe(x)) for x in (q, k, v, out)]
    win = timed(lambda: lib.nsa_paper_win(*Dw, None, None))
    print(f"| {T} | {tot:.2f} | {cmp:.2f} | {win:.2f} | {tot - cmp - win:.2f} |", flush=True)
from torch.profiler import profile, ProfilerActivity
for T in (8192, 65536):
    q = torch.randn(1, 64, T, 128, device="cuda").bfloat16()
    k = torch.randn(1, 4, T, 128, device="cuda").bfloat16(); v = torch.randn_like(k)
    g = torch.randn(1, 64, T, 3, device="cuda")
    out = torch.empty_like(q)
    D = [ctypes.byref(describe(x)) for x in (q, k, v, g, out)]
    fn(*D, None, None); torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        fn(*D, None, None); torch.cuda.synchronize()
    print(f"T = {T}:")
    for ev in prof.key_averages():
        if ev.device_time_total > 0:
            print(f"  {ev.key[:40]:40s} {ev.device_time_total / 1e3:8.2f} ms")
