# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "attention-opt"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "Inputs", "reference"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.attn_obj_root, "test")

llvm_config.with_system_environment(["HOME", "TMPDIR"])

# The CPU backend compiles for the Halide target ATTN_CPU_TARGET names, else
# the host's: scripts/test.sh runs Target/Cpu again under each lower x86 level
# the machine can run (--param cpu_target=...).
if lit_config.params.get("cpu_target"):
    config.environment["ATTN_CPU_TARGET"] = lit_config.params["cpu_target"]
llvm_config.use_default_substitutions()

# The independent reference uses Debian's python3-numpy, which lives with the
# system interpreter rather than any python on PATH.
config.substitutions.append(("%python", "/usr/bin/python3"))
config.substitutions.append(("%examples", os.path.join(config.attn_src_root, "examples")))
config.substitutions.append(("%reference", os.path.join(config.attn_src_root, "test", "reference")))

# FileCheck, not and split-file come from LLVM's tool dir.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
tool_dirs = [config.attn_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(["attention-opt", "attention-run"], tool_dirs)

# Generated CUDA is compiled with the machine's nvcc (CUDA 13.0); no GPU is
# needed for that. Running it happens on a GPU through bench/gpu.
cuda_home = os.environ.get("CUDA_HOME", "/usr/local/cuda")
nvcc = os.path.join(cuda_home, "bin", "nvcc")
if os.path.exists(nvcc):
    config.available_features.add("nvcc")
    config.substitutions.append(("%nvcc", nvcc))
    config.substitutions.append(("%cuda_home", cuda_home))
config.substitutions.append(("%attn_include", os.path.join(config.attn_src_root, "include")))
