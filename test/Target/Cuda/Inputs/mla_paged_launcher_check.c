/* Calls the generated paged MLA launcher with arguments it must refuse,
 * before any CUDA work: each call prints its error code and message. The
 * data pointers are never dereferenced. Built against the object of
 * mla_paged.cu. */
#include "mla_paged.h"
#include "dense_tensor.h"

#include <stdio.h>

static void call(const char *what, attn_cuda_tensor c, attn_cuda_tensor kr,
                 attn_cuda_tensor table) {
  attn_cuda_tensor q = dense(2, 16, 1, 512), qr = dense(2, 16, 1, 64),
                   lengths = {(void *)0x100000, {2, 1, 1, 1}, {1, 1, 1, 1}},
                   o = dense(2, 16, 1, 512);
  int code = mla_paged(&q, &qr, &c, &kr, &table, &lengths, &o, NULL, NULL);
  printf("%s: %d %s\n", what, code, code ? mla_paged_error() : "");
}

int main(void) {
  /* 2 sequences of up to 3 pages of 64 slots, from a pool of 7 pages. */
  attn_cuda_tensor c = dense(7, 64, 1, 512), kr = dense(7, 64, 1, 64),
                   table = {(void *)0x100000, {2, 3, 1, 1}, {3, 1, 1, 1}};
  attn_cuda_tensor bad = c;
  bad.shape[1] = 16;
  call("small-pages", bad, (attn_cuda_tensor)dense(7, 16, 1, 64), table);
  bad = kr;
  bad.shape[0] = 6;
  call("rope-pool", c, bad, table);
  bad = table;
  bad.shape[0] = 1;
  call("table-rows", c, kr, bad);
  bad = c;
  bad.shape[2] = 2;
  call("latent-heads", bad, kr, table);
  return 0;
}
