/* Calls the generated DSA latent launcher with indexer arguments it must
 * refuse, before any CUDA work: each call prints its error code and
 * message. The data pointers are never dereferenced. Built against the
 * object of dsa_latent.cu. */
#include "dsa_latent.h"
#include "dense_tensor.h"

#include <stdio.h>

static void call(const char *what, attn_cuda_tensor iq, attn_cuda_tensor ik,
                 attn_cuda_tensor iw) {
  attn_cuda_tensor q = dense(2, 128, 1, 512), qr = dense(2, 128, 1, 64),
                   c = dense(2, 1, 300, 512), kr = dense(2, 1, 300, 64),
                   lengths = {(void *)0x100000, {2, 1, 1, 1}, {1, 1, 1, 1}},
                   o = dense(2, 128, 1, 512);
  int code =
      dsa_latent(&q, &qr, &c, &kr, &iq, &ik, &iw, &lengths, &o, NULL, NULL);
  printf("%s: %d %s\n", what, code, code ? dsa_latent_error() : "");
}

int main(void) {
  attn_cuda_tensor iq = dense(2, 64, 1, 128), ik = dense(2, 1, 300, 128),
                   iw = {(void *)0x100000, {2, 64, 1, 1}, {64, 1, 1, 1}};
  attn_cuda_tensor bad = iq;
  bad.shape[1] = 32;
  call("index-heads", bad, ik, iw);
  bad = ik;
  bad.shape[2] = 299;
  call("index-keys", iq, bad, iw);
  bad = iw;
  bad.shape[2] = 2;
  call("index-weights", iq, ik, bad);
  bad = ik;
  bad.strides[2] = 130;
  call("index-stride", iq, bad, iw);
  return 0;
}
