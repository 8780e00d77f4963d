//===- TensorTest.cpp - .npy round trips and rounding ---------------------===//

#include "attn/Support/Tensor.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <random>

using namespace attn;

namespace {
class TensorTest : public ::testing::Test {
protected:
  std::string tempPath() {
    llvm::SmallString<128> path;
    EXPECT_FALSE(llvm::sys::fs::createTemporaryFile("attn-npy", "npy", path));
    paths.push_back(path.str().str());
    return paths.back();
  }
  void TearDown() override {
    for (const std::string &p : paths)
      llvm::sys::fs::remove(p);
  }
  void writeRaw(const std::string &path, llvm::StringRef bytes) {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    ASSERT_FALSE(ec);
    os << bytes;
  }

  mlir::MLIRContext context;
  mlir::Builder b{&context};
  std::vector<std::string> paths;
};

Tensor randomTensor(llvm::ArrayRef<int64_t> shape, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> uniform(-3, 3);
  Tensor t = Tensor::filled(shape);
  for (double &x : t.data)
    x = uniform(rng);
  return t;
}

TEST_F(TensorTest, RoundTripsEveryStorageType) {
  mlir::Type types[] = {b.getF64Type(), b.getF32Type(), b.getF16Type(),
                        b.getBF16Type()};
  for (mlir::Type type : types) {
    Tensor t = randomTensor({2, 3, 5}, 7);
    roundToType(t, type);
    std::string path = tempPath();
    ASSERT_FALSE(static_cast<bool>(writeNpy(path, t, type)));
    llvm::Expected<Tensor> back = readNpy(path, type);
    ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
    EXPECT_EQ(back->shape, t.shape);
    EXPECT_EQ(back->data, t.data); // exact: values were rounded first
  }
}

TEST_F(TensorTest, RoundsToBF16Precision) {
  Tensor t = Tensor::filled({1}, 1.0 + 1.0 / 256); // needs 8 mantissa bits
  roundToType(t, b.getBF16Type());
  EXPECT_EQ(t.data[0], 1.0); // bf16 keeps 7: ties round to even
  Tensor u = Tensor::filled({1}, 1.0 + 1.0 / 128);
  roundToType(u, b.getBF16Type());
  EXPECT_EQ(u.data[0], 1.0 + 1.0 / 128);
}

TEST_F(TensorTest, IntegersAndScalars) {
  Tensor lengths = Tensor::filled({3});
  lengths.data = {1, 17, 4096};
  std::string path = tempPath();
  ASSERT_FALSE(static_cast<bool>(writeNpy(path, lengths, b.getI64Type())));
  llvm::Expected<Tensor> back = readNpy(path, b.getI32Type());
  ASSERT_TRUE(static_cast<bool>(back));
  EXPECT_EQ(back->data, lengths.data);

  Tensor scalar = Tensor::scalar(2.5);
  std::string scalarPath = tempPath();
  ASSERT_FALSE(static_cast<bool>(writeNpy(scalarPath, scalar, b.getF32Type())));
  llvm::Expected<Tensor> scalarBack = readNpy(scalarPath, b.getF32Type());
  ASSERT_TRUE(static_cast<bool>(scalarBack));
  EXPECT_EQ(scalarBack->rank(), 0);
  EXPECT_EQ(scalarBack->data, std::vector<double>{2.5});
}

TEST_F(TensorTest, RejectsBadFiles) {
  auto expectError = [&](llvm::StringRef bytes, mlir::Type type,
                         llvm::StringRef fragment) {
    std::string path = tempPath();
    writeRaw(path, bytes);
    llvm::Expected<Tensor> t = readNpy(path, type);
    ASSERT_FALSE(static_cast<bool>(t));
    std::string message = llvm::toString(t.takeError());
    EXPECT_NE(message.find(fragment.str()), std::string::npos) << message;
  };
  expectError("not a numpy file", b.getF32Type(), "no .npy magic");
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': "
                       "(4,), }";
  std::string prefix = std::string("\x93NUMPY\x01\x00", 8) +
                       char(header.size()) + char(0) + header;
  expectError(prefix + std::string(8, '\0'), b.getF32Type(), "data bytes");
  expectError(prefix + std::string(16, '\0'), b.getI64Type(),
              "does not fit an integer argument");
  std::string fortran = "{'descr': '<f4', 'fortran_order': True, 'shape': "
                        "(1,), }";
  expectError(std::string("\x93NUMPY\x01\x00", 8) + char(fortran.size()) +
                  char(0) + fortran + std::string(4, '\0'),
              b.getF32Type(), "Fortran order");
  std::string missing = tempPath() + ".absent";
  llvm::Expected<Tensor> t = readNpy(missing, b.getF32Type());
  ASSERT_FALSE(static_cast<bool>(t));
  EXPECT_NE(llvm::toString(t.takeError()).find("cannot read"),
            std::string::npos);
}
} // namespace
