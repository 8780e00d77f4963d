/* Calls a generated launcher with arguments it must refuse, before any CUDA
 * work: each call prints its error code and message. The data pointers are
 * never dereferenced. Built against the object of causal_gqa.cu. */
#include "causal_gqa.h"
#include "dense_tensor.h"

#include <stdio.h>

static void call(const char *what, attn_cuda_tensor q, attn_cuda_tensor k,
                 attn_cuda_tensor v, attn_cuda_tensor o) {
  int code = causal_gqa(&q, &k, &v, &o, NULL, NULL);
  printf("%s: %d %s\n", what, code, code ? causal_gqa_error() : "");
}

int main(void) {
  attn_cuda_tensor q = dense(2, 16, 37, 128), k = dense(2, 4, 50, 128),
                   v = dense(2, 4, 50, 128), o = dense(2, 16, 37, 128);
  attn_cuda_tensor bad = q;
  bad.shape[1] = 8;
  call("query-heads", bad, k, v, o);
  bad = k;
  bad.shape[0] = 3;
  call("key-batch", q, bad, v, o);
  bad = v;
  bad.shape[2] = 49;
  call("value-length", q, k, bad, o);
  bad = o;
  bad.shape[3] = 64;
  call("output-dim", q, k, v, bad);
  bad = k;
  bad.strides[3] = 2;
  call("key-stride", q, bad, v, o);
  bad = q;
  bad.data = (void *)0x100002;
  call("query-alignment", bad, k, v, o);
  bad = o;
  bad.strides[2] = 129;
  call("output-stride", q, k, v, bad);
  return 0;
}
