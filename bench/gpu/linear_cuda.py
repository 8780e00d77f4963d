#!/usr/bin/env python3
"""Chunked linear attention through attention-opt --emit=cuda, checked and timed on a GPU.

Two steps, two machines:
  emit DIR   (here, with the built compiler) writes one attn program per variant
             below to DIR/<name>.mlir and compiles it after the linear pipeline
             (and attn-expose-state: initial state in, final state out) to
             DIR/<name>.cu + .h with `attention-opt --emit=cuda`.
  run DIR    (on the GPU machine) builds each DIR/<name>.cu with nvcc into a shared
             library, checks output and final state against an f64 PyTorch
             recurrence on fresh random inputs (T = 1, odd T, T not a multiple of
             the chunk, GQA, with and without an initial state, strong decay), with
             the error of a plain PyTorch chunked computation in the input dtype
             beside it, then times the target shapes against that plain PyTorch
             chunked implementation and writes a table.

Usage: bench/gpu/linear_cuda.py emit DIR [--compiler build/bin/attention-opt] [--arch sm_80]
       bench/gpu/linear_cuda.py run DIR [--include DIR] [--out FILE.md] [--iters N]
                                [--arch sm_80] [--nvrtc]
--arch sm_80 emits the mma.sync kernels (--cuda-arch=sm_80; per-key decay with
Dk = 128 does not fit sm_80's shared memory and is left out) and builds them as
compute_80 PTX, which the driver compiles for the GPU at hand; the default is
sm_90a (the wgmma kernel where the value dim is a multiple of 128, mma.sync
otherwise). --nvrtc also builds every variant's source with a host compiler and
-DATTN_CUDA_NVRTC, so that NVRTC compiles the kernels on first use (for sm_90a,
or with --arch sm_80 for the GPU at hand), and checks and times those builds as
<name>_nvrtc beside the nvcc ones.
"""
import ctypes
import datetime
import math
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from softmax_cuda import emit_run_parser  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# gates: "token" [B, H, T] scalar log-decays, "key" [B, H, T, Dk] (GLA), "head" a
# constant [H] (RetNet); state: initial state in and final state out; sm80=False:
# more shared memory than sm_80 has.
VARIANTS = [
    dict(name="scalar_d128", H=16, Hkv=16, Dk=128, Dv=128, dtype="bf16", gates="token", state=True),
    dict(name="perkey_d128", H=16, Hkv=16, Dk=128, Dv=128, dtype="bf16", gates="key", state=True,
         sm80=False),
    dict(name="scalar_gqa_f16", H=8, Hkv=2, Dk=64, Dv=128, dtype="f16", gates="token", state=True),
    dict(name="perkey_d64", H=4, Hkv=4, Dk=64, Dv=128, dtype="bf16", gates="key", state=True),
    dict(name="retnet_d64", H=8, Hkv=8, Dk=64, Dv=64, dtype="bf16", gates="head", state=False),
    dict(name="scalar_nostate", H=4, Hkv=4, Dk=128, Dv=64, dtype="bf16", gates="token", state=False),
]


def head_gates(H):
    return [math.log(1 - 2 ** (-5 - h % 8)) for h in range(H)]


def mlir(v):
    dt = v["dtype"]
    H, Hkv, Dk, Dv = v["H"], v["Hkv"], v["Dk"], v["Dv"]
    q = f"tensor<?x{H}x?x{Dk}x{dt}>"
    k = f"tensor<?x{Hkv}x?x{Dk}x{dt}>"
    val = f"tensor<?x{Hkv}x?x{Dv}x{dt}>"
    o = f"tensor<?x{H}x?x{Dv}x{dt}>"
    s = f"tensor<?x{H}x?x?xf32>"
    scale = 1.0 / math.sqrt(Dk)
    args = [f'%q: {q} {{attn.dims = "B,H,T,Dk"}}', f'%k: {k} {{attn.dims = "B,H,S,Dk"}}',
            f'%v: {val} {{attn.dims = "B,H,S,Dv"}}']
    body = []
    if v["gates"] == "token":
        g = f"tensor<?x{H}x?xf32>"
        args.append(f'%g: {g} {{attn.dims = "B,H,T"}}')
        body += [f"  %s = attn.score %q, %k scale {scale!r} : ({q}, {k}) -> {s}",
                 f"  %d = attn.decay %s, %g : {s}, {g}"]
    elif v["gates"] == "head":
        g = f"tensor<{H}xf32>"
        values = ", ".join(repr(x) for x in head_gates(H))
        body += [f"  %g = arith.constant dense<[{values}]> : {g}",
                 f"  %s = attn.score %q, %k scale {scale!r} : ({q}, {k}) -> {s}",
                 f"  %d = attn.decay %s, %g : {s}, {g}"]
    else:
        g = f"tensor<?x{H}x?x{Dk}xf32>"
        args.append(f'%g: {g} {{attn.dims = "B,H,T,Dk"}}')
        body += [f"  %d = attn.score %q, %k decay %g scale {scale!r} : ({q}, {k}, {g}) -> {s}"]
    body += [f"  %o = attn.aggregate %d, %v : {s}, {val} -> {o}", f"  return %o : {o}"]
    return (f"func.func @{v['name']}(" + ", ".join(args) + f") -> {o} {{\n" + "\n".join(body)
            + "\n}\n")


def variants(arch):
    return [v for v in VARIANTS if arch != "sm_80" or v.get("sm80", True)]


def emit(args):
    os.makedirs(args.dir, exist_ok=True)
    for v in variants(args.arch):
        path = os.path.join(args.dir, v["name"] + ".mlir")
        with open(path, "w") as f:
            f.write(mlir(v))
        passes = "attn-linear-pipeline,attn-expose-state" if v["state"] else "attn-linear-pipeline"
        subprocess.run([args.compiler, path, f"--pass-pipeline=builtin.module({passes})",
                        "--emit=cuda", "--cuda-arch=" + args.arch, "-o", args.dir], check=True)
    print(f"wrote {len(variants(args.arch))} variants for {args.arch} to {args.dir}")


# --- on the GPU ---------------------------------------------------------------

class Tensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("shape", ctypes.c_int64 * 4),
                ("strides", ctypes.c_int64 * 4)]


def describe(t):
    shape = list(t.shape) + [0] * (4 - t.dim())
    strides = list(t.stride()) + [0] * (4 - t.dim())
    return Tensor(t.data_ptr(), (ctypes.c_int64 * 4)(*shape), (ctypes.c_int64 * 4)(*strides))


# sm_80 kernels run on later GPUs as PTX that the driver compiles at load time.
GENCODE = {"sm_90a": "-gencode=arch=compute_90a,code=sm_90a",
           "sm_80": "-gencode=arch=compute_80,code=compute_80"}


def load(so, name):
    lib = ctypes.CDLL(so)
    fn = getattr(lib, name)
    fn.restype = ctypes.c_int
    err = getattr(lib, name + "_error")
    err.restype = ctypes.c_char_p
    return fn, err


def build(directory, name, include, arch):
    so = os.path.join(directory, name + ".so")
    cmd = ["nvcc", "-O3", "-shared", "-Xcompiler", "-fPIC", "-cudart", "shared",
           GENCODE[arch], "-I", include, "-I", directory,
           "-Xptxas", "-v", os.path.join(directory, name + ".cu"), "-o", so]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(r.stderr[-3000:])
    spills = [l.strip() for l in r.stderr.splitlines() if "spill" in l]
    return (*load(so, name), spills)


def build_nvrtc(directory, name, include):
    """The same source built by a host compiler; NVRTC compiles the kernels on first use."""
    so = os.path.join(directory, name + "_nvrtc.so")
    cuda = os.environ.get("CUDA_HOME", "/usr/local/cuda")
    cmd = ["g++", "-O2", "-std=c++17", "-shared", "-fPIC", "-x", "c++", "-DATTN_CUDA_NVRTC",
           f'-DATTN_INCLUDE_DIR="{include}"', "-I", include, "-I", directory,
           "-I", cuda + "/include", os.path.join(directory, name + ".cu"), "-o", so,
           "-L", cuda + "/lib64", "-lnvrtc", "-lcudart", "-Wl,-rpath," + cuda + "/lib64"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(r.stderr[-3000:])
    return (*load(so, name), ["NVRTC"])


def call(fn, v, q, k, val, g, init, out, final):
    """The launcher's arguments: the function's (q, k, v, gates, init), then out, final."""
    ts = [q, k, val]
    if v["gates"] in ("token", "key"):
        ts.append(g)
    if v["state"]:
        ts.append(init)
    ts.append(out)
    if v["state"]:
        ts.append(final)
    descs = [describe(t) for t in ts]
    return fn(*[ctypes.byref(d) for d in descs], None)


def inputs(v, B, T, dev, strong=False):
    import torch
    tdt = torch.bfloat16 if v["dtype"] == "bf16" else torch.float16
    H, Hkv, Dk, Dv = v["H"], v["Hkv"], v["Dk"], v["Dv"]
    q = torch.randn(B, H, T, Dk, device=dev).to(tdt)
    k = torch.randn(B, Hkv, T, Dk, device=dev).to(tdt)
    val = torch.randn(B, Hkv, T, Dv, device=dev).to(tdt)
    gshape = {"token": (B, H, T), "key": (B, H, T, Dk)}.get(v["gates"])
    g = None
    if gshape:
        g = (-6 - torch.rand(gshape, device=dev) if strong else
             torch.nn.functional.logsigmoid(torch.randn(gshape, device=dev) + 3) * 0.5)
    elif v["gates"] == "head":
        g = torch.tensor(head_gates(H), device=dev, dtype=torch.float32)
    init = torch.randn(B, H, Dk, Dv, device=dev) if v["state"] else None
    return q, k, val, g, init


def log_decays(v, g, B, T):
    """Gates as [B, H, T, Dk or 1] f64 log-decays."""
    import torch
    H = v["H"]
    if g is None:
        return torch.zeros(B, H, T, 1, dtype=torch.float64, device="cuda")
    if v["gates"] == "head":
        return g.double().view(1, H, 1, 1).expand(B, H, T, 1)
    if v["gates"] == "token":
        return g.double().unsqueeze(-1)
    return g.double()


def recurrence(v, q, k, val, g, init, scale):
    """S_t = exp(g_t) S_{t-1} + k_t^T v_t, o_t = scale q_t S_t, in f64."""
    import torch
    B, H, T, Dk = q.shape
    G = H // k.shape[1]
    kk = k.double().repeat_interleave(G, 1)
    vv = val.double().repeat_interleave(G, 1)
    qq = q.double()
    a = log_decays(v, g, B, T).exp()
    S = init.double().clone() if init is not None else torch.zeros(
        B, H, Dk, vv.shape[3], dtype=torch.float64, device=q.device)
    out = torch.empty(B, H, T, vv.shape[3], dtype=torch.float64, device=q.device)
    for t in range(T):
        S = a[:, :, t, :, None] * S + kk[:, :, t, :, None] * vv[:, :, t, None, :]
        out[:, :, t] = scale * torch.einsum("bhd,bhde->bhe", qq[:, :, t], S)
    return out, S


def torch_chunked(v, q, k, val, g, init, scale, exact_intra, C=64):
    """The chunked form in plain PyTorch: matmul operands in the input dtype, f32
    accumulation and states; per-key intra-chunk scores exactly (elementwise
    exps, small shapes only) or factored through the chunk's start."""
    import torch
    B, H, T, Dk = q.shape
    Dv = val.shape[3]
    dt = q.dtype
    G = H // k.shape[1]
    kk = k.repeat_interleave(G, 1) if G > 1 else k
    vv = val.repeat_interleave(G, 1) if G > 1 else val
    n = (T + C - 1) // C
    pad = n * C - T
    lg = log_decays(v, g, B, T).float()
    if pad:
        def padT(x):
            return torch.nn.functional.pad(x, (0, 0, 0, pad))
        q, kk, vv, lg = padT(q), padT(kk), padT(vv), padT(lg)
    qc = q.view(B, H, n, C, Dk)
    kc = kk.reshape(B, H, n, C, Dk)
    vc = vv.reshape(B, H, n, C, Dv)
    b = lg.view(B, H, n, C, -1).cumsum(3)          # [B, H, n, C, Dk or 1]
    last = b[:, :, :, -1:]                          # [B, H, n, 1, Dk or 1]
    causal = torch.ones(C, C, dtype=torch.bool, device=q.device).tril()
    if b.shape[-1] == 1:
        A = (qc @ kc.transpose(-1, -2)).float() * (b - b.transpose(-1, -2)).exp()
    elif exact_intra:
        A = torch.einsum("bhntd,bhnsd,bhntsd->bhnts", qc.float(), kc.float(),
                         (b[:, :, :, :, None, :] - b[:, :, :, None, :, :]).clamp(max=0).exp())
    else:
        A = ((qc.float() * b.exp()).to(dt) @ (kc.float() * (-b).exp()).to(dt).transpose(-1, -2)).float()
    A = (A * scale).masked_fill(~causal, 0).to(dt)
    intra = (A @ vc).float()                        # [B, H, n, C, Dv]
    qd = (qc.float() * b.exp()).to(dt)
    kd = (kc.float() * (last - b).exp()).to(dt)
    local = (kd.transpose(-1, -2) @ vc).float()     # [B, H, n, Dk, Dv]
    decay = last.squeeze(3).exp()                    # [B, H, n, Dk or 1]
    S = init.float().clone() if init is not None else torch.zeros(B, H, Dk, Dv, device=q.device)
    states = []
    for i in range(n):
        states.append(S)
        S = decay[:, :, i, :, None] * S + local[:, :, i]
    Sin = torch.stack(states, 2).to(dt)             # [B, H, n, Dk, Dv]
    out = intra + scale * (qd @ Sin).float()
    return out.reshape(B, H, n * C, Dv)[:, :, :T].to(dt), S


def relerr(a, b):
    import torch
    a = a.double()
    b = b.double()
    return (torch.linalg.vector_norm(a - b) / torch.linalg.vector_norm(b).clamp_min(1e-30)).item()


def run(args):
    import torch
    torch.manual_seed(int.from_bytes(os.urandom(4), "little"))
    include = os.path.abspath(args.include or os.path.join(ROOT, "include"))
    dev = "cuda"
    libs = {}
    built = variants(args.arch)
    for v in built:
        try:
            libs[v["name"]] = build(args.dir, v["name"], include, args.arch)
            print(f"built {v['name']}: {libs[v['name']][2]}", flush=True)
        except Exception as e:
            print(f"BUILD FAILED {v['name']}: {e}", flush=True)
    if args.nvrtc:
        for v in list(built):
            name = v["name"] + "_nvrtc"
            built.append(dict(v, name=name))
            try:
                libs[name] = build_nvrtc(args.dir, v["name"], include)
                print(f"built {v['name']} with NVRTC", flush=True)
            except Exception as e:
                print(f"NVRTC BUILD FAILED {v['name']}: {e}", flush=True)
    ok = True
    checks = []
    # (B, T, strong decay): T = 1, odd T, T not a multiple of 64, several
    # segments (few heads), one segment (many heads), strong decay.
    # T <= 16 runs the decode step kernel, longer T the chunk kernels.
    shapes = [(1, 1, False), (3, 7, False), (2, 16, True), (2, 37, False), (1, 200, False),
              (3, 64, False), (2, 129, False), (1, 1000, False), (17, 100, False), (2, 300, True)]
    for v in built:
        if v["name"] not in libs:
            ok = False
            continue
        fn, err, _ = libs[v["name"]]
        scale = 1.0 / math.sqrt(v["Dk"])
        for (B, T, strong) in shapes:
            q, k, val, g, init = inputs(v, B, T, dev, strong)
            o = torch.full((B, v["H"], T, v["Dv"]), float("nan"), device=dev, dtype=q.dtype)
            fin = torch.full((B, v["H"], v["Dk"], v["Dv"]), float("nan"), device=dev)
            rc = call(fn, v, q, k, val, g, init, o, fin)
            torch.cuda.synchronize()
            ref_o, ref_s = recurrence(v, q, k, val, g, init, scale)
            plain_o, plain_s = torch_chunked(v, q, k, val, g, init, scale, exact_intra=True)
            e_o, p_o = relerr(o, ref_o), relerr(plain_o, ref_o)
            e_s = relerr(fin, ref_s) if v["state"] else 0.0
            p_s = relerr(plain_s, ref_s) if v["state"] else 0.0
            nan = bool(torch.isnan(o).any().item()) or (v["state"] and bool(torch.isnan(fin).any().item()))
            good = (rc == 0 and not nan and e_o <= max(2 * p_o, 2e-3) and e_s <= max(2 * p_s, 1e-3))
            checks.append((v["name"], (B, T, "strong" if strong else "mild"), rc, e_o, p_o, e_s, p_s, good))
            print(f"check {v['name']:16s} B={B} T={T} strong={strong}: rc={rc} out={e_o:.2e} (plain {p_o:.2e}) "
                  f"state={e_s:.2e} (plain {p_s:.2e}) {'ok' if good else 'FAIL ' + str(err())}", flush=True)
            ok &= good
    # A bad shape is refused with code 1 and a message.
    if "scalar_d128" in libs:
        v = VARIANTS[0]
        fn, err, _ = libs["scalar_d128"]
        q, k, val, g, init = inputs(v, 1, 10, dev)
        o = torch.empty(1, v["H"], 11, v["Dv"], device=dev, dtype=q.dtype)
        fin = torch.empty(1, v["H"], v["Dk"], v["Dv"], device=dev)
        rc = call(fn, v, q, k, val, g, init, o, fin)
        msg = err().decode()
        print(f"bad output shape: rc={rc} '{msg}'")
        ok &= rc == 1

    def bench(f, iters):
        for _ in range(3):
            f()
        torch.cuda.synchronize()
        times = []
        for _ in range(iters):
            a = torch.cuda.Event(enable_timing=True)
            b = torch.cuda.Event(enable_timing=True)
            a.record()
            f()
            b.record()
            b.synchronize()
            times.append(a.elapsed_time(b))
        times.sort()
        return times[len(times) // 2]

    rows = []
    timed = [("scalar_d128", 16, 4096), ("scalar_d128", 1, 65536),
             ("perkey_d128", 16, 4096), ("perkey_d128", 1, 65536)]
    if args.nvrtc:
        timed = [(n + s, B, T) for n, B, T in timed for s in ("", "_nvrtc")]
    for name, B, T in timed:
        if name not in libs:
            continue
        v = next(x for x in built if x["name"] == name)
        fn = libs[name][0]
        H, Dk, Dv = v["H"], v["Dk"], v["Dv"]
        q, k, val, g, init = inputs(v, B, T, dev)
        o = torch.empty(B, H, T, Dv, device=dev, dtype=q.dtype)
        fin = torch.empty(B, H, Dk, Dv, device=dev)
        descs = [describe(t) for t in (q, k, val, g, init, o, fin)]
        ptrs = [ctypes.byref(d) for d in descs]
        ours = bench(lambda: fn(*ptrs, None), args.iters)
        scale = 1.0 / math.sqrt(Dk)
        try:
            plain = bench(lambda: torch_chunked(v, q, k, val, g, init, scale, exact_intra=False), 5)
        except Exception as e:
            plain = None
            print(f"torch chunked failed: {e}")
        # Floors: FLOPs of the chunked form (QK^T causal half, AV, Q S, K^T V per
        # 64-step chunk); bytes of q, k, v, out, gates and the states.
        tokens = B * H * T
        flops = tokens * (2 * 64 * Dk / 2 + 2 * 64 * Dv / 2 + 4 * Dk * Dv)
        gbytes = tokens * (Dk if v["gates"] == "key" else 1) * 4
        nbytes = tokens * (2 * Dk + 2 * Dv) * 2 + gbytes + 2 * B * H * Dk * Dv * 4
        rows.append((name, B, T, ours, plain, flops, nbytes))
        print(name, B, T, round(ours, 3), plain and round(plain, 3), flush=True)

    kernel = "sm_90a wgmma kernel" if args.arch == "sm_90a" else "sm_80 mma.sync kernel as compute_80 PTX"
    options = (" --arch sm_80" if args.arch == "sm_80" else "")
    lines = [f"# Chunked linear attention: attention-opt --emit=cuda ({kernel}) vs PyTorch",
             "", f"{datetime.date.today()}, {torch.cuda.get_device_name()}, torch {torch.__version__}, "
             f"median of {args.iters} runs (CUDA events; the launcher called through ctypes)."
             + (" _nvrtc: the same source built with -DATTN_CUDA_NVRTC by g++, the kernels "
                "compiled by NVRTC on first use." if args.nvrtc else ""), "",
             f"Command: `python3 bench/gpu/linear_cuda.py emit DIR{options}` here (DIR/*.cu from "
             "attention-opt), DIR, include/attn/Runtime/cuda and this script carried to the GPU "
             f"machine, then there `python3 linear_cuda.py run DIR{options}"
             + (" --nvrtc" if args.nvrtc else "") + " --include INCLUDE --out gpu-linear.md`.", "",
             "| variant | B | T | H | Dk=Dv | ours ms | TFLOP/s | GB/s | byte floor ms | PyTorch chunked ms | x PyTorch |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, B, T, ours, plain, flops, nbytes in rows:
        lines.append(f"| {name} | {B} | {T} | 16 | 128 | {ours:.3f} | {flops / ours / 1e9:.0f} | "
                     f"{nbytes / ours / 1e6:.0f} | {nbytes / 3.35e12 * 1e3:.3f} | "
                     f"{plain and f'{plain:.3f}' or '-'} | {plain and f'{plain / ours:.1f}' or '-'} |")
    lines += ["", "FLOPs: per token 64·Dk (QK^T, causal half) + 64·Dv (PV) + 4·Dk·Dv (Q·S, K^T V). "
              "Byte floor: q, k, v, out in bf16, gates f32, state in and out f32, at 3.35 TB/s.",
              "", "Numerics (fresh random inputs; relative Frobenius error against an f64 recurrence; "
              "'plain' = the chunked form in PyTorch with matmul operands in the input dtype):", "",
              "| variant | B,T,decay | out err | plain | state err | plain | ok |", "|---|---|---|---|---|---|---|"]
    for name, shape, rc, e_o, p_o, e_s, p_s, good in checks:
        lines.append(f"| {name} | {shape} | {e_o:.2e} | {p_o:.2e} | {e_s:.2e} | {p_s:.2e} | "
                     f"{'yes' if good else 'NO (rc=%d)' % rc} |")
    text = "\n".join(lines) + "\n"
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    print(text)
    print("ALL CHECKS PASSED" if ok else "SOME CHECKS FAILED")
    return 0 if ok else 1


def main():
    ap, _, e, r = emit_run_parser()
    e.add_argument("--arch", choices=sorted(GENCODE), default="sm_90a")
    r.add_argument("--iters", type=int, default=20)
    r.add_argument("--arch", choices=sorted(GENCODE), default="sm_90a")
    r.add_argument("--nvrtc", action="store_true",
                   help="also build each variant for NVRTC (-DATTN_CUDA_NVRTC) and check and time it")
    args = ap.parse_args()
    return emit(args) if args.cmd == "emit" else run(args)


if __name__ == "__main__":
    sys.exit(main())
