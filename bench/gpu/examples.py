#!/usr/bin/env python3
"""Every example as written on the GPU, against the reference interpreter.

  build DIR  (here: attention-opt, attention-run, nvcc; no GPU) compiles each
             example with `attention-opt FILE --emit=cuda` for sm_90a and sm_80
             (the pipeline a DSL file needs runs by default; f32 programs keep
             their f32 C ABI around bf16 kernels) into DIR/<example>/<arch>/
             attention.so, and for each size writes the interpreter's random
             inputs and its result (attention-run --save-inputs; computed in f64,
             saved in f32) to
             DIR/<example>/<size>/.
  run DIR    (on the GPU) calls each launcher on those inputs and compares its
             output with the interpreter's: max |gpu - ref| / max |ref|. sm_80
             kernels run on the H100 as PTX compiled at load time.

Examples the CUDA backend does not compile yet are listed with its message.

Usage: bench/gpu/examples.py build DIR [--compiler build/bin/attention-opt]
       bench/gpu/examples.py run DIR [--out FILE.md]
"""
import argparse
import ctypes
import datetime
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from softmax_cuda import ROOT, Tensor  # noqa: E402
ARCHES = {"sm_90a": "-gencode=arch=compute_90a,code=sm_90a",
          "sm_80": "-gencode=arch=compute_80,code=compute_80"}
# Sizes per example (attention-run --dim): T = 1, T not a multiple of a tile,
# and queries at the end of a longer cache where the program allows S != T.
SIZES = {
    "default": ["T=1", "T=65", "B=1,T=40,S=300"],
    "self": ["T=1", "T=65", "B=1,T=200"],  # programs whose keys are the queries' own
    "paged": ["T=1,M=3", "T=4,M=9"],  # a paged cache: decode (T x group <= 16)
}
SIZE_KIND = {"gla": "self", "mamba2": "self", "retnet": "self", "linear": "self",
             "nsa": "self", "nsa_fused": "self", "nsa_mlp": "self",
             "paged_decode": "paged"}
# bf16 tensor-core inputs: each input rounds to 8 bits of mantissa.
TOLERANCE = 3e-2


def examples():
    return sorted(f[:-5] for f in os.listdir(os.path.join(ROOT, "examples"))
                  if f.endswith(".mlir"))


def size_name(size):
    return size.replace(",", "_").replace("=", "")


# --- here -------------------------------------------------------------------

def build(args):
    tools = os.path.dirname(os.path.abspath(args.compiler))
    include = os.path.join(ROOT, "include")
    manifest = {}

    def one(name):
        path = os.path.join(ROOT, "examples", name + ".mlir")
        entry = {"arches": {}, "sizes": []}
        for arch, gencode in ARCHES.items():
            out = os.path.join(args.dir, name, arch)
            r = subprocess.run([args.compiler, path, "--emit=cuda", "--cuda-arch=" + arch,
                                "-o", out], capture_output=True, text=True)
            if r.returncode:
                message = [l for l in r.stderr.splitlines() if "error:" in l]
                entry["arches"][arch] = {"error": (message or [r.stderr.strip()])[0]}
                continue
            so = os.path.join(out, "attention.so")
            r = subprocess.run(["nvcc", "-O3", "-shared", "-Xcompiler", "-fPIC", "-cudart",
                                "shared", gencode, "-I", include, "-I", out,
                                os.path.join(out, "attention.cu"), "-o", so],
                               capture_output=True, text=True)
            if r.returncode:
                entry["arches"][arch] = {"error": "nvcc: " + r.stderr[-2000:]}
                continue
            with open(os.path.join(out, "attention.h")) as f:
                signature = re.search(r"^int attention\((.*)\);$", f.read(), re.M).group(1)
            entry["arches"][arch] = {"params": [p.strip() for p in signature.split(",")][:-1]}
        if not any("params" in a for a in entry["arches"].values()):
            return name, entry
        # The integer arguments' C types, from the signature.
        with open(path) as f:
            text = f.read()
        header = re.search(r"func\.func @attention\((.*?)\)\s*->", text, re.S).group(1)
        entry["int_types"] = re.findall(r"tensor<[^>]*x(i32|i64)>", header)
        for i, size in enumerate(SIZES[SIZE_KIND.get(name, "default")]):
            io = os.path.join(args.dir, name, size_name(size))
            cmd = [os.path.join(tools, "attention-run"), path, "--random-inputs",
                   "--seed", str(i + 1), "--save-inputs",
                   "--output-dir", io]
            for d in size.split(","):
                cmd += ["--dim", d]
            subprocess.run(cmd, check=True, capture_output=True)
            entry["sizes"].append(size)
        return name, entry

    with ThreadPoolExecutor(max(1, (os.cpu_count() or 2))) as pool:
        for name, entry in pool.map(one, examples()):
            manifest[name] = entry
            print("built", name, {a: ("ok" if "params" in v else "refused")
                                  for a, v in entry["arches"].items()}, flush=True)
    with open(os.path.join(args.dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


# --- on the GPU ---------------------------------------------------------------

def describe(t):
    """softmax_cuda.describe for tensors of rank 4 or less (lengths, weights)."""
    shape = list(t.shape) + [1] * (4 - t.dim())
    strides = list(t.stride()) + [0] * (4 - t.dim())
    return Tensor(t.data_ptr(), (ctypes.c_int64 * 4)(*shape), (ctypes.c_int64 * 4)(*strides))


def call(so, params, inputs, int_types, expected_shape):
    """The launcher on `inputs` (numpy, in argument order): the output."""
    import torch
    lib = ctypes.CDLL(so)
    fn = lib.attention
    fn.restype = ctypes.c_int
    err = lib.attention_error
    err.restype = ctypes.c_char_p
    ints = iter(int_types)
    tensors = []
    for x in inputs:
        if x.dtype.kind in "iu":
            x = x.astype(np.int32 if next(ints) == "i32" else np.int64)
        tensors.append(torch.from_numpy(np.ascontiguousarray(x)).cuda())
    out = torch.full(expected_shape, float("nan"), device="cuda", dtype=torch.float32)
    args, keep, given = [], [], iter(tensors)
    for p in params:
        if p.startswith("const attn_cuda_tensor"):
            d = describe(next(given))
        elif p.startswith("attn_cuda_tensor"):
            d = describe(out)
        else:  # the log-sum-exp or NSA's selection: optional outputs
            args.append(None)
            continue
        keep.append(d)
        args.append(ctypes.byref(d))
    if fn(*args, None):
        raise RuntimeError(err().decode())
    torch.cuda.synchronize()
    return out.double().cpu().numpy()


def run(args):
    import torch
    with open(os.path.join(args.dir, "manifest.json")) as f:
        manifest = json.load(f)
    rows, ok_all = [], True
    for name, entry in sorted(manifest.items()):
        for arch in ARCHES:
            a = entry["arches"][arch]
            if "params" not in a:
                rows.append(f"| {name} | {arch} | not compiled: {a['error'].split('error: ')[-1]} | | |")
                continue
            so = os.path.join(args.dir, name, arch, "attention.so")
            for size in entry["sizes"]:
                io = os.path.join(args.dir, name, size_name(size))
                inputs = []
                while os.path.exists(os.path.join(io, f"input{len(inputs)}.npy")):
                    inputs.append(np.load(os.path.join(io, f"input{len(inputs)}.npy")))
                ref = np.load(os.path.join(io, "result0.npy"))
                try:
                    out = call(so, a["params"], inputs, entry["int_types"], ref.shape)
                    finite = bool(np.isfinite(out).all())
                    err = float(np.abs(out - ref).max() / max(np.abs(ref).max(), 1e-300)) \
                        if ref.size else 0.0
                    ok = finite and err <= TOLERANCE
                    note = "" if finite else "non-finite output"
                except RuntimeError as e:
                    ok, err, note = False, float("nan"), str(e)
                ok_all &= ok
                rows.append(f"| {name} | {arch} | {size} | {err:.2e} | {'PASS' if ok else 'FAIL'} {note} |")
                print(rows[-1], flush=True)
    device = torch.cuda.get_device_name()
    lines = [
        "# Every example on the GPU against the interpreter",
        "",
        f"{datetime.date.today()}, {device}. Command: `bench/gpu/examples.py build DIR` here "
        "(attention-opt FILE --emit=cuda for each arch, nvcc, the interpreter's random inputs "
        "and f64 results), `bench/gpu/examples.py run DIR` on the GPU.",
        "",
        "f32 examples run through their f32 C ABI: the launcher converts q, k, v (and NSA's "
        "pooling weights) to bf16 copies and the output back; the error is the normwise "
        f"max |gpu - ref| / max |ref| against the f64 interpreter, accepted up to {TOLERANCE} "
        "(bf16 inputs). sm_80 kernels run as PTX compiled by the driver.",
        "",
        "| example | arch | sizes | error | |",
        "|---|---|---|---|---|",
        *rows,
        "",
        "ALL PASS" if ok_all else "SOME FAIL",
    ]
    text = "\n".join(lines) + "\n"
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    print(text)
    return 0 if ok_all else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("dir")
    b.add_argument("--compiler", default=os.path.join(ROOT, "build", "bin", "attention-opt"))
    r = sub.add_parser("run")
    r.add_argument("dir")
    r.add_argument("--out")
    args = ap.parse_args()
    return build(args) if args.cmd == "build" else run(args)


if __name__ == "__main__":
    sys.exit(main())
