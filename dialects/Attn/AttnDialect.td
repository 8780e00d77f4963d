//===- AttnDialect.td - the attn dialect --------------------*- tablegen -*-===//
//
// The attention DSL: query / key / value / state ops over builtin tensors in
// the [B, H, T, D] convention (batch, heads, sequence, head dim).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_TD
#define ATTN_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Attn_Dialect : Dialect {
  let name = "attn";
  let cppNamespace = "::attn";
  let summary = "Attention variants as query / key / value / state ops";
  let description = [{
    Tensors are `[B, H, T, D]`: q is `[B, Hq, T, Dk]`, k is `[B, Hkv, S, Dk]`,
    v is `[B, Hkv, S, Dv]` and an output is `[B, Hq, T, Dv]`, with Hq a
    multiple of Hkv (GQA / MQA). Scores are `[B, Hq, T, S]`. A masked score is
    -inf: softmax gives it probability 0 and aggregate skips it, so a fully
    masked row yields 0. Queries sit at the end of the key sequence: query t
    has position `L - T + t`, L the key length (S, or a per-sequence length).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  // `attn.dims` names the dimensions of a function argument for the tools.
  let hasRegionArgAttrVerify = 1;
}

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Attn_MaskKindAttr : I32EnumAttr<"MaskKind", "which key positions a query sees", [
    I32EnumAttrCase<"none", 0>,
    I32EnumAttrCase<"causal", 1>,
    I32EnumAttrCase<"sliding_window", 2>,
    I32EnumAttrCase<"block_causal", 3>,
    I32EnumAttrCase<"compressed", 4>
  ]> {
  let cppNamespace = "::attn";
}

def Attn_FeatureMapKindAttr : I32EnumAttr<"FeatureMapKind",
    "elementwise feature map of linear attention", [
    I32EnumAttrCase<"identity", 0>,
    I32EnumAttrCase<"elu_plus_one", 1>,
    I32EnumAttrCase<"relu", 2>
  ]> {
  let cppNamespace = "::attn";
}

def Attn_PoolingKindAttr : I32EnumAttr<"PoolingKind",
    "how a block of keys is pooled into one compressed key", [
    I32EnumAttrCase<"mean", 0>,
    I32EnumAttrCase<"mlp", 1>
  ]> {
  let cppNamespace = "::attn";
}

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

def Attn_StateType : TypeDef<Attn_Dialect, "State"> {
  let mnemonic = "state";
  let summary = "the Dk x Dv recurrent state of one (batch, head)";
  let description = [{
    `!attn.state<64x64xf32>`: the fixed-size matrix `S` of linear attention,
    `S_t = a_t S_{t-1} + k_t^T v_t`, read as `o_t = q_t S_t`.
  }];
  let parameters = (ins "int64_t":$keyDim, "int64_t":$valueDim,
                        "::mlir::Type":$elementType);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

def Attn_KeyMaskAttr : AttrDef<Attn_Dialect, "KeyMask"> {
  let mnemonic = "mask";
  let summary = "one positional mask of attn.attention";
  let description = [{
    `#attn.mask<causal>`, `#attn.mask<sliding_window(512)>`,
    `#attn.mask<compressed(32, 16)>`: the kinds, sizes and strides of
    attn.mask, with its meaning. Being declarative, a mask gives each query
    tile a closed-form key range, so kernels skip hidden tiles.
  }];
  let parameters = (ins EnumParameter<Attn_MaskKindAttr>:$kind,
                        DefaultValuedParameter<"int64_t", "0">:$size,
                        DefaultValuedParameter<"int64_t", "0">:$stride);
  let assemblyFormat = "`<` $kind (`(` $size^ (`,` $stride^)? `)`)? `>`";
  let genVerifyDecl = 1;
}

def Attn_KeyMaskArrayAttr : TypedArrayAttrBase<Attn_KeyMaskAttr,
                                               "positional masks">;

#endif // ATTN_DIALECT_TD
