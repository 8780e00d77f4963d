#!/usr/bin/env python3
"""Linear attention decode: one new token against the recurrent state, timed
against a device copy of the state (run bench/gpu/linear_cuda.py emit DIR
first; the numerics of T <= 16 are checked by linear_cuda.py run).

A step reads the f32 state [B, H, Dk, Dv] and writes the new one (plus a
token of q, k, v, gates and the output): the copy moves the same state bytes
(read + write), so 'x copy' is the share of copy bandwidth the step reaches.

Usage (repository root, on the GPU):
  python3 bench/gpu/linear_step.py DIR [--out FILE.md]
"""
import argparse, ctypes, datetime, os, sys
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import linear_cuda as L  # noqa: E402
from softmax_cuda import back_to_back, publish  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--out")
    args = ap.parse_args()
    variants = {v["name"]: v for v in L.variants("sm_90a")}
    rows = []
    for name in ("scalar_d128", "perkey_d128"):
        v = variants[name]
        fn, err, _ = L.build(args.dir, name, os.path.join(L.ROOT, "include"), "sm_90a")
        for B in (1, 32, 128):
            q, k, val, g, init = L.inputs(v, B, 1, "cuda")
            out = torch.empty(B, v["H"], 1, v["Dv"], device="cuda", dtype=q.dtype)
            final = torch.empty_like(init)

            # The launcher's arguments made once: per-call Python work would
            # hide a step of a few microseconds.
            ts = [q, k, val] + ([g] if v["gates"] in ("token", "key") else []) + [init, out, final]
            descs = [L.describe(t) for t in ts]
            launch = [ctypes.byref(d) for d in descs] + [None]

            def step():
                if fn(*launch):
                    raise RuntimeError(err().decode())
            t = back_to_back(step)
            src, dst = torch.empty_like(init), torch.empty_like(init)
            t_copy = back_to_back(lambda: dst.copy_(src))
            state = init.numel() * 4
            rows.append(f"| {name} | {B} | {v['H']} | {state / 1e6:.1f} MB | {t * 1e3:.1f} us "
                        f"({2 * state / t / 1e6:.0f} GB/s) | {t_copy * 1e3:.1f} us | {t_copy / t:.2f} |")
            print(rows[-1], flush=True)
    md = ["# Linear attention decode step: attention-opt --emit=cuda (sm_90a) vs a copy of the state", "",
          f"{datetime.date.today()}, {torch.cuda.get_device_name()}, torch {torch.__version__}, median over 15 runs "
          "of 20 back-to-back calls (CUDA events).", "",
          "Command: `python3 bench/gpu/linear_cuda.py emit DIR` here, then on the GPU "
          "`python3 bench/gpu/linear_step.py DIR --out gpu-linear-step.md`.", "",
          "T = 1 with the initial state in and the final state out (f32 [B, H, Dk, Dv], Dk = Dv = 128, bf16 "
          "q, k, v); GB/s counts the state read and written; the copy moves the same bytes.", "",
          "| variant | B | H | state | ours | copy | x copy |", "|---|---|---|---|---|---|---|", *rows]
    publish(md, True, args.out)


if __name__ == "__main__":
    main()
