/* Drives a kernel emitted by `attention-opt --emit=cpu` through its C ABI
 * on inputs saved by `attention-run --save-inputs`, against the
 * interpreter's result (saved with --result-type=f64).
 *
 * Usage: aot_check MODE RESULT.npy INPUT0.npy INPUT1.npy INPUT2.npy
 * The kernel is `attention`, declared in "attention.h", with three inputs
 * and one result. MODE:
 *   dense        dense inputs; prints the max relative error and PASS/FAIL
 *   strided      input 0 as a strided view into a larger padded buffer
 *   bad-head     input 1 with its last dimension halved (a real buffer of
 *                that size): the kernel must return an error code
 *   bad-batch    input 1 with its first dimension doubled
 *   null-data    input 0 with a NULL data pointer
 *   bad-result   the result with one more row in its third dimension
 * The error modes print "MODE: error N" and exit 0 when the kernel returns
 * N != 0, and exit 1 when it returns 0. */
#include "attention.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RANK 8
#define TOLERANCE 1e-4

typedef struct {
  int rank;
  int64_t shape[MAX_RANK];
  int64_t count;
  int is_f64;
  void *data;
} npy_array;

static void die(const char *what, const char *path) {
  fprintf(stderr, "aot_check: %s: %s\n", path, what);
  exit(2);
}

/* Reads a little-endian, C-order '<f4' or '<f8' .npy file (format 1.0/2.0). */
static npy_array read_npy(const char *path) {
  npy_array a;
  unsigned char magic[8];
  unsigned char len_bytes[4];
  size_t header_len, elem;
  char *header, *p;
  FILE *f = fopen(path, "rb");
  memset(&a, 0, sizeof a);
  if (!f)
    die("cannot open", path);
  if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "\x93NUMPY", 6) != 0)
    die("not an npy file", path);
  if (magic[6] == 1) {
    if (fread(len_bytes, 1, 2, f) != 2)
      die("truncated header", path);
    header_len = len_bytes[0] | (size_t)len_bytes[1] << 8;
  } else {
    if (fread(len_bytes, 1, 4, f) != 4)
      die("truncated header", path);
    header_len = len_bytes[0] | (size_t)len_bytes[1] << 8 |
                 (size_t)len_bytes[2] << 16 | (size_t)len_bytes[3] << 24;
  }
  header = calloc(header_len + 1, 1);
  if (!header || fread(header, 1, header_len, f) != header_len)
    die("truncated header", path);
  if (strstr(header, "'<f4'"))
    a.is_f64 = 0;
  else if (strstr(header, "'<f8'"))
    a.is_f64 = 1;
  else
    die("dtype is neither '<f4' nor '<f8'", path);
  if (strstr(header, "'fortran_order': True"))
    die("Fortran order is not supported", path);
  p = strstr(header, "'shape':");
  if (!p || !(p = strchr(p, '(')))
    die("no shape in header", path);
  ++p;
  a.count = 1;
  for (;;) {
    char *end;
    long long extent;
    while (*p == ' ' || *p == ',')
      ++p;
    if (*p == ')')
      break;
    extent = strtoll(p, &end, 10);
    if (end == p || a.rank == MAX_RANK)
      die("bad shape in header", path);
    a.shape[a.rank++] = extent;
    a.count *= extent;
    p = end;
  }
  free(header);
  elem = a.is_f64 ? 8 : 4;
  a.data = malloc(a.count * elem + 1);
  if (!a.data || fread(a.data, elem, a.count, f) != (size_t)a.count)
    die("truncated data", path);
  fclose(f);
  return a;
}

static double element(const npy_array *a, int64_t i) {
  return a->is_f64 ? ((const double *)a->data)[i]
                   : ((const float *)a->data)[i];
}

static attn_tensor tensor_of(npy_array *a) {
  attn_tensor t;
  t.data = a->data;
  t.shape = a->shape;
  t.strides = NULL;
  return t;
}

static int expect_error(const char *mode, int code) {
  if (code == 0) {
    printf("%s: kernel returned 0 on bad arguments\n", mode);
    return 1;
  }
  printf("%s: error %d\n", mode, code);
  return 0;
}

int main(int argc, char **argv) {
  const char *mode;
  npy_array ref, in[3];
  attn_tensor args[3], result;
  float *out;
  double max_diff = 0, max_ref = 0, rel;
  int64_t i;
  int code;
  if (argc != 6) {
    fprintf(stderr, "usage: %s MODE RESULT.npy IN0.npy IN1.npy IN2.npy\n",
            argv[0]);
    return 2;
  }
  mode = argv[1];
  ref = read_npy(argv[2]);
  for (i = 0; i < 3; ++i) {
    in[i] = read_npy(argv[3 + i]);
    if (in[i].is_f64)
      die("inputs must be '<f4'", argv[3 + i]);
    args[i] = tensor_of(&in[i]);
  }
  out = calloc(ref.count + 1, sizeof(float));
  result.data = out;
  result.shape = ref.shape;
  result.strides = NULL;

  if (strcmp(mode, "null-data") == 0) {
    args[0].data = NULL;
    return expect_error(mode, attention(&args[0], &args[1], &args[2], &result));
  }
  if (strcmp(mode, "bad-head") == 0 || strcmp(mode, "bad-batch") == 0) {
    /* A real buffer of the claimed shape, so that a kernel that misses the
       mismatch reads garbage instead of crashing. */
    int64_t shape[MAX_RANK];
    int last = in[1].rank - 1;
    memcpy(shape, in[1].shape, sizeof shape);
    if (mode[4] == 'h')
      shape[last] /= 2;
    else
      shape[0] *= 2;
    args[1].shape = shape;
    args[1].data = calloc(in[1].count * 2, sizeof(float));
    return expect_error(mode, attention(&args[0], &args[1], &args[2], &result));
  }
  if (strcmp(mode, "bad-result") == 0) {
    int64_t shape[MAX_RANK];
    memcpy(shape, ref.shape, sizeof shape);
    shape[2] += 1;
    result.shape = shape;
    result.data = calloc(ref.count * 2 + 1, sizeof(float));
    return expect_error(mode, attention(&args[0], &args[1], &args[2], &result));
  }

  if (strcmp(mode, "strided") == 0) {
    /* Input 0 as a view: every row padded by 3 elements and every outermost
       slice by one extra row, so no stride is the dense one. */
    npy_array *q = &in[0];
    int r = q->rank;
    static int64_t strides[MAX_RANK];
    int64_t outer = 1, j, k;
    int d;
    float *padded;
    if (r < 2)
      die("strided mode needs rank >= 2", argv[3]);
    strides[r - 1] = 1;
    strides[r - 2] = q->shape[r - 1] + 3;
    for (d = r - 3; d >= 0; --d)
      strides[d] = strides[d + 1] * (q->shape[d + 1] + (d == r - 3));
    for (d = 0; d < r - 1; ++d)
      outer *= q->shape[d];
    padded = calloc(strides[0] * q->shape[0], sizeof(float));
    for (j = 0; j < outer; ++j) {
      int64_t offset = 0, rest = j;
      for (d = r - 2; d >= 0; --d) {
        offset += (rest % q->shape[d]) * strides[d];
        rest /= q->shape[d];
      }
      for (k = 0; k < q->shape[r - 1]; ++k)
        padded[offset + k] = ((const float *)q->data)[j * q->shape[r - 1] + k];
    }
    args[0].data = padded;
    args[0].strides = strides;
  } else if (strcmp(mode, "dense") != 0) {
    fprintf(stderr, "aot_check: unknown mode %s\n", mode);
    return 2;
  }

  code = attention(&args[0], &args[1], &args[2], &result);
  if (code != 0) {
    printf("%s: kernel returned %d\n", mode, code);
    return 1;
  }
  for (i = 0; i < ref.count; ++i) {
    double r = element(&ref, i), diff = fabs((double)out[i] - r);
    if (!(diff <= max_diff)) /* NaN counts as the largest difference. */
      max_diff = isnan(diff) ? INFINITY : diff;
    if (fabs(r) > max_ref)
      max_ref = fabs(r);
  }
  rel = max_ref > 0 ? max_diff / max_ref : max_diff;
  printf("%s: max relative error %.3e\n", mode, rel);
  if (!(rel <= TOLERANCE)) {
    printf("FAIL (tolerance %.1e)\n", TOLERANCE);
    return 1;
  }
  printf("PASS (tolerance %.1e)\n", TOLERANCE);
  return 0;
}
