//===- Masks.h - what each positional mask keeps, once ----------*- C++ -*-===//
//
// The meaning of attn.mask's kinds (and attn.attention's #attn.mask
// attributes), written once over an expression type so that every consumer
// builds it in its own terms: the interpreter over int64_t, the CPU backend
// over Halide::Expr, the CUDA emitter over C source text. Besides the
// per-pair predicate, the key range a span of query positions may see and
// whether a tile is wholly visible, which kernels use to skip and to leave
// tiles unmasked; both follow from the predicate (Masks unit test).
//
// `Ops` supplies the expression types and what C++ operators cannot:
//   using Int = ...;  using Bool = ...;
//   static Int integer(int64_t);  static Bool truth(bool);
//   static Int select(Bool, Int, Int);
// Int supports + - * / (a quotient is used only where the dividend is not
// negative, so rounding does not matter) and comparisons giving Bool; Bool
// supports &&.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_SUPPORT_MASKS_H
#define ATTN_SUPPORT_MASKS_H

#include "Attn/AttnOps.h"

namespace attn::masks {

/// A mask: its kind, size and stride (0 where the kind takes none).
struct Mask {
  MaskKind kind;
  int64_t size = 0, stride = 0;
};

/// Whether query position `p` sees key `s`, keys past the sequence's end
/// aside: compressed keys are blocks of `size` tokens every `stride`, seen
/// once the whole block precedes the query.
template <typename Ops>
typename Ops::Bool keeps(Mask m, typename Ops::Int s, typename Ops::Int p) {
  auto n = Ops::integer(m.size), d = Ops::integer(m.stride);
  switch (m.kind) {
  case MaskKind::none:
    break;
  case MaskKind::causal:
    return s <= p;
  case MaskKind::sliding_window:
    return p - n < s && s <= p;
  case MaskKind::block_causal:
    // Positions before the sequence start see nothing (p / n is the block
    // only for p >= 0, whichever way division rounds).
    return p >= Ops::integer(0) && s / n <= p / n;
  case MaskKind::compressed:
    return s * d + n - Ops::integer(1) <= p;
  }
  return Ops::truth(true);
}

/// One past the last key that a query at a position up to `pLast` sees,
/// within a sequence of `length` keys (tokens; compressed blocks for a
/// compressed mask).
template <typename Ops>
typename Ops::Int keyEnd(Mask m, typename Ops::Int pLast,
                         typename Ops::Int length) {
  auto n = Ops::integer(m.size), d = Ops::integer(m.stride);
  auto zero = Ops::integer(0), one = Ops::integer(1);
  switch (m.kind) {
  case MaskKind::none:
    break;
  case MaskKind::causal:
  case MaskKind::sliding_window:
    return pLast + one;
  case MaskKind::block_causal:
    return Ops::select(pLast < zero, zero, (pLast / n + one) * n);
  case MaskKind::compressed: {
    // s * d + n - 1 <= p, i.e. s <= (p - n + 1) / d.
    auto last = pLast - n + one;
    return Ops::select(last < zero, zero, last / d + one);
  }
  }
  return length;
}

/// The first key that a query at a position from `pFirst` on sees.
template <typename Ops>
typename Ops::Int keyBegin(Mask m, typename Ops::Int pFirst) {
  if (m.kind == MaskKind::sliding_window)
    return pFirst - Ops::integer(m.size) + Ops::integer(1);
  return Ops::integer(0);
}

/// Whether every query at positions [pFirst, pLast] sees every key of
/// [sFirst, sLast] (so a tile needs no mask).
template <typename Ops>
typename Ops::Bool
tileVisible(Mask m, typename Ops::Int pFirst, typename Ops::Int pLast,
            typename Ops::Int sFirst, typename Ops::Int sLast) {
  switch (m.kind) {
  case MaskKind::none:
    break;
  case MaskKind::causal:
  case MaskKind::block_causal:
  case MaskKind::compressed:
    // Monotone in p and s: the tile's corner decides.
    return keeps<Ops>(m, sLast, pFirst);
  case MaskKind::sliding_window:
    return keeps<Ops>(m, sLast, pFirst) && keeps<Ops>(m, sFirst, pLast);
  }
  return Ops::truth(true);
}

/// Ops over int64_t, for the interpreter and tests.
struct IntegerOps {
  using Int = int64_t;
  using Bool = bool;
  static Int integer(int64_t v) { return v; }
  static Bool truth(bool v) { return v; }
  static Int select(Bool c, Int a, Int b) { return c ? a : b; }
};

} // namespace attn::masks

#endif // ATTN_SUPPORT_MASKS_H
