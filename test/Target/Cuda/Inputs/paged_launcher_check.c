/* Calls the generated paged-cache launcher with arguments it must refuse,
 * before any CUDA work: each call prints its error code and message. The
 * data pointers are never dereferenced. Built against the object of
 * paged.cu. */
#include "paged.h"
#include "dense_tensor.h"

#include <stdio.h>

static void call(const char *what, attn_cuda_tensor q, attn_cuda_tensor k,
                 attn_cuda_tensor v, attn_cuda_tensor table,
                 attn_cuda_tensor lengths, attn_cuda_tensor o) {
  int code = paged(&q, &k, &v, &table, &lengths, &o, NULL, NULL);
  printf("%s: %d %s\n", what, code, code ? paged_error() : "");
}

int main(void) {
  /* 2 sequences of up to 5 pages of 16 slots, from a pool of 9 pages. */
  attn_cuda_tensor q = dense(2, 8, 1, 128), k = dense(9, 16, 2, 128),
                   v = dense(9, 16, 2, 128),
                   table = {(void *)0x100000, {2, 5, 1, 1}, {5, 1, 1, 1}},
                   lengths = {(void *)0x100000, {2, 1, 1, 1}, {1, 1, 1, 1}},
                   o = dense(2, 8, 1, 128);
  attn_cuda_tensor bad = k;
  bad.shape[2] = 4;
  call("key-heads", q, bad, v, table, lengths, o);
  bad = v;
  bad.shape[1] = 32;
  call("value-page", q, k, bad, table, lengths, o);
  bad = table;
  bad.shape[0] = 3;
  call("table-rows", q, k, v, bad, lengths, o);
  bad = table;
  bad.strides[1] = 2;
  call("table-stride", q, k, v, bad, lengths, o);
  /* 5 new tokens x 4 query heads per KV head: past one row tile. */
  call("five-queries", dense(2, 8, 5, 128), k, v, table, lengths, dense(2, 8, 5, 128));
  return 0;
}
