/* Calls the generated MLA latent launcher with arguments it must refuse,
 * before any CUDA work: each call prints its error code and message. The
 * data pointers are never dereferenced. Built against the object of
 * mla_latent.cu. */
#include "mla_latent.h"
#include "dense_tensor.h"

#include <stdio.h>

static void call(const char *what, attn_cuda_tensor q, attn_cuda_tensor qr,
                 attn_cuda_tensor c, attn_cuda_tensor kr,
                 attn_cuda_tensor lengths, attn_cuda_tensor o) {
  int code = mla_latent(&q, &qr, &c, &kr, &lengths, &o, NULL, NULL);
  printf("%s: %d %s\n", what, code, code ? mla_latent_error() : "");
}

int main(void) {
  attn_cuda_tensor q = dense(2, 128, 1, 512), qr = dense(2, 128, 1, 64),
                   c = dense(2, 1, 300, 512), kr = dense(2, 1, 300, 64),
                   lengths = {(void *)0x100000, {2, 1, 1, 1}, {1, 1, 1, 1}},
                   o = dense(2, 128, 1, 512);
  attn_cuda_tensor bad = q;
  bad.shape[1] = 64;
  call("query-heads", bad, qr, c, kr, lengths, o);
  bad = qr;
  bad.shape[3] = 32;
  call("rope-width", q, bad, c, kr, lengths, o);
  bad = c;
  bad.shape[1] = 2;
  call("latent-heads", q, qr, bad, kr, lengths, o);
  bad = kr;
  bad.shape[2] = 299;
  call("rope-length", q, qr, c, bad, lengths, o);
  bad = o;
  bad.shape[3] = 128;
  call("output-dim", q, qr, c, kr, lengths, bad);
  bad = lengths;
  bad.shape[0] = 3;
  call("lengths-count", q, qr, c, kr, bad, o);
  bad = c;
  bad.strides[2] = 514;
  call("cache-stride", q, qr, bad, kr, lengths, o);
  bad = o;
  bad.strides[3] = 2;
  call("output-stride", q, qr, c, kr, lengths, bad);
  return 0;
}
