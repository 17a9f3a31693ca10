//===- npz_test.cc - Tests for the .npz reader and writer -----------------===//

#include "io/npz.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <unistd.h>

namespace cleave {
namespace io {
namespace {

std::string writeTemp(const std::vector<uint8_t> &bytes) {
  std::string path = "/tmp/cleave_npz_test_" + std::to_string(::getpid()) +
                     "_" + std::to_string(rand()) + ".npz";
  std::FILE *file = std::fopen(path.c_str(), "wb");
  std::fwrite(bytes.data(), 1, bytes.size(), file);
  std::fclose(file);
  return path;
}

Tensor tensor(DType dtype, Shape shape, const void *data, size_t size) {
  StatusOr<Tensor> made =
      Tensor::fromBytes(dtype, std::move(shape), data, size);
  EXPECT_TRUE(made.ok());
  return std::move(made).value();
}

TEST(Npz, WrittenArchiveReadsBack) {
  std::vector<NamedTensor> arrays;
  float values[6] = {1, 2, 3, 4, 5, 6};
  arrays.emplace_back("logits",
                      tensor(DType::Float32, {2, 3}, values, sizeof(values)));
  int64_t index[2] = {7, -1};
  arrays.emplace_back("index", tensor(DType::Int64, {2}, index, sizeof(index)));
  std::string path = writeTemp(encodeNpz(arrays));
  StatusOr<std::vector<NamedTensor>> read = readNpz(path, 1 << 20);
  std::remove(path.c_str());
  ASSERT_TRUE(read.ok()) << read.status().message();
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ((*read)[0].first, "logits");
  EXPECT_EQ((*read)[0].second.shape(), Shape({2, 3}));
  EXPECT_EQ((*read)[0].second.dataAs<float>()[5], 6.0f);
  EXPECT_EQ((*read)[1].first, "index");
  EXPECT_EQ((*read)[1].second.dtype(), DType::Int64);
  EXPECT_EQ((*read)[1].second.dataAs<int64_t>()[1], -1);
}

TEST(Npz, RefusesWhatIsNoArchiveAndOversizedMembers) {
  std::string path = writeTemp({'n', 'o', 't', ' ', 'z', 'i', 'p'});
  StatusOr<std::vector<NamedTensor>> read = readNpz(path, 1 << 20);
  EXPECT_FALSE(read.ok());
  EXPECT_EQ(read.status().message(),
            "'" + path + "': not a .npz file (no zip end record)");
  std::remove(path.c_str());

  float values[4] = {};
  std::vector<NamedTensor> arrays;
  arrays.emplace_back("x", tensor(DType::Float32, {4}, values, sizeof(values)));
  path = writeTemp(encodeNpz(arrays));
  read = readNpz(path, 8);
  EXPECT_FALSE(read.ok());
  EXPECT_EQ(read.status().message(),
            "'" + path +
                "': member 'x.npy' holds 16 bytes, more than the 8 expected");
  std::remove(path.c_str());
}

} // namespace
} // namespace io
} // namespace cleave
