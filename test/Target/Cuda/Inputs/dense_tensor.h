/* Descriptors for the launcher checks: a dense [b, h, t, d] tensor at an
 * address that the launchers never dereference (they refuse first). */
#ifndef ATTN_TEST_DENSE_TENSOR_H
#define ATTN_TEST_DENSE_TENSOR_H

static attn_cuda_tensor dense(long long b, long long h, long long t,
                              long long d) {
  attn_cuda_tensor x = {(void *)0x100000, {b, h, t, d},
                        {h * t * d, t * d, d, 1}};
  return x;
}

#endif
