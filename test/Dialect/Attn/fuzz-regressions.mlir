// RUN: attention-opt %s -split-input-file -verify-diagnostics

// Inputs the fuzzers (test/fuzz/mutate.py, tools/attn-fuzz) found crashing,
// each now a located error.

// attn.dims on an argument the function's body lacks (a generic-form
// function whose entry block disagrees with its type): the attribute's
// verifier read past the block's arguments.
// expected-error @+1 {{entry block must have 1 arguments to match function signature}}
"func.func"() <{arg_attrs = [{attn.dims = "B,H,T,D"}],
                function_type = (tensor<?x2x?x8xf32>) -> (), sym_name = "f"}> ({
  "func.return"() : () -> ()
}) : () -> ()

// -----

// expected-error @+1 {{attn.dims "B,H" names 2 dimensions of a rank-4 tensor}}
"func.func"() <{arg_attrs = [{}, {attn.dims = "B,H"}],
                function_type = (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>) -> (),
                sym_name = "g"}> ({
^bb0(%a: tensor<?x2x?x8xf32>):
  "func.return"() : () -> ()
}) : () -> ()
