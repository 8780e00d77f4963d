//===- bench_decode.cpp - CPU decode kernels, timed -------------------------===//
//
// Times the AOT kernel of examples/mla_decode.mlir (-DMLA: 16 heads over one
// latent head) or examples/kv_cache_decode.mlir (8 query heads over 2 KV
// heads, D = 128) on random inputs, every cache full: the median of 20 calls
// after one warm-up, and a checksum of the output so that two builds can be
// compared. decode.sh builds and runs it.
//
// Usage: bench_decode B T S
//
//===----------------------------------------------------------------------===//
#include "attention.h"
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>
#include <algorithm>
struct T4 { std::vector<int64_t> shape; std::vector<float> data; };
static T4 make(std::vector<int64_t> s, std::mt19937 &g) {
  size_t n = 1; for (auto x : s) n *= x;
  T4 t{s, std::vector<float>(n)};
  std::normal_distribution<float> d(0, 1);
  for (auto &x : t.data) x = d(g);
  return t;
}
int main(int argc, char **argv) {
  const int B = atoi(argv[1]), T = atoi(argv[2]), S = atoi(argv[3]);
  std::mt19937 g(0);
#ifdef MLA
  std::vector<T4> in = {make({B,16,T,128},g), make({B,16,T,64},g), make({B,1,S,512},g), make({B,1,S,64},g),
                        make({16,512,128},g), make({16,512,128},g)};
  T4 out{{B,16,T,128}, std::vector<float>((size_t)B*16*T*128)};
#else
  std::vector<T4> in = {make({B,8,T,128},g), make({B,2,S,128},g), make({B,2,S,128},g)};
  T4 out{{B,8,T,128}, std::vector<float>((size_t)B*8*T*128)};
#endif
  std::vector<int64_t> lengths(B, S), lshape = {B};
  std::vector<attn_tensor> t;
  for (auto &x : in) t.push_back({x.data.data(), x.shape.data(), nullptr});
  attn_tensor len{lengths.data(), lshape.data(), nullptr}, o{out.data.data(), out.shape.data(), nullptr};
  auto call = [&] {
#ifdef MLA
    return attention(&t[0], &t[1], &t[2], &t[3], &t[4], &t[5], &len, &o);
#else
    return attention(&t[0], &t[1], &t[2], &len, &o);
#endif
  };
  if (call()) { printf("error\n"); return 1; }
  std::vector<double> ms;
  for (int i = 0; i < 20; ++i) {
    auto s = std::chrono::steady_clock::now();
    call();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count());
  }
  std::sort(ms.begin(), ms.end());
  double sum = 0; for (float x : out.data) sum += x;
  printf("B=%d T=%d S=%d: median %.3f ms (checksum %.4f)\n", B, T, S, ms[10], sum);
}
