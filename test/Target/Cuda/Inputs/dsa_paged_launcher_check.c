/* Calls the generated paged DSA launcher with pools it must refuse, before
 * any CUDA work. Built against the object of dsa_paged.cu. */
#include "dsa_paged.h"
#include "dense_tensor.h"

#include <stdio.h>

int main(void) {
  attn_cuda_tensor q = dense(2, 128, 1, 512), qr = dense(2, 128, 1, 64),
                   c = dense(7, 16, 1, 512), kr = dense(7, 16, 1, 64),
                   table = {(void *)0x100000, {2, 3, 1, 1}, {3, 1, 1, 1}},
                   iq = dense(2, 64, 1, 128), ik = dense(2, 1, 48, 128),
                   iw = {(void *)0x100000, {2, 64, 1, 1}, {64, 1, 1, 1}},
                   lengths = {(void *)0x100000, {2, 1, 1, 1}, {1, 1, 1, 1}},
                   o = dense(2, 128, 1, 512);
  attn_cuda_tensor empty = c, kempty = kr;
  empty.shape[0] = kempty.shape[0] = 0;
  int code = dsa_paged(&q, &qr, &empty, &kempty, &table, &iq, &ik, &iw,
                       &lengths, &o, NULL, NULL);
  printf("empty-pool: %d %s\n", code, code ? dsa_paged_error() : "");
  /* S is the table's slots: 3 pages of 16. */
  ik.shape[2] = 50;
  code = dsa_paged(&q, &qr, &c, &kr, &table, &iq, &ik, &iw, &lengths, &o,
                   NULL, NULL);
  printf("index-slots: %d %s\n", code, code ? dsa_paged_error() : "");
  return 0;
}
