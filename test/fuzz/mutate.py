#!/usr/bin/env python3
"""Mutation fuzzer for attention-opt and attention-run (python3 stdlib only).

Seeds: examples/*.mlir, test/**/Inputs/*.mlir and their generic forms
(printed by attention-opt --mlir-print-op-generic at start-up). Each mutant
applies 1-4 text mutations (numbers, dims, element types, keywords, op names,
SSA uses, attn.dims strings; deleted, duplicated, swapped or foreign lines;
garbage; truncation) and goes through

  attention-opt MUTANT                      parse + verify
and, when that verifies, a random selection of
  attention-opt MUTANT --PASS               every attn pass and pipeline
  attention-opt MUTANT --emit=cuda|cpu -o DIR
  attention-run MUTANT --random-inputs ...  the interpreter
  attention-run ... --compare-pipeline=P    a pass against the interpreter
  attention-run ... --backend cpu --check   the CPU backend against it
  attention-run MUTANT --inputs BAD.npy...  mutated .npy inputs

A finding is
  crash         a signal, an exit code other than 0 and 1, or a sanitizer,
                assertion or LLVM fatal-error report;
  hang          past the timeout, and again past three times it;
  roundtrip     a verified program's printed form (custom or generic) that
                does not parse and verify;
  disagreement  --check or --compare-pipeline ran both sides and printed FAIL,
                on two seeds, with a changed shape or an error far beyond
                rounding (1e-2 for the f32 CPU backend, 1e-6 for an f64
                pass) on a program whose float literals are all moderate
                (a NaN literal or a scale of 1e30 makes f32 differ by design).
Each finding is minimized (lines deleted while it reproduces) and written to
OUT/<kind>-<n>/ as input.mlir, cmd.sh (the command, runnable from anywhere)
and output.txt.

Mutant i depends only on (seed, i): `--seed 1 --iterations 500` is the same
run every time, and `--only I` replays one mutant. With --budget the run
stops issuing mutants after that many seconds.

  test/fuzz/mutate.py --budget 240 --seed 1 --bin build/bin --out /tmp/findings
Exit status: 0 no finding, 1 findings (listed), 2 usage error.
"""

import argparse
import concurrent.futures
import glob
import hashlib
import math
import os
import random
import re
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ---------------------------------------------------------------------------
# Seeds
# ---------------------------------------------------------------------------


def seed_files():
    files = sorted(glob.glob(os.path.join(ROOT, "examples", "*.mlir")))
    files += sorted(glob.glob(os.path.join(ROOT, "test", "**", "Inputs", "*.mlir"),
                              recursive=True))
    return files


def load_seeds(opt, tmp):
    seeds = []
    for path in seed_files():
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        name = os.path.relpath(path, ROOT)
        seeds.append((name, text))
    # Generic forms reach the verifiers without the custom parsers' checks.
    generic = []
    for name, text in seeds:
        r = run_tool([opt, "-", "--mlir-print-op-generic"], 60, stdin=text)
        if r.rc == 0 and r.out:
            generic.append((name + " (generic)", r.out))
    return seeds + generic


# ---------------------------------------------------------------------------
# Mutations: each takes (rng, text, ctx) and returns the new text or None.
# ---------------------------------------------------------------------------

INTS = [0, 1, -1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127,
        128, 255, 256, 1000, 4096, 65535, 65536, 2**24, 2**31 - 1, 2**31,
        2**32, 2**32 + 1, 2**62, 2**63 - 1, 2**63, -2**31, -2**63,
        99999999999999999999]
FLOATS = ["0.0", "-0.0", "1.0", "-1.0", "0.5", "2.0", "1.0e-3", "1.0e+3",
          "1.0e+30", "-1.0e+30", "1.0e-30", "1.0e+300", "1.0e-300",
          "3.5e+38", "1.0e+39", "0x7FC00000", "0x7F800000", "0xFF800000",
          "0x7FF8000000000000", "1e400", "4.9e-324", "65504.0", "65520.0",
          "100.0", "-100.0", "0.125", "0.0625", "7"]
ELEMENT_TYPES = ["f32", "f16", "bf16", "f64", "i1", "i8", "i32", "i64",
                 "index", "f8E4M3FN", "f8E5M2", "tf32", "complex<f32>",
                 "si32", "ui32", "none", "vector<4xf32>",
                 "tensor<2xf32>", "!attn.state<4x4xf32>"]
DIM_NAMES = ["B", "Hq", "Hkv", "T", "S", "Dk", "Dv", "Br", "N", "P", "M",
             "L", "R", "C", "X", "", "?", "B,B", "T,,S", "Dk ", "0"]
GARBAGE = ["{", "}", "(", ")", "<", ">", "[", "]", ":", ",", "=", "%", "@",
           "#", "!", "\"", "x", "?", "-", "->", "^bb0:", "// ", "%0",
           "tensor<", "attn.", "loc(", "dense<", "\\", "\x00", "\xff",
           "\u00e9", "0x", "1e", "::", "...", "-----", "{-#", "\n"]

INT_RE = re.compile(r"(?<![\w%#@.\-])\d+(?![\w.])")
FLOAT_RE = re.compile(r"(?<![\w%#@.])-?(?:\d+\.\d*(?:[eE][-+]?\d+)?|0x[0-9A-Fa-f]{8,16})(?![\w.])")
SHAPED_RE = re.compile(r"(tensor|!attn\.state|vector)<([^<>]*)>")
SSA_RE = re.compile(r"%[\w$.-]+(?:#\d+)?")
OP_RE = re.compile(r"\b(?:attn|arith|math|tensor|func)\.[a-z_]+\b")
WORD_RE = re.compile(r"(?<![\w%#@.!\"^])[a-z_][a-z_0-9]*(?![\w.])")
DIMS_RE = re.compile(r'attn\.dims\s*=\s*"([^"]*)"')


def pick_span(rng, regex, text):
    spans = [m.span() for m in regex.finditer(text)]
    return rng.choice(spans) if spans else None


def replace_span(text, span, new):
    return text[:span[0]] + new + text[span[1]:]


def m_int(rng, text, ctx):
    span = pick_span(rng, INT_RE, text)
    if not span:
        return None
    old = int(text[span[0]:span[1]])
    r = rng.random()
    if r < 0.6:
        new = rng.choice(INTS)
    elif r < 0.8:
        new = old + rng.choice([-2, -1, 1, 2])
    else:
        new = old * rng.choice([2, 3]) if rng.random() < 0.5 else old // 2
    return replace_span(text, span, str(new))


def m_float(rng, text, ctx):
    span = pick_span(rng, FLOAT_RE, text)
    if not span:
        return None
    return replace_span(text, span, rng.choice(FLOATS))


def m_shape(rng, text, ctx):
    matches = list(SHAPED_RE.finditer(text))
    if not matches:
        return None
    m = rng.choice(matches)
    parts = m.group(2).split("x")
    dims, elem = parts[:-1], parts[-1]
    # element types with an 'x' in them (vector<4xf32> inside) are rare; keep it simple
    r = rng.random()
    consistent = rng.random() < 0.6
    if r < 0.35 and dims:
        i = rng.randrange(len(dims))
        dims[i] = rng.choice(["?", "0", "1", "2", "3", "5", "16", "64", "65",
                              "4294967296", "-1", str(rng.randint(1, 300))])
    elif r < 0.5 and dims:
        del dims[rng.randrange(len(dims))]
    elif r < 0.65:
        dims.insert(rng.randint(0, len(dims)), rng.choice(["?", "1", "2", "7"]))
    elif r < 0.9:
        elem = rng.choice(ELEMENT_TYPES)
    else:
        # change every occurrence of this shaped type (a consistent retype)
        new_type = m.group(0).replace(elem, rng.choice(ELEMENT_TYPES[:8]))
        return text.replace(m.group(0), new_type)
    new = "%s<%s>" % (m.group(1), "x".join(dims + [elem]))
    if consistent:
        # every occurrence of this type: the program's ops see one change
        return text.replace(m.group(0), new)
    return text[:m.start()] + new + text[m.end():]


def m_dim_global(rng, text, ctx):
    """A static size changed in every shaped type (64 -> 16 for all head
    dims, say): programs that still verify, at new sizes."""
    sizes = set()
    for m in SHAPED_RE.finditer(text):
        sizes.update(d for d in m.group(2).split("x")[:-1] if d.isdigit())
    if not sizes:
        return None
    old = rng.choice(sorted(sizes))
    new = str(rng.choice([1, 2, 3, 4, 5, 8, 16, 24, 32, 48, 64, 96, 128, 0, 7]))

    def fix(m):
        parts = m.group(2).split("x")
        parts = [new if p == old else p for p in parts[:-1]] + parts[-1:]
        return "%s<%s>" % (m.group(1), "x".join(parts))
    return SHAPED_RE.sub(fix, text)


def m_element_type_global(rng, text, ctx):
    old = rng.choice(["f32", "f64", "i64", "i32"])
    if old not in text:
        return None
    return re.sub(r"\b%s\b" % old, rng.choice(ELEMENT_TYPES[:8]), text)


def m_op_name(rng, text, ctx):
    span = pick_span(rng, OP_RE, text)
    if not span:
        return None
    return replace_span(text, span, rng.choice(ctx["ops"]))


def m_word(rng, text, ctx):
    span = pick_span(rng, WORD_RE, text)
    if not span:
        return None
    return replace_span(text, span, rng.choice(ctx["words"]))


def m_ssa(rng, text, ctx):
    spans = [m.span() for m in SSA_RE.finditer(text)]
    if len(spans) < 2:
        return None
    span = rng.choice(spans)
    other = rng.choice(spans)
    return replace_span(text, span, text[other[0]:other[1]])


def m_dims_attr(rng, text, ctx):
    matches = list(DIMS_RE.finditer(text))
    if not matches:
        return None
    m = rng.choice(matches)
    names = m.group(1).split(",")
    r = rng.random()
    if r < 0.3:
        rng.shuffle(names)
    elif r < 0.5 and names:
        names[rng.randrange(len(names))] = rng.choice(DIM_NAMES)
    elif r < 0.7 and names:
        del names[rng.randrange(len(names))]
    else:
        names.insert(rng.randint(0, len(names)), rng.choice(DIM_NAMES))
    return text[:m.start(1)] + ",".join(names) + text[m.end(1):]


def m_delete_line(rng, text, ctx):
    lines = text.split("\n")
    if len(lines) < 2:
        return None
    i = rng.randrange(len(lines))
    n = 1 if rng.random() < 0.8 else rng.randint(2, 5)
    del lines[i:i + n]
    return "\n".join(lines)


def m_duplicate_line(rng, text, ctx):
    lines = text.split("\n")
    i = rng.randrange(len(lines))
    lines.insert(rng.randrange(len(lines) + 1), lines[i])
    return "\n".join(lines)


def m_swap_lines(rng, text, ctx):
    lines = text.split("\n")
    if len(lines) < 2:
        return None
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


def m_foreign_lines(rng, text, ctx):
    lines = text.split("\n")
    other = rng.choice(ctx["seeds"])[1].split("\n")
    j = rng.randrange(len(other))
    chunk = other[j:j + rng.randint(1, 6)]
    i = rng.randrange(len(lines) + 1)
    if rng.random() < 0.5:
        lines[i:i + len(chunk)] = chunk
    else:
        lines[i:i] = chunk
    return "\n".join(lines)


def m_garbage(rng, text, ctx):
    i = rng.randint(0, len(text))
    junk = "".join(rng.choice(GARBAGE) for _ in range(rng.randint(1, 4)))
    if rng.random() < 0.3:
        # overwrite instead of insert
        return text[:i] + junk + text[i + len(junk):]
    return text[:i] + junk + text[i:]


def m_truncate(rng, text, ctx):
    if not text:
        return None
    return text[:rng.randrange(len(text))]


def m_delete_span(rng, text, ctx):
    if len(text) < 2:
        return None
    i = rng.randrange(len(text))
    return text[:i] + text[i + rng.randint(1, 12):]


MUTATORS = [
    (m_int, 14), (m_float, 6), (m_shape, 10), (m_dim_global, 8), (m_element_type_global, 2),
    (m_op_name, 5), (m_word, 8), (m_ssa, 8), (m_dims_attr, 5),
    (m_delete_line, 8), (m_duplicate_line, 4), (m_swap_lines, 3),
    (m_foreign_lines, 4), (m_garbage, 3), (m_truncate, 1), (m_delete_span, 3),
]


def mutate(rng, text, ctx):
    applied = []
    n = 1
    while n < 4 and rng.random() < 0.35:
        n += 1
    funcs, weights = zip(*MUTATORS)
    for _ in range(n):
        for _attempt in range(5):
            f = rng.choices(funcs, weights)[0]
            new = f(rng, text, ctx)
            if new is not None and new != text:
                text = new
                applied.append(f.__name__[2:])
                break
    return text, applied


# ---------------------------------------------------------------------------
# .npy mutations
# ---------------------------------------------------------------------------


def npy_parse(data):
    if data[:6] != b"\x93NUMPY" or len(data) < 10:
        return None
    major = data[6]
    if major == 1:
        hlen = struct.unpack("<H", data[8:10])[0]
        start = 10
    else:
        hlen = struct.unpack("<I", data[8:12])[0]
        start = 12
    return data[:start], data[start:start + hlen], data[start + hlen:]


def npy_build(header, body, major=1):
    header = header.rstrip(b"\n ")
    total = 10 + len(header) + 1
    pad = (-total) % 64
    header = header + b" " * pad + b"\n"
    if major == 1 and len(header) < 65536:
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + body
    return b"\x93NUMPY\x02\x00" + struct.pack("<I", len(header)) + header + body


def mutate_npy(rng, data):
    parts = npy_parse(data)
    if parts is None:
        return data[:rng.randrange(max(1, len(data)))]
    _, header, body = parts
    h = header.decode("latin-1")
    r = rng.random()
    if r < 0.2:
        descr = rng.choice(["<f4", "<f8", "<f2", "<u2", "<i4", "<i8", ">f4",
                            "|b1", "<c8", "|O", "<U3", "|u1", "<f16", "f4",
                            "", "<"])
        h = re.sub(r"'descr':\s*'[^']*'", "'descr': '%s'" % descr, h)
    elif r < 0.45:
        dims = rng.choice(["()", "(0,)", "(1,)", "(2, 3)", "(1, 1, 1, 1)",
                           "(4294967296, 2)", "(-1, 2)", "(2, 2, 2, 2, 2)",
                           "(99999999999999999999,)", "(3,", "(a, b)",
                           "(0, 8, 0, 64)", "(1, 8, 1, 64)",
                           "(2, 8, 33, 64, 1)"])
        h = re.sub(r"'shape':\s*\([^)]*\)", "'shape': %s" % dims, h)
    elif r < 0.55:
        h = h.replace("False", "True")
    elif r < 0.65:
        i = rng.randrange(max(1, len(h)))
        h = h[:i] + rng.choice(["{", "}", "'", ":", ",", "\x00", "((", ""]) + h[i + 1:]
    elif r < 0.75:
        return data[:rng.randrange(max(1, len(data)))]
    elif r < 0.82:
        return data + bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    elif r < 0.9:
        # a wrong header length field
        b = bytearray(data)
        b[8] = rng.randrange(256)
        b[9] = rng.randrange(256)
        return bytes(b)
    else:
        # NaN / Inf / huge values in the data
        b = bytearray(body)
        for _ in range(rng.randint(1, 8)):
            if len(b) >= 4:
                i = rng.randrange(len(b) // 4) * 4
                b[i:i + 4] = rng.choice([b"\x00\x00\xc0\x7f", b"\x00\x00\x80\x7f",
                                         b"\xff\xff\x7f\x7f", b"\xff\xff\xff\xff",
                                         b"\x00\x00\x00\x80"])
        body = bytes(b)
    return npy_build(h.encode("latin-1"), body, 1 if rng.random() < 0.9 else 2)


# ---------------------------------------------------------------------------
# Running the tools
# ---------------------------------------------------------------------------

CRASH_MARKERS = ["PLEASE submit a bug report", "Stack dump:", "LLVM ERROR:",
                 "ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                 "runtime error:", "Assertion `", "UNREACHABLE executed",
                 "terminate called", "Segmentation fault"]


class Result:
    def __init__(self, rc, out, err, timed_out, seconds):
        self.rc, self.out, self.err = rc, out, err
        self.timed_out, self.seconds = timed_out, seconds

    @property
    def crashed(self):
        if self.timed_out:
            return False
        if self.rc not in (0, 1):
            return True
        return any(m in self.err for m in CRASH_MARKERS)


def run_tool(cmd, timeout, stdin=None, cwd=None):
    start = time.monotonic()
    env = dict(os.environ)
    env.setdefault("LLVM_DISABLE_CRASH_REPORT", "1")
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=cwd, env=env, start_new_session=True)
    try:
        out, err = proc.communicate(stdin.encode("utf-8", "surrogateescape") if stdin is not None else None,
                                    timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
        timed_out = True
    dec = lambda b: b[-200000:].decode("utf-8", "replace")
    return Result(proc.returncode, dec(out), dec(err), timed_out,
                  time.monotonic() - start)


FLOAT_LIT_RE = re.compile(r"(?<![\w%#@.])-?\d+\.\d*(?:[eE][-+]?\d+)?")
STATIC_DIM_RE = re.compile(r"(?:tensor|!attn\.state)<([^<>]*)>")


def runnable(text):
    """Whether running the program on small inputs takes reasonable time and
    memory: no static size past 256."""
    for m in STATIC_DIM_RE.finditer(text):
        for d in m.group(1).split("x")[:-1]:
            if d.isdigit() and int(d) > 256:
                return False
    return True


def well_conditioned(text):
    """Whether f32 arithmetic can be expected to track f64 within the checks'
    tolerance: every float literal of moderate magnitude, no hex (NaN, Inf)
    float literals."""
    if re.search(r"0x[0-9A-Fa-f]{8,16}", text):
        return False
    for lit in FLOAT_LIT_RE.findall(text):
        v = abs(float(lit))
        if v != 0.0 and not (1e-2 <= v <= 1e2):
            return False
    return True


def failed_check(r):
    return not r.timed_out and r.rc == 1 and re.search(r"^FAIL", r.out, re.M) is not None


ERROR_RE = re.compile(r"max relative error (\S+)")


def max_error(out):
    errs = []
    for e in ERROR_RE.findall(out):
        try:
            errs.append(float(e))
        except ValueError:
            errs.append(float("nan"))
    return max(errs, key=lambda x: (not math.isnan(x), x)) if errs else None


# ---------------------------------------------------------------------------
# One mutant
# ---------------------------------------------------------------------------

PASSES = [
    ["--attn-reassociate-linear=explain=true"],
    ["--attn-reassociate-linear"],
    ["--attn-chunk=chunk-size=%d"],
    ["--attn-chunk=chunk-size=%d materialize-states=true"],
    ["--attn-expose-state"],
    ["--attn-fuse-nsa=explain=true"],
    ["--attn-absorb-mla=explain=true"],
    ["--attn-absorb-mla=mode=always explain=true"],
    ["--attn-linear-pipeline=chunk-size=%d"],
    ["--attn-linear-decode-pipeline"],
    ["--canonicalize", "--cse"],
    ["--attn-reassociate-linear", "--attn-chunk=chunk-size=%d", "--attn-expose-state"],
    ["--attn-fuse-nsa", "--attn-absorb-mla=mode=always", "--canonicalize"],
]
COMPARE_PIPELINES = [
    "func.func(attn-reassociate-linear)",
    "func.func(attn-reassociate-linear,attn-chunk{chunk-size=%d})",
    "func.func(attn-reassociate-linear,attn-chunk{chunk-size=%d materialize-states=true})",
    "attn-linear-pipeline{chunk-size=%d}",
    "func.func(attn-fuse-nsa)",
    "func.func(attn-absorb-mla{mode=always})",
    "builtin.module(canonicalize,cse)",
]
CHUNKS = [1, 2, 3, 4, 7, 16, 64]


class Step:
    """A command of a mutant's plan: what it is, how to judge it."""

    def __init__(self, kind, cmd, timeout, judge="crash", files=None):
        self.kind, self.cmd, self.timeout, self.judge = kind, cmd, timeout, judge
        self.files = files or {}


def dims_args(rng):
    args = []
    for name, values in (("T", [1, 2, 3, 5, 16, 17, 33, 40]),
                         ("B", [1, 2, 3])):
        if rng.random() < 0.6:
            args += ["--dim", "%s=%d" % (name, rng.choice(values))]
    if rng.random() < 0.2:
        args += ["--dim", "S=%d" % rng.choice([1, 4, 17, 33, 64])]
    if rng.random() < 0.1:
        args += ["--dim", "%s=%d" % (rng.choice(["N", "M", "Br", "Dk", "L", "Hq"]),
                                     rng.choice([1, 2, 3, 8]))]
    return args


def plan(rng, text, bins, work, cpu_rate):
    """The commands after a mutant verified, chosen by rng."""
    opt, run = bins
    steps = []
    for p in rng.sample(PASSES, 3):
        args = [a % rng.choice(CHUNKS) if "%d" in a else a for a in p]
        steps.append(Step("opt " + " ".join(args), [opt, "input.mlir"] + args + ["-o", "/dev/null"], 60))
    if rng.random() < 0.3:
        # what a verified program prints must parse and verify again
        generic = " --mlir-print-op-generic" if rng.random() < 0.5 else ""
        steps.append(Step("roundtrip" + generic, [
            "sh", "-c", "%s input.mlir%s -o rt.mlir && %s rt.mlir -o /dev/null"
            % (shlex.quote(opt), generic, shlex.quote(opt))], 60, judge="roundtrip"))
    if rng.random() < 0.5:
        arch = rng.choice(["sm_90a", "sm_80"])
        steps.append(Step("emit-cuda", [opt, "input.mlir", "--emit=cuda", "--cuda-arch=" + arch, "-o", "cuda"], 60))
    if rng.random() < cpu_rate * 0.4:
        steps.append(Step("emit-cpu", [opt, "input.mlir", "--emit=cpu", "-o", "cpu"], 300))
    if not runnable(text):
        return steps
    seed = ["--seed", str(rng.randrange(1000))]
    dims = dims_args(rng)
    lengths = []
    if rng.random() < 0.15:
        lengths = ["--lengths", ",".join(str(rng.choice([0, 1, 2, 5, 33, 40, 100]))
                                         for _ in range(rng.randint(1, 3)))]
    base = [run, "input.mlir", "--random-inputs"] + seed + dims + lengths
    r = rng.random()
    if r < 0.75:
        steps.append(Step("interp", base + ["--output-dir", "out", "--save-inputs"], 120))
        if rng.random() < 0.3:
            steps.append(Step("npy", None, 120, judge="npy"))
    if rng.random() < 0.35:
        p = rng.choice(COMPARE_PIPELINES)
        if "%d" in p:
            p = p % rng.choice(CHUNKS)
        steps.append(Step("compare " + p, base + ["--compare-pipeline=" + p], 120,
                          judge="compare"))
    if rng.random() < cpu_rate:
        steps.append(Step("cpu-check", base + ["--backend", "cpu", "--check"], 300,
                          judge="check"))
    return steps


class Finding:
    def __init__(self, kind, step, text, result, index, note=""):
        self.kind, self.step, self.text, self.result = kind, step, text, result
        self.index, self.note = index, note

    def signature(self):
        err = self.result.err if self.result else ""
        key = ""
        for marker in ("runtime error:", "ERROR: AddressSanitizer:", "Assertion `",
                       "LLVM ERROR:", "UNREACHABLE executed", "terminate called"):
            i = err.find(marker)
            if i >= 0:
                key = err[i:i + 160].split("\n")[0]
                key = re.sub(r"0x[0-9a-f]+", "", key)
                break
        if not key and err:
            # the first of this project's frames in the stack dump
            for line in err.split("\n"):
                if re.search(r"\battn::|\bmlir::attn|Attn|attention-", line) and "#" in line:
                    key = re.sub(r"^.*?(?:in |0x[0-9a-f]+ )", "", line.strip())[:160]
                    break
        if not key:
            key = "rc=%s" % (self.result.rc if self.result else "?")
        tool = self.step.kind.split(" ")[0]
        return "%s|%s|%s" % (self.kind, tool, key)


def check_step(step, text, rng, work, bins, index):
    """Runs one step; returns a Finding or None (and the Result)."""
    cmd = step.cmd
    if step.judge == "npy":
        return check_npy(step, text, rng, work, bins, index)
    r = run_tool(cmd, step.timeout, cwd=work)
    if r.timed_out:
        r2 = run_tool(cmd, step.timeout * 3, cwd=work)
        if r2.timed_out:
            return Finding("hang", step, text, r2, index), r2
        r = r2
    if r.crashed:
        return Finding("crash", step, text, r, index), r
    if step.judge == "roundtrip" and r.rc != 0:
        return Finding("roundtrip", step, text, r, index), r
    if step.judge in ("check", "compare") and failed_check(r):
        err = max_error(r.out)
        limit = 1e-2 if step.judge == "check" else 1e-6
        # Rounding (f32 against f64 for check, a reassociated f64 program for
        # compare) stays far below limit on a well-conditioned program; a
        # changed shape is never rounding.
        big = err is None or math.isnan(err) or err > limit
        if "shape changed" in r.out or (big and well_conditioned(text)):
            # one unlucky input is no finding: a second seed must fail too
            cmd2 = list(cmd)
            i = cmd2.index("--seed")
            cmd2[i + 1] = str(int(cmd2[i + 1]) + 1)
            r2 = run_tool(cmd2, step.timeout, cwd=work)
            if failed_check(r2):
                return Finding("disagreement", step, text, r, index,
                               note="max relative error %s" % err), r
    return None, r


def check_npy(step, text, rng, work, bins, index):
    out = os.path.join(work, "out")
    inputs = sorted(glob.glob(os.path.join(out, "input*.npy")),
                    key=lambda p: int(re.findall(r"\d+", os.path.basename(p))[0]))
    if not inputs:
        return None, None
    os.makedirs(os.path.join(work, "bad"), exist_ok=True)
    files = []
    victim = rng.randrange(len(inputs))
    for i, path in enumerate(inputs):
        with open(path, "rb") as f:
            data = f.read()
        if i == victim:
            data = mutate_npy(rng, data)
        dest = os.path.join("bad", "input%d.npy" % i)
        with open(os.path.join(work, dest), "wb") as f:
            f.write(data)
        files.append(dest)
    if rng.random() < 0.1 and files:
        files = files[:-1] if rng.random() < 0.5 else files + files[:1]
    step.cmd = [bins[1], "input.mlir", "--inputs"] + files
    if rng.random() < 0.2:
        step.cmd += ["--backend", "cpu"]
    step.files = {f: open(os.path.join(work, f), "rb").read() for f in set(files)}
    r = run_tool(step.cmd, step.timeout, cwd=work)
    if r.timed_out:
        return Finding("hang", step, text, r, index), r
    if r.crashed:
        return Finding("crash", step, text, r, index), r
    return None, r


def fuzz_one(index, args, seeds, ctx, bins, scratch):
    rng = random.Random("%d:%d" % (args.seed, index))
    name, original = seeds[rng.randrange(len(seeds))]
    text, applied = mutate(rng, original, ctx)
    work = tempfile.mkdtemp(prefix="m%d-" % index, dir=scratch)
    findings = []
    stats = {"verified": 0, "steps": 0}
    try:
        with open(os.path.join(work, "input.mlir"), "w", encoding="utf-8",
                  errors="surrogateescape") as f:
            f.write(text)
        verify = Step("verify", [bins[0], "input.mlir", "-o", "/dev/null"], 60)
        finding, r = check_step(verify, text, rng, work, bins, index)
        stats["steps"] += 1
        if finding:
            findings.append(finding)
        if r is None or r.rc != 0 or finding:
            return index, name, applied, findings, stats
        stats["verified"] = 1
        for step in plan(rng, text, bins, work, args.cpu_rate):
            finding, r = check_step(step, text, rng, work, bins, index)
            stats["steps"] += 1
            if finding:
                findings.append(finding)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return index, name, applied, findings, stats


# ---------------------------------------------------------------------------
# Minimizing and writing findings
# ---------------------------------------------------------------------------


def write_case(directory, text, files):
    """A mutant as its step runs it: input.mlir and the step's other files."""
    with open(os.path.join(directory, "input.mlir"), "w", encoding="utf-8",
              errors="surrogateescape") as f:
        f.write(text)
    for name, data in files.items():
        os.makedirs(os.path.dirname(os.path.join(directory, name)), exist_ok=True)
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)


def reproduces(finding, text, bins, scratch):
    work = tempfile.mkdtemp(prefix="min-", dir=scratch)
    try:
        write_case(work, text, finding.step.files)
        if finding.step.judge == "npy":
            # the inputs were made for this program's shapes; keep it whole
            return text == finding.text
        r = run_tool(finding.step.cmd, finding.step.timeout, cwd=work)
        if finding.kind == "hang":
            return r.timed_out
        if finding.kind == "roundtrip":
            if r.rc != 1 or r.crashed:
                return False
            v = run_tool([bins[0], "input.mlir", "-o", "/dev/null"], 60, cwd=work)
            return v.rc == 0
        if finding.kind == "crash":
            return r.crashed and Finding("crash", finding.step, text, r, 0).signature() \
                == finding.signature()
        # disagreement: same verdict, and the program still verifies
        if not failed_check(r):
            return False
        v = run_tool([bins[0], "input.mlir", "-o", "/dev/null"], 60, cwd=work)
        return v.rc == 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


def minimize(finding, bins, scratch, deadline):
    """Deletes chunks of lines, then single lines, while the finding
    reproduces (same crash signature, still a hang, or still FAIL)."""
    if finding.step.judge == "npy" or finding.kind == "hang":
        return finding.text
    lines = finding.text.split("\n")
    chunk = max(1, len(lines) // 4)
    while chunk >= 1 and time.monotonic() < deadline:
        i = 0
        changed = False
        while i < len(lines) and time.monotonic() < deadline:
            candidate = lines[:i] + lines[i + chunk:]
            if candidate and reproduces(finding, "\n".join(candidate), bins, scratch):
                lines = candidate
                changed = True
            else:
                i += chunk
        if not changed:
            chunk //= 2
    # comments and blank lines
    stripped = [l for l in lines if l.strip() and not l.strip().startswith("//")]
    if stripped != lines and reproduces(finding, "\n".join(stripped), bins, scratch):
        lines = stripped
    return "\n".join(lines) + "\n"


def write_finding(finding, text, out_dir, number):
    d = os.path.join(out_dir, "%s-%03d" % (finding.kind, number))
    os.makedirs(d, exist_ok=True)
    write_case(d, text, finding.step.files)
    cmd = " ".join(shlex.quote(c) for c in finding.step.cmd)
    with open(os.path.join(d, "cmd.sh"), "w") as f:
        f.write("#!/bin/sh\n# %s in '%s' (mutant %d)%s\ncd \"$(dirname \"$0\")\" && %s\n"
                % (finding.kind, finding.step.kind, finding.index,
                   (", " + finding.note) if finding.note else "", cmd))
    os.chmod(os.path.join(d, "cmd.sh"), 0o755)
    with open(os.path.join(d, "output.txt"), "w") as f:
        r = finding.result
        if r:
            f.write("exit %s%s\n--- stdout\n%s\n--- stderr\n%s\n" % (
                r.rc, " (timed out)" if r.timed_out else "", r.out[-20000:], r.err[-20000:]))
    return d, cmd


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"),
                    help="directory of attention-opt and attention-run")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--budget", type=float, default=240,
                    help="seconds of mutants (minimizing comes on top)")
    ap.add_argument("--iterations", type=int, default=0,
                    help="run exactly this many mutants (no time budget)")
    ap.add_argument("--only", type=int, default=None, help="replay mutant I")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--cpu-rate", type=float, default=0.1,
                    help="share of verified mutants checked on the CPU backend")
    ap.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "attn-fuzz-findings"))
    ap.add_argument("--minimize-seconds", type=float, default=60,
                    help="time to minimize each distinct finding (five times "
                         "that for all of them)")
    ap.add_argument("--show", action="store_true", help="print each mutant's text")
    args = ap.parse_args()

    bins = (os.path.join(args.bin, "attention-opt"), os.path.join(args.bin, "attention-run"))
    for b in bins:
        if not os.access(b, os.X_OK):
            print("mutate.py: no %s (build first, or give --bin)" % b, file=sys.stderr)
            return 2
    bins = tuple(os.path.abspath(b) for b in bins)
    scratch = tempfile.mkdtemp(prefix="attn-mutate-")
    try:
        seeds = load_seeds(bins[0], scratch)
        all_text = "\n".join(t for _, t in seeds)
        ctx = {
            "seeds": seeds,
            "ops": sorted(set(OP_RE.findall(all_text))),
            "words": sorted(w for w in set(WORD_RE.findall(all_text)) - {"func"}
                            if not re.match(r"x(\d|$)", w)),
        }
        print("mutate.py: seed %d, %d seed programs, %s, %d jobs, bin %s" % (
            args.seed, len(seeds),
            "%d iterations" % args.iterations if args.iterations else
            ("mutant %d" % args.only if args.only is not None else "%gs budget" % args.budget),
            args.jobs, args.bin), flush=True)
        start = time.monotonic()
        results = []
        if args.only is not None:
            indices = iter([args.only])
        elif args.iterations:
            indices = iter(range(args.iterations))
        else:
            indices = iter(range(10**9))

        def more():
            if args.only is not None or args.iterations:
                return True
            return time.monotonic() - start < args.budget

        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            pending = set()
            exhausted = False
            while True:
                while not exhausted and len(pending) < args.jobs and more():
                    i = next(indices, None)
                    if i is None:
                        exhausted = True
                        break
                    if args.show:
                        rng = random.Random("%d:%d" % (args.seed, i))
                        name, original = seeds[rng.randrange(len(seeds))]
                        print("--- mutant %d of %s\n%s" % (i, name, mutate(rng, original, ctx)[0]))
                    pending.add(pool.submit(fuzz_one, i, args, seeds, ctx, bins, scratch))
                if not pending:
                    break
                done, pending = concurrent.futures.wait(
                    pending, return_when=concurrent.futures.FIRST_COMPLETED)
                for fut in done:
                    res = fut.result()
                    results.append(res)
                    for f in res[3]:
                        print("  mutant %d (%s; %s): %s in %s" % (
                            res[0], res[1], ",".join(res[2]), f.kind, f.step.kind), flush=True)
        results.sort(key=lambda r: r[0])
        elapsed = time.monotonic() - start
        verified = sum(r[4]["verified"] for r in results)
        steps = sum(r[4]["steps"] for r in results)
        print("mutate.py: %d mutants (%d verified), %d commands in %.0fs" % (
            len(results), verified, steps, elapsed), flush=True)

        # Deduplicate by signature, keep the smallest mutant of each.
        unique = {}
        for r in results:
            for f in r[3]:
                sig = f.signature()
                if sig not in unique or len(f.text) < len(unique[sig].text):
                    unique[sig] = f
        if not unique:
            print("mutate.py: no finding")
            return 0
        os.makedirs(args.out, exist_ok=True)
        for old in glob.glob(os.path.join(args.out, "*-[0-9][0-9][0-9]")):
            shutil.rmtree(old, ignore_errors=True)  # an earlier run's
        print("mutate.py: %d distinct findings, reproducers in %s" % (len(unique), args.out))
        minimize_end = time.monotonic() + 5 * args.minimize_seconds
        for n, (sig, f) in enumerate(sorted(unique.items(), key=lambda kv: kv[1].index)):
            deadline = min(time.monotonic() + args.minimize_seconds, minimize_end)
            text = minimize(f, bins, scratch, deadline)
            d, cmd = write_finding(f, text, args.out, n)
            print("\n=== %s (mutant %d, %s)\n    %s\n    %s" % (f.kind, f.index, sig, d, cmd))
            if f.note:
                print("    " + f.note)
            print("--- %s/input.mlir\n%s" % (d, text.rstrip("\n")[:4000]))
            tail = (f.result.err if f.result else "").strip().split("\n")[-12:]
            print("--- output (tail)\n" + "\n".join(tail))
        return 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
