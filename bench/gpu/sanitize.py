#!/usr/bin/env python3
"""compute-sanitizer over every kernel family that attention-opt --emit=cuda emits.

  build DIR  (here; nvcc, no GPU) emits the programs of the benches beside this
             one with their own emit() into DIR/<bench>/ and builds the cases
             below with their own build() (nvcc, plus -lineinfo through
             NVCC_APPEND_FLAGS so that reports name source lines) into shared
             libraries.
  run DIR    (on the GPU) runs every case under compute-sanitizer's memcheck,
             racecheck, synccheck and initcheck, one process per case and tool,
             several at once, and writes a table of the errors each reports.
  case DIR NAME [--fill]  what each sanitized process runs: the case's launcher
             on its odd shapes (T = 1, T not a multiple of any tile, GQA, fully
             masked rows, empty and mixed cache lengths, paged caches whose
             unused table entries point outside the pool).

The case process uses no PyTorch: inputs come from numpy, copied into
cudaMalloc buffers of exactly the tensor's size (no caching allocator whose
slack would hide an overrun, no other kernels in the reports). With --fill
(every tool but initcheck, which must see uninitialized outputs as such) the
outputs start as NaN bytes and the case fails if any is left unwritten.

Usage: bench/gpu/sanitize.py build DIR [--compiler build/bin/attention-opt] [--include DIR]
       bench/gpu/sanitize.py run DIR [--out FILE.md] [--log FILE] [--jobs N] [--timeout S]
                                  [--budget S] [--tools memcheck,...] [--only CASE,...]
"""
import argparse
import ctypes
import datetime
import math
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import decode_cuda  # noqa: E402
import dsa_cuda  # noqa: E402
import linear_cuda  # noqa: E402
import mla_cuda  # noqa: E402
import nsa_cuda  # noqa: E402
import paged_cuda  # noqa: E402
import softmax_cuda  # noqa: E402
from softmax_cuda import ROOT, describe  # noqa: E402

TOOLS = ("memcheck", "racecheck", "synccheck", "initcheck")

# DIR/<subdir>: the bench whose emit() writes it, and its options.
EMITS = {"softmax": (softmax_cuda, dict(arch="sm_90a")), "softmax_sm80": (softmax_cuda, dict(arch="sm_80")),
         "decode": (decode_cuda, {}), "paged": (paged_cuda, {}), "mla": (mla_cuda, {}), "dsa": (dsa_cuda, {}),
         "nsa": (nsa_cuda, {}), "linear": (linear_cuda, dict(arch="sm_90a")),
         "linear_sm80": (linear_cuda, dict(arch="sm_80"))}

# Shapes. Softmax (B, T, S): T = 1, the split-key decode path (T x group <= 16)
# over many keys, T not a multiple of a tile, T > S (rows fully masked by the
# causal mask), T < S.
SOFTMAX_SHAPES = [(1, 1, 1), (1, 3, 700), (2, 37, 37), (1, 129, 129), (2, 100, 37), (1, 5, 333)]
# Decode over caches (B, T, S, lengths): empty caches, lengths below T (rows
# that see nothing), several splits, T x group past one decode tile.
CACHE_SHAPES = [(1, 1, 37, [37]), (3, 1, 1000, [1000, 1, 517]), (2, 3, 129, [129, 0]), (2, 5, 2100, [2100, 3])]
MLA_SHAPES = {"mla16": [(2, 1, 100, [100, 64]), (3, 5, 300, [300, 5, 0])],
              "mla128_paged": [(1, 1, 37, [37]), (3, 2, 300, [300, 1, 0])]}
DSA_SHAPES = {"dsa16": [(2, 3, 300, [300, 50]), (3, 1, 129, [129, 5, 0])],
              "dsa128_paged": [(2, 1, 2500, [2500, 1000]), (1, 2, 37, [37])]}
# NSA and linear attention (B, T): T = 1, below a block, not a multiple of any
# block or chunk, several.
NSA_SHAPES = [(1, 1), (2, 31), (1, 129), (1, 200)]
LINEAR_SHAPES = [(1, 1), (3, 7), (2, 37), (2, 129), (1, 200)]

# case: (family, DIR-relative directory, launcher, arch, kind, variant)
CASES = {
    "softmax_gqa_d128": ("softmax sm_90a", "softmax", "gqa_d128", "sm_90a", "softmax", "gqa_d128"),
    "softmax_f16_d64": ("softmax sm_90a", "softmax", "causal_d64_f16", "sm_90a", "softmax", "causal_d64_f16"),
    "softmax_window_d128": ("softmax sm_90a", "softmax", "window_d128", "sm_90a", "softmax", "window_d128"),
    "softmax_d256": ("softmax sm_90a", "softmax", "causal_d256", "sm_90a", "softmax", "causal_d256"),
    "softmax_sm80_gqa_d128": ("softmax sm_80", "softmax_sm80", "gqa_d128", "sm_80", "softmax", "gqa_d128"),
    "softmax_sm80_f16_d64": ("softmax sm_80", "softmax_sm80", "causal_d64_f16", "sm_80", "softmax",
                             "causal_d64_f16"),
    "decode_sm90": ("softmax decode", "decode/sm_90a", "decode", "sm_90a", "decode", None),
    "decode_sm80": ("softmax decode", "decode/sm_80", "decode", "sm_80", "decode", None),
    "paged_sm90": ("paged decode", "paged/paged", "paged", "sm_90a", "paged", None),
    "paged_sm80": ("paged decode", "paged/paged_sm80", "paged", "sm_80", "paged", None),
    "mla16": ("MLA latent", "mla/mla16", "mla16", "sm_90a", "mla", "mla16"),
    "mla128_paged": ("MLA latent", "mla/mla128_paged", "mla128_paged", "sm_90a", "mla", "mla128_paged"),
    "dsa16": ("DSA", "dsa/dsa16", "dsa16", "sm_90a", "dsa", "dsa16"),
    "dsa128_paged": ("DSA", "dsa/dsa128_paged", "dsa128_paged", "sm_90a", "dsa", "dsa128_paged"),
    "nsa_g1": ("NSA", "nsa", "nsa_g1", "sm_90a", "nsa", "nsa_g1"),
    "nsa_g2_sel24": ("NSA", "nsa", "nsa_g2_sel24", "sm_90a", "nsa", "nsa_g2_sel24"),
    "nsa_mlp": ("NSA", "nsa", "nsa_mlp", "sm_90a", "nsa", "nsa_mlp"),
    "nsa_mlp_sm80": ("NSA", "nsa/sm_80", "nsa_mlp", "sm_80", "nsa", "nsa_mlp"),
    "linear_gqa_f16": ("chunked linear (mma.sync)", "linear", "scalar_gqa_f16", "sm_90a", "linear",
                       "scalar_gqa_f16"),
    "linear_perkey_d64": ("chunked linear (mma.sync)", "linear", "perkey_d64", "sm_90a", "linear", "perkey_d64"),
    "linear_retnet_d64": ("chunked linear (mma.sync)", "linear", "retnet_d64", "sm_90a", "linear", "retnet_d64"),
    "linear_sm80_gqa_f16": ("chunked linear (mma.sync)", "linear_sm80", "scalar_gqa_f16", "sm_80", "linear",
                            "scalar_gqa_f16"),
    "linear_sm90_scalar_d128": ("chunked linear sm_90 (wgmma)", "linear", "scalar_d128", "sm_90a", "linear",
                                "scalar_d128"),
    "linear_sm90_perkey_d128": ("chunked linear sm_90 (wgmma)", "linear", "perkey_d128", "sm_90a", "linear",
                                "perkey_d128"),
}


def include_dir(args):
    return os.path.abspath(args.include or os.path.join(ROOT, "include"))


def build(args):
    for sub, (bench, options) in EMITS.items():
        bench.emit(SimpleNamespace(dir=os.path.join(args.dir, sub), compiler=args.compiler, **options))
    os.environ["NVCC_APPEND_FLAGS"] = (os.environ.get("NVCC_APPEND_FLAGS", "") + " -lineinfo").strip()

    def one(case):
        _, sub, name, arch, _, _ = CASES[case]
        softmax_cuda.build(os.path.join(args.dir, sub), name, include_dir(args), arch)
        return case
    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        for case in pool.map(one, CASES):
            print("built", case, flush=True)


# --- a case, in its own (sanitized) process -------------------------------------

class Cuda:
    """The CUDA runtime the launchers link (libcudart, loaded with them)."""

    def __init__(self):
        self.rt = ctypes.CDLL("libcudart.so.13")
        self.rt.cudaGetErrorString.restype = ctypes.c_char_p
        self.live = []

    def check(self, status, what):
        if status:
            raise RuntimeError(f"{what}: {self.rt.cudaGetErrorString(status).decode()}")

    def alloc(self, nbytes):
        p = ctypes.c_void_p()
        self.check(self.rt.cudaMalloc(ctypes.byref(p), ctypes.c_size_t(max(nbytes, 1))), "cudaMalloc")
        self.live.append(p)
        return p.value

    def upload(self, ptr, array):
        self.check(self.rt.cudaMemcpy(ctypes.c_void_p(ptr), array.ctypes.data_as(ctypes.c_void_p),
                                      ctypes.c_size_t(array.nbytes), 1), "cudaMemcpy to the device")

    def download(self, array, ptr):
        self.check(self.rt.cudaMemcpy(array.ctypes.data_as(ctypes.c_void_p), ctypes.c_void_p(ptr),
                                      ctypes.c_size_t(array.nbytes), 2), "cudaMemcpy to the host")

    def sync(self, what):
        self.check(self.rt.cudaDeviceSynchronize(), what)
        self.check(self.rt.cudaGetLastError(), what)

    def free_all(self):
        for p in self.live:
            self.rt.cudaFree(p)
        self.live = []


class Buffer:
    """A dense device tensor of exactly its bytes, duck-typed for
    softmax_cuda.describe (data_ptr, shape, stride)."""

    def __init__(self, cuda, shape, dtype, host=None, fill=None):
        import numpy as np
        self.cuda, self.shape, self.dtype = cuda, tuple(shape), np.dtype(dtype)
        self.nbytes = int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize
        self.ptr = cuda.alloc(self.nbytes)
        if host is not None:
            cuda.upload(self.ptr, np.ascontiguousarray(host, dtype=self.dtype))
        elif fill is not None:
            cuda.check(cuda.rt.cudaMemset(ctypes.c_void_p(self.ptr), fill, ctypes.c_size_t(self.nbytes)),
                       "cudaMemset")

    def data_ptr(self):
        return self.ptr

    def stride(self):
        strides, s = [], 1
        for n in reversed(self.shape):
            strides.append(s)
            s *= n
        return tuple(reversed(strides))

    def dim(self):
        return len(self.shape)

    def nan_count(self, float_type):
        """Elements still holding the 0xFF fill (NaN in any float type)."""
        import numpy as np
        host = np.empty(self.nbytes, np.uint8)
        self.cuda.download(host, self.ptr)
        word = {"bf16": np.uint16, "f16": np.uint16, "f32": np.uint32}[float_type]
        return int((host.view(word) == np.iinfo(word).max).sum())


class Inputs:
    """Random host tensors and their device copies for one launch."""

    def __init__(self, cuda, rng, fill):
        self.cuda, self.rng, self.fill, self.outputs = cuda, rng, fill, []

    def float(self, shape, dtype, scale=1.0, values=None):
        import numpy as np
        x = values if values is not None else self.rng.standard_normal(shape, dtype=np.float32) * scale
        x = np.asarray(x, np.float32)
        if dtype == "bf16":
            bits = x.view(np.uint32)
            host = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
            return Buffer(self.cuda, shape, np.uint16, host)
        if dtype == "f16":
            return Buffer(self.cuda, shape, np.float16, x.astype(np.float16))
        return Buffer(self.cuda, shape, np.float32, x)

    def ints(self, values, dtype):
        import numpy as np
        values = np.asarray(values)
        return Buffer(self.cuda, values.shape, dtype, values.astype(dtype))

    def output(self, shape, float_type):
        """An output; filled with 0xFF bytes (NaN) with --fill, else left
        uninitialized."""
        import numpy as np
        itemsize = 4 if float_type == "f32" else 2
        b = Buffer(self.cuda, shape, {2: np.uint16, 4: np.float32}[itemsize], fill=0xFF if self.fill else None)
        self.outputs.append((b, float_type))
        return b

    def pages(self, caches, lengths, page, dtype):
        """[B, S, H, D] host caches as a shuffled pool of pages [N, page, H, D]
        with spare pages, and the page table [B, M] (i32) whose entries past a
        sequence's pages point outside the pool (as softmax_cuda.to_pages)."""
        import numpy as np
        B, S = caches[0].shape[:2]
        M = (S + page - 1) // page
        pool = B * M + 3
        table = self.rng.permutation(pool)[:B * M].reshape(B, M).astype(np.int32)
        pools = []
        for x in caches:
            padded = np.zeros((B, M * page) + x.shape[2:], np.float32)
            padded[:, :S] = x
            p = self.rng.standard_normal((pool, page) + x.shape[2:], dtype=np.float32)  # spare pages: noise
            p[table.reshape(-1)] = padded.reshape((B * M, page) + x.shape[2:])
            pools.append(self.float(p.shape, dtype, values=p))
        used = np.arange(M)[None, :] * page < np.asarray(lengths)[:, None]
        return pools, self.ints(np.where(used, table, pool + 5), np.int32)


def T_(b):
    return ctypes.byref(describe(b))


def P_(b):
    return ctypes.c_void_p(b.ptr if b is not None else None)


def softmax_launches(variant, io):
    v = next(x for x in softmax_cuda.VARIANTS if x["name"] == variant)
    H, Hkv, D, Dv, dt = v["H"], v["Hkv"], v["D"], v["Dv"], v["dtype"]
    for B, T, S in SOFTMAX_SHAPES:
        q, k, val = io.float((B, H, T, D), dt), io.float((B, Hkv, S, D), dt), io.float((B, Hkv, S, Dv), dt)
        out, lse = io.output((B, H, T, Dv), dt), io.output((B, H, T), "f32")
        yield f"B={B} T={T} S={S}", [T_(q), T_(k), T_(val), T_(out), P_(lse)]


def cache_launches(kind, io):
    HQ, HKV, D = decode_cuda.HQ, decode_cuda.HKV, decode_cuda.D
    for B, T, S, lens in CACHE_SHAPES:
        q = io.float((B, HQ, T, D), "bf16")
        lengths = io.ints(lens, "int64")
        if kind == "decode":
            caches = [T_(io.float((B, HKV, S, D), "bf16")) for _ in range(2)]
        else:
            host = [io.rng.standard_normal((B, S, HKV, D), dtype="float32") for _ in range(2)]
            pools, table = io.pages(host, lens, paged_cuda.P, "bf16")
            caches = [T_(pools[0]), T_(pools[1]), T_(table)]
        out, lse = io.output((B, HQ, T, D), "bf16"), io.output((B, HQ, T), "f32")
        yield f"B={B} T={T} S={S} lengths={lens}", [T_(q), *caches, T_(lengths), T_(out), P_(lse)]


def latent(io, B, S, lens, page):
    """MLA's latent cache and RoPE keys, contiguous [B, 1, S, D] or in pages
    (pools [N, page, 1, D] and a table): the launcher's arguments."""
    DC, DR = mla_cuda.DC, mla_cuda.DR
    if not page:
        return [T_(io.float((B, 1, S, DC), "bf16")), T_(io.float((B, 1, S, DR), "bf16"))]
    host = [io.rng.standard_normal((B, S, 1, d), dtype="float32") for d in (DC, DR)]
    pools, table = io.pages(host, lens, page, "bf16")
    return [T_(pools[0]), T_(pools[1]), T_(table)]


def mla_launches(variant, io):
    heads, page = mla_cuda.PROGRAMS[variant]
    DC, DR = mla_cuda.DC, mla_cuda.DR
    for B, T, S, lens in MLA_SHAPES[variant]:
        q, qr = io.float((B, heads, T, DC), "bf16"), io.float((B, heads, T, DR), "bf16")
        caches = latent(io, B, S, lens, page)
        lengths = io.ints(lens, "int32")
        out, lse = io.output((B, heads, T, DC), "bf16"), io.output((B, heads, T), "f32")
        yield f"B={B} T={T} S={S} lengths={lens}", [T_(q), T_(qr), *caches, T_(lengths), T_(out), P_(lse)]


def dsa_launches(variant, io):
    heads, ih, idim, top, wtype, page = dsa_cuda.PROGRAMS[variant]
    DC, DR = mla_cuda.DC, mla_cuda.DR
    for B, T, S, lens in DSA_SHAPES[variant]:
        q, qr = io.float((B, heads, T, DC), "bf16"), io.float((B, heads, T, DR), "bf16")
        caches = latent(io, B, S, lens, page)
        # The indexer keys padded to the pages' slots, as dsa_cuda.py passes them.
        slots = -(-S // page) * page if page else S
        iq, ik = io.float((B, ih, T, idim), "bf16"), io.float((B, 1, slots, idim), "bf16")
        iw = io.float((B, ih, T), wtype, values=io.rng.random((B, ih, T), dtype="float32"))
        lengths = io.ints(lens, "int32")
        out, lse = io.output((B, heads, T, DC), "bf16"), io.output((B, heads, T), "f32")
        yield (f"B={B} T={T} S={S} lengths={lens}",
               [T_(q), T_(qr), *caches, T_(iq), T_(ik), T_(iw), T_(lengths), T_(out), P_(lse)])


def nsa_launches(variant, io):
    spec = nsa_cuda.VARIANTS[variant]
    Hq, Hkv, D, dt, gdt = spec[:5]
    top = spec[6][3]
    for B, T in NSA_SHAPES:
        q, k, v = io.float((B, Hq, T, D), dt), io.float((B, Hkv, T, D), dt), io.float((B, Hkv, T, D), dt)
        g = io.float((B, Hq, T, 3), gdt)
        weights = []
        if len(spec) > 7:  # MLP pooling: (pe, W1, W2) for keys, then for values
            l, hidden = spec[6][0], spec[7]
            for _ in range(2):
                weights += [io.float((l, D), dt, 0.5), io.float((l * D, hidden), dt, (l * D) ** -0.5),
                            io.float((hidden, D), dt, hidden ** -0.5)]
        out = io.output((B, Hq, T, D), dt)
        selection = Buffer(io.cuda, (B, Hkv, T, top), "int32")  # -1 pads it: no fill check
        yield f"B={B} T={T}", [T_(x) for x in (q, k, v, g, *weights, out)] + [P_(selection)]


def linear_launches(variant, io):
    import numpy as np
    v = next(x for x in linear_cuda.VARIANTS if x["name"] == variant)
    H, Hkv, Dk, Dv, dt = v["H"], v["Hkv"], v["Dk"], v["Dv"], v["dtype"]
    for B, T in LINEAR_SHAPES:
        args = [io.float((B, H, T, Dk), dt), io.float((B, Hkv, T, Dk), dt), io.float((B, Hkv, T, Dv), dt)]
        gshape = {"token": (B, H, T), "key": (B, H, T, Dk)}.get(v["gates"])
        if gshape:  # log-decays, as linear_cuda.inputs: logsigmoid(x + 3) / 2
            x = io.rng.standard_normal(gshape, dtype=np.float32) + 3
            args.append(io.float(gshape, "f32", values=-np.logaddexp(0, -x) * 0.5))
        if v["state"]:
            args.append(io.float((B, H, Dk, Dv), "f32"))
        args.append(io.output((B, H, T, Dv), dt))
        if v["state"]:
            args.append(io.output((B, H, Dk, Dv), "f32"))
        yield f"B={B} T={T}", [T_(x) for x in args]


LAUNCHES = {"softmax": softmax_launches, "decode": lambda _, io: cache_launches("decode", io),
            "paged": lambda _, io: cache_launches("paged", io), "mla": mla_launches, "dsa": dsa_launches,
            "nsa": nsa_launches, "linear": linear_launches}


def case(args):
    import numpy as np
    _, sub, name, _, kind, variant = CASES[args.name]
    fn, err = linear_cuda.load(os.path.join(args.dir, sub, name + ".so"), name)
    cuda = Cuda()
    rng = np.random.default_rng(0)
    failed = 0
    io = Inputs(cuda, rng, args.fill)
    for label, call_args in LAUNCHES[kind](variant, io):
        rc = fn(*call_args, None)
        cuda.sync(f"{args.name} {label}")
        unwritten = sum(b.nan_count(t) for b, t in io.outputs) if args.fill and rc == 0 else 0
        status = "ok" if rc == 0 and unwritten == 0 else \
            (f"REFUSED rc={rc}: {err().decode()}" if rc else f"UNWRITTEN: {unwritten} output elements")
        failed += status != "ok"
        print(f"launch {args.name} {label}: {status}", flush=True)
        cuda.free_all()
        io = Inputs(cuda, rng, args.fill)
    print(f"CASE {args.name}: {'FAILED' if failed else 'all launches ok'}", flush=True)
    return 1 if failed else 0


# --- the runs under compute-sanitizer ------------------------------------------

SANITIZER = shutil.which("compute-sanitizer") or os.path.join(os.environ.get("CUDA_HOME", "/usr/local/cuda"), "bin",
                                                              "compute-sanitizer")
SUMMARY = re.compile(r"ERROR SUMMARY: (\d+) errors?")
RACES = re.compile(r"RACECHECK SUMMARY: (\d+) hazards? displayed \((\d+) errors?, (\d+) warnings?\)")


def sanitize(args, name, tool):
    left = args.deadline - time.time()
    if left < 20:
        return dict(name=name, tool=tool, rc=None, errors=None, races=None, ran=False, seconds=0, heads=[],
                    text="not run: past the deadline", launches=[])
    cmd = [SANITIZER, "--tool", tool, "--print-limit", "20", "--error-exitcode", "86",
           sys.executable, os.path.abspath(__file__), "case", args.dir, name] + ([] if tool == "initcheck" else
                                                                                ["--fill"])
    start = time.time()
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=min(args.timeout, left - 10))
        text, rc = r.stdout + r.stderr, r.returncode
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        text, rc = out + f"\nTIMEOUT after {time.time() - start:.0f} s", -1
    seconds = time.time() - start
    m = SUMMARY.search(text)
    errors = int(m.group(1)) if m else None
    races = RACES.search(text)
    ran = "all launches ok" in text
    # Distinct report headlines (sanitizer lines without the address detail).
    heads = []
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("=========") and re.search(r"Invalid|Race|[Hh]azard|Uninitialized|Barrier|error|"
                                                  r"Error|Warning|Misaligned|Out of range|Unused", s) \
                and "ERROR SUMMARY" not in s and "RACECHECK SUMMARY" not in s:
            s = re.sub(r"0x[0-9a-f]+", "0x…", s)
            if s not in heads:
                heads.append(s)
    result = dict(name=name, tool=tool, rc=rc, errors=errors, races=races and races.group(0), ran=ran,
                  seconds=seconds, heads=heads[:12], text=text,
                  launches=[l for l in text.splitlines() if l.startswith("launch ") and not l.endswith(": ok")])
    print(f"{name} {tool}: {cell(result)} ({seconds:.0f} s)", flush=True)
    if args.log:
        with open(args.log, "a") as f:
            f.write(f"##### {name} {tool} rc={rc} {seconds:.0f} s\n{text}\n")
    return result


def cell(r):
    if r["rc"] is None:
        return "not run"
    if r["errors"] is None:
        return "no summary (rc %d%s)" % (r["rc"], ", timed out" if "TIMEOUT" in r["text"] else "")
    text = str(r["errors"])
    if r["races"] and "(0 errors, 0 warnings)" not in r["races"]:
        text += " (" + r["races"].split("(")[1]
    if not r["ran"]:
        text += " (case FAILED)"
    return text


def run(args):
    version = subprocess.run([SANITIZER, "--version"], capture_output=True, text=True).stdout
    args.dir = os.path.abspath(args.dir)
    args.deadline = time.time() + args.budget
    if args.log:
        open(args.log, "w").close()
    names = args.only.split(",") if args.only else list(CASES)
    tools = args.tools.split(",")
    jobs = [(n, t) for t in tools for n in names]
    start = time.time()
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda j: sanitize(args, *j), jobs))
    wall = time.time() - start
    by = {(r["name"], r["tool"]): r for r in results}
    try:
        gpu = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True).stdout.strip()
    except OSError:
        gpu = "?"
    md = ["# compute-sanitizer over the generated CUDA kernels",
          "", f"{datetime.date.today()}, {gpu}, {version.strip().splitlines()[-1] if version.strip() else '?'}; "
          f"{len(jobs)} sanitized processes, {args.jobs} at a time, {wall:.0f} s.",
          "", "Command: `python3 bench/gpu/sanitize.py build DIR --compiler build/bin/attention-opt` here "
          "(the benches' emit() and build(), nvcc 13.0 with -lineinfo), DIR carried to the GPU machine, then there "
          "`python3 bench/gpu/sanitize.py run DIR --out gpu-sanitize.md`: per case and tool "
          "`compute-sanitizer --tool TOOL --print-limit 20 --error-exitcode 86 python3 sanitize.py case DIR CASE "
          "[--fill]`.",
          "", "Each cell: the errors compute-sanitizer reports for every launch of the case (its ERROR SUMMARY; "
          "racecheck's hazards in brackets when any). Shapes: softmax (B, T, S) " +
          ", ".join(map(str, SOFTMAX_SHAPES)) + "; decode and paged decode (B, T, S, lengths) " +
          ", ".join(map(str, CACHE_SHAPES)) + " (pages of 16 shuffled through a pool with spare pages, table "
          "entries past a sequence's pages outside the pool); MLA " + str(MLA_SHAPES) + "; DSA " +
          str(DSA_SHAPES) + "; NSA (B, T) " + ", ".join(map(str, NSA_SHAPES)) + "; linear (B, T) " +
          ", ".join(map(str, LINEAR_SHAPES)) + ". Outside initcheck, outputs start as NaN bytes and every "
          "element must be written.",
          "", "| family | case (launcher, arch) | " + " | ".join(tools) + " |",
          "|---|---|" + "---|" * len(tools)]
    clean = True
    for n in names:
        family, sub, fname, arch = CASES[n][:4]
        cells = [cell(by[(n, t)]) for t in tools]
        clean &= all(by[(n, t)]["errors"] == 0 and by[(n, t)]["ran"] for t in tools)
        md.append(f"| {family} | {n} ({fname}, {arch}) | " + " | ".join(cells) + " |")
    details = [r for r in results if r["errors"] or not r["ran"]]
    if details:
        md += ["", "## Reports", ""]
        for r in details:
            md.append(f"- {r['name']} / {r['tool']}: " + (r["races"] or "") + " " +
                      "; ".join(r["launches"][:4]))
            md += [f"  - `{h}`" for h in r["heads"]]
    md += ["", "NO ERRORS" if clean else "ERRORS FOUND"]
    text = "\n".join(md) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    return 0 if clean else 1


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("dir")
    b.add_argument("--compiler", default=os.path.join(ROOT, "build", "bin", "attention-opt"))
    b.add_argument("--include")
    r = sub.add_parser("run")
    r.add_argument("dir")
    r.add_argument("--out")
    r.add_argument("--log")
    r.add_argument("--jobs", type=int, default=8)
    r.add_argument("--timeout", type=int, default=300, help="seconds for one sanitized process")
    r.add_argument("--budget", type=int, default=520, help="seconds for the whole run: later jobs are skipped")
    r.add_argument("--tools", default=",".join(TOOLS))
    r.add_argument("--only")
    c = sub.add_parser("case")
    c.add_argument("dir")
    c.add_argument("name", choices=sorted(CASES))
    c.add_argument("--fill", action="store_true")
    args = ap.parse_args()
    return {"build": build, "run": run, "case": case}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
