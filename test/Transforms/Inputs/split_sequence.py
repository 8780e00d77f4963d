#!/usr/bin/python3
"""Check the decode form of a program: running it on a sequence cut into
pieces, each call starting from the state the previous one returned, gives
the outputs of the original program on the whole sequence.

usage: split_sequence.py ATTENTION_RUN ORIGINAL.mlir DECODE.mlir
           --pieces 7,1,12 [--dim N=V ...] [--seed N] [--tol 1e-9]

DECODE.mlir is ORIGINAL.mlir after attn-expose-state: one extra argument
(the initial state) and one extra result (the final state). Inputs cut along
axis 2 (time) where that axis has the sequence length; use a length that no
other size equals. Prints one summary line; exits 1 on failure.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def run(cmd):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    if proc.returncode != 0:
        fail("%s exited with %d:\n%s" % (" ".join(cmd), proc.returncode,
                                         proc.stdout))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("attention_run")
    ap.add_argument("original")
    ap.add_argument("decode")
    ap.add_argument("--pieces", required=True)
    ap.add_argument("--dim", action="append", default=[], metavar="N=V")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tol", type=float, default=1e-9)
    args = ap.parse_args()
    pieces = [int(p) for p in args.pieces.split(",")]
    length = sum(pieces)

    tmp = tempfile.mkdtemp(prefix="attn-split-")
    try:
        full = os.path.join(tmp, "full")
        cmd = [args.attention_run, args.original, "--random-inputs",
               "--seed", str(args.seed), "--dim", "T=%d" % length]
        for d in args.dim:
            cmd += ["--dim", d]
        run(cmd + ["--save-inputs", "--output-dir", full])
        inputs = []
        while os.path.exists(os.path.join(full, "input%d.npy" % len(inputs))):
            inputs.append(np.load(os.path.join(full, "input%d.npy" % len(inputs))))
        expected = np.load(os.path.join(full, "result0.npy"))

        state = None
        outputs = []
        start = 0
        for i, size in enumerate(pieces):
            piece = os.path.join(tmp, "piece%d" % i)
            os.makedirs(piece)
            files = []
            for j, x in enumerate(inputs):
                if x.ndim >= 3 and x.shape[2] == length:
                    x = x[:, :, start:start + size]
                files.append(os.path.join(piece, "in%d.npy" % j))
                np.save(files[-1], np.ascontiguousarray(x))
            if state is None:
                batch, heads = expected.shape[:2]
                shape = (batch, heads, inputs[0].shape[3], expected.shape[3])
                state = np.zeros(shape, dtype=expected.dtype)
            files.append(os.path.join(piece, "state.npy"))
            np.save(files[-1], state)
            run([args.attention_run, args.decode, "--inputs"] + files +
                ["--output-dir", piece])
            outputs.append(np.load(os.path.join(piece, "result0.npy")))
            state = np.load(os.path.join(piece, "result1.npy"))
            start += size

        actual = np.concatenate(outputs, axis=2)
        if actual.shape != expected.shape:
            fail("shape %s, expected %s" % (actual.shape, expected.shape))
        if not np.all(np.isfinite(actual)):
            fail("non-finite outputs")
        error = np.max(np.abs(actual - expected)) / max(np.max(np.abs(expected)), 1e-300)
        status = "PASS" if error <= args.tol else "FAIL"
        print("%s: %d pieces %s, max relative error %.3e (tolerance %.1e)"
              % (status, len(pieces), args.pieces, error, args.tol))
        sys.exit(0 if status == "PASS" else 1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
