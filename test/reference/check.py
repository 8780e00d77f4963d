#!/usr/bin/python3
"""Run an example through attention-run on random inputs and compare its
result with the independent numpy reference (reference.py).

usage: check.py ATTENTION_RUN EXAMPLE.mlir FAMILY [--dim N=V ...] [--seed N]
                [--lengths L0,L1,...] [--tol 1e-9] [--param NAME=VALUE ...]
                [--expect-zero-rows] [--function NAME] [--result N]

Checks: the relative error max|ref - out| / max(max|ref|, 1e-300) <= tol, no
NaN or inf in the output (except -inf exactly where the reference has it: a
log-sum-exp of a row that sees no key), and every query row that sees no key
is exactly 0. --result N compares result N of a function with several.
--expect-zero-rows also requires such rows to exist (so a test meant to cover
fully masked rows really does). Prints one summary line; exits 1 on failure.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402


def parse_value(text):
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("attention_run")
    ap.add_argument("example")
    ap.add_argument("family", choices=sorted(reference.FAMILIES))
    ap.add_argument("--dim", action="append", default=[], metavar="N=V")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lengths", default=None, metavar="L0,L1,...",
                    help="fixed sequence lengths (attention-run --lengths)")
    ap.add_argument("--tol", type=float, default=1e-9)
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                    help="override a parameter of the reference (e.g. w=16)")
    ap.add_argument("--expect-zero-rows", action="store_true",
                    help="require fully masked query rows to exist (and be 0)")
    ap.add_argument("--function", default=None)
    ap.add_argument("--result", type=int, default=None,
                    help="compare this result of a function with several")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()

    func, params = reference.FAMILIES[args.family]
    params = dict(params)
    for kv in args.param:
        name, _, value = kv.partition("=")
        if name not in params:
            fail("family %s has no parameter %r (has: %s)"
                 % (args.family, name, ", ".join(sorted(params)) or "none"))
        params[name] = parse_value(value)

    tmp = tempfile.mkdtemp(prefix="attn-check-")
    try:
        cmd = [args.attention_run, args.example, "--random-inputs",
               "--seed", str(args.seed)]
        if args.function:
            cmd += ["--function", args.function]
        for d in args.dim:
            cmd += ["--dim", d]
        if args.lengths:
            cmd += ["--lengths", args.lengths]
        cmd += ["--save-inputs", "--result-type=f64", "--output-dir", tmp]
        try:
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  universal_newlines=True)
        except OSError as e:
            fail("cannot run %s: %s" % (args.attention_run, e))
        if proc.returncode != 0:
            sys.stdout.write(proc.stdout)
            fail("attention-run exited with %d: %s" % (proc.returncode, " ".join(cmd)))

        inputs = []
        i = 0
        while os.path.exists(os.path.join(tmp, "input%d.npy" % i)):
            inputs.append(np.load(os.path.join(tmp, "input%d.npy" % i)))
            i += 1
        if not inputs:
            fail("attention-run saved no inputs in " + tmp)
        for i, x in enumerate(inputs):
            if x.dtype.kind == "f" and x.dtype != np.float32:
                fail("input%d has dtype %s, expected f32" % (i, x.dtype))
            if x.dtype.kind in "iu" and x.dtype != np.int64:
                fail("input%d has dtype %s, expected i64" % (i, x.dtype))
        index = args.result or 0
        rpath = os.path.join(tmp, "result%d.npy" % index)
        if not os.path.exists(rpath):
            fail("attention-run wrote no result%d.npy" % index)
        out = np.load(rpath)
        if args.result is None and os.path.exists(os.path.join(tmp, "result1.npy")):
            fail("expected exactly one result")
        if out.dtype != np.float64:
            fail("result%d has dtype %s, expected float64 (--result-type=f64)"
                 % (index, out.dtype))

        ref, empty = func(*inputs, **params)
        if out.shape != ref.shape:
            fail("result shape %s, reference shape %s" % (out.shape, ref.shape))
        minus_inf = np.isneginf(ref)
        if not np.array_equal(np.isneginf(out), minus_inf):
            fail("-inf at %d entries, the reference at %d"
                 % (np.isneginf(out).sum(), minus_inf.sum()))
        out = np.where(minus_inf, 0.0, out)
        ref = np.where(minus_inf, 0.0, ref)
        if not np.all(np.isfinite(out)):
            fail("result has %d NaN and %d inf entries"
                 % (np.isnan(out).sum(), np.isinf(out).sum()))

        nzero = 0
        if empty is not None:
            empty = np.asarray(empty)
            nzero = int(empty.sum())
            bad = np.abs(out[empty]).max() if nzero else 0.0
            if nzero and bad != 0.0:
                fail("%d fully masked rows must be exactly 0, max |out| there = %g"
                     % (nzero, bad))
        if args.expect_zero_rows and nzero == 0:
            fail("--expect-zero-rows: this configuration has no fully masked row")

        scale = max(float(np.abs(ref).max()) if ref.size else 0.0, 1e-300)
        err = float(np.abs(ref - out).max()) / scale if ref.size else 0.0
        shapes = " ".join("x".join(map(str, x.shape)) for x in inputs)
        summary = "%s %s [%s] -> %s rel.err %.3g (tol %g), zero rows %d" % (
            args.family, os.path.basename(args.example), shapes,
            "x".join(map(str, out.shape)), err, args.tol, nzero)
        if not err <= args.tol:
            where = np.unravel_index(np.argmax(np.abs(ref - out)), ref.shape)
            fail(summary + "; worst at %s: ref %r out %r"
                 % (tuple(int(x) for x in where), ref[where], out[where]))
        print("PASS: " + summary)
    finally:
        if args.keep:
            print("kept " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
