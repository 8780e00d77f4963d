//===- MasksTest.cpp - the key ranges follow from the predicate ----------===//
//
// Kernels skip key tiles outside keyBegin/keyEnd and leave tiles that
// tileVisible accepts unmasked, so both must agree with `keeps` exactly: for
// every mask, query position (before the sequence start too) and key, the
// keys one position sees are the range [keyBegin, keyEnd), and a visible
// tile holds only kept pairs.
//
//===----------------------------------------------------------------------===//

#include "attn/Support/Masks.h"

#include <gtest/gtest.h>

using namespace attn;
using namespace attn::masks;

namespace {
std::vector<Mask> allMasks() {
  return {{MaskKind::none},
          {MaskKind::causal},
          {MaskKind::sliding_window, 1},
          {MaskKind::sliding_window, 5},
          {MaskKind::block_causal, 1},
          {MaskKind::block_causal, 4},
          {MaskKind::compressed, 4, 2},
          {MaskKind::compressed, 8, 8},
          {MaskKind::compressed, 3, 1}};
}

bool kept(Mask m, int64_t s, int64_t p) { return keeps<IntegerOps>(m, s, p); }

TEST(Masks, KeyRangeIsExactlyTheKeptKeys) {
  const int64_t L = 23;
  for (Mask m : allMasks())
    for (int64_t p = -9; p < L + 9; ++p) {
      int64_t begin = keyBegin<IntegerOps>(m, p),
              end = keyEnd<IntegerOps>(m, p, L);
      for (int64_t s = 0; s < L; ++s)
        EXPECT_EQ(kept(m, s, p), begin <= s && s < end)
            << "kind " << stringifyMaskKind(m.kind).str() << "(" << m.size
            << ", " << m.stride << ") p " << p << " s " << s;
    }
}

TEST(Masks, RangesOfSpansCoverEveryKeptKey) {
  const int64_t L = 23;
  for (Mask m : allMasks())
    for (int64_t pFirst = -6; pFirst < L; ++pFirst)
      for (int64_t pLast = pFirst; pLast < pFirst + 7; ++pLast) {
        int64_t begin = keyBegin<IntegerOps>(m, pFirst),
                end = keyEnd<IntegerOps>(m, pLast, L);
        for (int64_t p = pFirst; p <= pLast; ++p)
          for (int64_t s = 0; s < L; ++s)
            if (kept(m, s, p))
              EXPECT_TRUE(begin <= s && s < end)
                  << "kind " << stringifyMaskKind(m.kind).str() << " span ["
                  << pFirst << ", " << pLast << "] s " << s;
      }
}

TEST(Masks, VisibleTilesHoldOnlyKeptPairs) {
  for (Mask m : allMasks())
    for (int64_t pFirst = -4; pFirst < 20; ++pFirst)
      for (int64_t pLast = pFirst; pLast < pFirst + 5; ++pLast)
        for (int64_t sFirst = 0; sFirst < 20; ++sFirst)
          for (int64_t sLast = sFirst; sLast < sFirst + 5; ++sLast) {
            bool all = true;
            for (int64_t p = pFirst; p <= pLast; ++p)
              for (int64_t s = sFirst; s <= sLast; ++s)
                all &= kept(m, s, p);
            EXPECT_EQ(tileVisible<IntegerOps>(m, pFirst, pLast, sFirst, sLast),
                      all)
                << "kind " << stringifyMaskKind(m.kind).str() << " tile ["
                << pFirst << ", " << pLast << "] x [" << sFirst << ", " << sLast
                << "]";
          }
}
} // namespace
