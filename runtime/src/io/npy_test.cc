//===- npy_test.cc - Tests for the .npy reader and writer -----------------===//

#include "io/npy.h"
#include "io/tensor_file.h"

#include "core/test_artifact_writer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace cleave {
namespace io {
namespace {

/// A .npy image with the given header dict and payload, version 1.0 or 2.0.
std::vector<uint8_t> npyImage(const std::string &dict,
                              const std::vector<uint8_t> &payload,
                              int major = 1) {
  std::string header = dict;
  size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64)
    header += ' ';
  header += '\n';
  std::vector<uint8_t> bytes = {
      0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  for (size_t i = 0; i < prefix - 8; ++i)
    bytes.push_back(static_cast<uint8_t>(header.size() >> (8 * i)));
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.insert(bytes.end(), payload.begin(), payload.end());
  return bytes;
}

std::string parseError(const std::vector<uint8_t> &bytes) {
  StatusOr<Tensor> tensor = parseNpy(bytes.data(), bytes.size());
  EXPECT_FALSE(tensor.ok());
  return tensor.ok() ? "" : tensor.status().message();
}

TEST(NpyTest, RoundTripsEveryDType) {
  for (DType dtype :
       {DType::Float32, DType::Float16, DType::Float64, DType::Int64,
        DType::Int32, DType::Int8, DType::UInt8, DType::Bool, DType::Int16,
        DType::UInt16, DType::UInt32, DType::UInt64}) {
    for (const Shape &shape : {Shape{}, Shape{5}, Shape{2, 3}, Shape{0, 4}}) {
      StatusOr<Tensor> tensor = Tensor::create(dtype, shape);
      ASSERT_TRUE(tensor.ok());
      auto *bytes = static_cast<uint8_t *>(tensor->data());
      for (size_t i = 0; i < tensor->byteSize(); ++i)
        bytes[i] = dtype == DType::Bool ? i % 2 : static_cast<uint8_t>(i * 7);
      std::vector<uint8_t> image = encodeNpy(*tensor);
      uint16_t headerLength = image[8] | (image[9] << 8);
      EXPECT_EQ((10 + headerLength) % 64, 0u);
      EXPECT_EQ(image[10 + headerLength - 1], '\n');
      StatusOr<Tensor> back = parseNpy(image.data(), image.size());
      ASSERT_TRUE(back.ok()) << back.status().toString();
      EXPECT_EQ(back->dtype(), dtype);
      EXPECT_EQ(back->shape(), shape);
      ASSERT_EQ(back->byteSize(), tensor->byteSize());
      EXPECT_EQ(std::memcmp(back->data(), tensor->data(), tensor->byteSize()),
                0);
    }
  }
}

/// The header dict of a version 1.0 image, without its padding.
std::string headerOf(const std::vector<uint8_t> &image) {
  size_t length = image[8] | (image[9] << 8);
  std::string header(image.begin() + 10, image.begin() + 10 + length);
  return header.substr(0, header.find_last_of('}') + 1);
}

TEST(NpyTest, NewIntegerDescrs) {
  // Headers as numpy writes them for int16, uint16, uint32 and uint64.
  struct Case {
    const char *descr;
    DType dtype;
  } cases[] = {{"<i2", DType::Int16},
               {"<u2", DType::UInt16},
               {"<u4", DType::UInt32},
               {"<u8", DType::UInt64}};
  for (const Case &c : cases) {
    StatusOr<Tensor> tensor = Tensor::create(c.dtype, {3});
    ASSERT_TRUE(tensor.ok());
    EXPECT_EQ(headerOf(encodeNpy(*tensor)),
              std::string("{'descr': '") + c.descr +
                  "', 'fortran_order': False, 'shape': (3,), }");
  }
  // The largest uint64 survives a round trip.
  StatusOr<Tensor> big = Tensor::create(DType::UInt64, {1});
  big->dataAs<uint64_t>()[0] = UINT64_MAX;
  std::vector<uint8_t> image = encodeNpy(*big);
  StatusOr<Tensor> back = parseNpy(image.data(), image.size());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->dataAs<uint64_t>()[0], UINT64_MAX);
}

TEST(NpyTest, BFloat16IsWrittenAsItsBits) {
  // numpy has no bfloat16: the bits go out as uint16 and read back as uint16.
  StatusOr<Tensor> tensor = Tensor::create(DType::BFloat16, {2});
  ASSERT_TRUE(tensor.ok());
  tensor->dataAs<uint16_t>()[0] = 0x3F80; // 1.0
  tensor->dataAs<uint16_t>()[1] = 0xC000; // -2.0
  std::vector<uint8_t> image = encodeNpy(*tensor);
  EXPECT_EQ(headerOf(image),
            "{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }");
  StatusOr<Tensor> back = parseNpy(image.data(), image.size());
  ASSERT_TRUE(back.ok()) << back.status().toString();
  EXPECT_EQ(back->dtype(), DType::UInt16);
  EXPECT_EQ(back->dataAs<uint16_t>()[0], 0x3F80);
  EXPECT_EQ(back->dataAs<uint16_t>()[1], 0xC000);
}

TEST(NpyTest, WritesNumpyStyleHeaders) {
  StatusOr<Tensor> vector = Tensor::create(DType::Float32, {3});
  EXPECT_EQ(headerOf(encodeNpy(*vector)),
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }");
  StatusOr<Tensor> matrix = Tensor::create(DType::Bool, {2, 3});
  EXPECT_EQ(headerOf(encodeNpy(*matrix)),
            "{'descr': '|b1', 'fortran_order': False, 'shape': (2, 3), }");
  StatusOr<Tensor> scalar = Tensor::create(DType::Int64, {});
  EXPECT_EQ(headerOf(encodeNpy(*scalar)),
            "{'descr': '<i8', 'fortran_order': False, 'shape': (), }");
}

TEST(NpyTest, ReadsVersion2AndVariants) {
  std::vector<uint8_t> payload(8);
  float values[] = {1.5f, -2.0f};
  std::memcpy(payload.data(), values, 8);
  for (const std::vector<uint8_t> &image :
       {npyImage("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
                 payload, 2),
        npyImage("{\"shape\": (2L,), \"fortran_order\": False, \"descr\": "
                 "\"<f4\"}",
                 payload),
        npyImage("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }",
                 payload)}) {
    StatusOr<Tensor> tensor = parseNpy(image.data(), image.size());
    ASSERT_TRUE(tensor.ok()) << tensor.status().toString();
    EXPECT_EQ(tensor->shape(), (Shape{2}));
    EXPECT_EQ(tensor->dataAs<float>()[1], -2.0f);
  }
  std::vector<uint8_t> scalar =
      npyImage("{'descr': '<u1', 'fortran_order': False, 'shape': (), }", {1});
  StatusOr<Tensor> byte = parseNpy(scalar.data(), scalar.size());
  ASSERT_TRUE(byte.ok());
  EXPECT_EQ(byte->dtype(), DType::UInt8);
}

TEST(NpyTest, ClearErrors) {
  std::vector<uint8_t> payload(24);
  EXPECT_EQ(parseError(npyImage(
                "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
                payload)),
            "Fortran-order arrays are not supported; save the array with "
            "np.save(path, np.ascontiguousarray(a))");
  EXPECT_EQ(parseError(npyImage(
                "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }",
                payload)),
            "big-endian data ('>f4') is not supported; convert it with "
            "a.astype('<f4')");
  EXPECT_EQ(parseError(npyImage(
                "{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }",
                payload)),
            "unsupported dtype '<c8' (supported: float32, float16, float64, "
            "int64, int32, int16, int8, uint64, uint32, uint16, uint8, bool)");
  EXPECT_EQ(parseError(npyImage(
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }",
                payload)),
            "truncated data: a float32[2, 4] array holds 32 bytes, the file "
            "has 24");
  EXPECT_EQ(parseError(npyImage(
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }",
                payload)),
            "oversized data: a float32[2, 2] array holds 16 bytes, the file "
            "has 24");
  EXPECT_EQ(parseError(npyImage("{'descr': '<f4', 'shape': (6,), }", payload)),
            "header lacks descr, fortran_order or shape");
  EXPECT_EQ(parseError(npyImage("{'descr': '<f4', 'fortran_order': False, "
                                "'shape': (2 3), }",
                                payload)),
            "malformed header: expected ',' or ')' in shape");
  EXPECT_EQ(parseError({'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0}),
            "not a .npy file (bad magic bytes)");
  std::vector<uint8_t> v4 = npyImage("{}", {});
  v4[6] = 4;
  EXPECT_EQ(parseError(v4), ".npy format version 4.0 is not supported");
  std::vector<uint8_t> cut = npyImage(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", payload);
  cut.resize(40);
  EXPECT_EQ(parseError(cut), "truncated .npy header");
}

TEST(NpyTest, FilesRoundTripAndNameThePath) {
  std::string dir = testing::makeTempDir();
  StatusOr<Tensor> tensor = Tensor::create(DType::Int32, {4});
  ASSERT_TRUE(tensor.ok());
  tensor->dataAs<int32_t>()[2] = -9;
  ASSERT_TRUE(writeNpy(dir + "/t.npy", *tensor).ok());
  StatusOr<Tensor> back = readNpy(dir + "/t.npy");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->dataAs<int32_t>()[2], -9);

  StatusOr<Tensor> missing = readNpy(dir + "/none.npy");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::NotFound);
  EXPECT_EQ(missing.status().message(),
            "cannot open '" + dir + "/none.npy': No such file or directory");
  testing::writeBytes(dir + "/bad.npy", {'x'});
  StatusOr<Tensor> bad = readNpy(dir + "/bad.npy");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "'" + dir + "/bad.npy': not a .npy file (bad magic bytes)");
  EXPECT_FALSE(writeNpy(dir + "/no/such/dir/t.npy", *tensor).ok());

  // readTensorFile picks the reader by extension.
  StatusOr<Tensor> viaExtension = readTensorFile(dir + "/t.npy");
  ASSERT_TRUE(viaExtension.ok());
  EXPECT_EQ(viaExtension->shape(), (Shape{4}));
  StatusOr<Tensor> text = readTensorFile(dir + "/t.txt");
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().message(),
            "'" + dir +
                "/t.txt': unknown tensor file type (expected a .npy "
                "or ONNX TensorProto .pb file)");
}

TEST(NpyTest, ShapesWhoseByteSizeOverflowAreRefused) {
  // 2^62 x 4 elements of 4 bytes: the element count fits in int64, the
  // byte size does not.
  EXPECT_EQ(parseError(npyImage("{'descr': '<f4', 'fortran_order': False, "
                                "'shape': (4611686018427387904, 4), }",
                                {})),
            "invalid shape [4611686018427387904, 4] (its byte size overflows)");
  EXPECT_EQ(parseError(npyImage("{'descr': '<f8', 'fortran_order': False, "
                                "'shape': (2305843009213693952,), }",
                                {})),
            "invalid shape [2305843009213693952] (its byte size overflows)");
  std::vector<uint8_t> huge = npyImage("{}", {}, 2);
  huge[8] = huge[9] = huge[10] = huge[11] = 0xff;
  EXPECT_EQ(parseError(huge),
            ".npy header of 4294967295 bytes is too long (at most 1048576)");
}

TEST(NpyTest, ErrorsQuoteOnlyAPrefixOfLongValues) {
  std::string longKey(5000, 'k');
  EXPECT_EQ(parseError(npyImage("{'" + longKey + "': 1}", {})),
            "unexpected header key '" + std::string(64, 'k') +
                "...' (5000 bytes)");
  std::string longDescr = "<" + std::string(3000, 'f');
  EXPECT_EQ(parseError(npyImage("{'descr': '" + longDescr +
                                    "', 'fortran_order': False, 'shape': (), }",
                                {})),
            "unsupported dtype '" + longDescr.substr(0, 64) +
                "...' (3001 bytes) (supported: float32, float16, float64, "
                "int64, int32, int16, int8, uint64, uint32, uint16, uint8, "
                "bool)");
}

TEST(NpyTest, FileSizeIsCheckedAgainstTheHeaderBeforeReading) {
  std::string dir = testing::makeTempDir();
  // A header for 2 floats followed by 64 GiB (a sparse file): refused from
  // its size alone, nothing read or allocated.
  std::vector<uint8_t> image = npyImage(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", {});
  std::string path = dir + "/big.npy";
  testing::writeBytes(path, image);
  uint64_t size = image.size() + (uint64_t(64) << 30);
  ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(size)), 0);
  StatusOr<Tensor> big = readTensorFile(path);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().message(),
            "'" + path +
                "': oversized data: a float32[2] array holds 8 bytes, the "
                "file has 68719476736");

  // A header for 2^34 floats and a file that small: truncated.
  image = npyImage("{'descr': '<f4', 'fortran_order': False, 'shape': "
                   "(17179869184,), }",
                   {1, 2, 3, 4});
  testing::writeBytes(path, image);
  StatusOr<Tensor> cut = readTensorFile(path);
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.status().message(),
            "'" + path +
                "': truncated data: a float32[17179869184] array holds "
                "68719476736 bytes, the file has 4");

  // More data than the caller takes: refused before it is read.
  image = npyImage("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }",
                   std::vector<uint8_t>(16, 0));
  testing::writeBytes(path, image);
  StatusOr<Tensor> tooMuch = readTensorFile(path, 8);
  ASSERT_FALSE(tooMuch.ok());
  EXPECT_EQ(tooMuch.status().code(), StatusCode::ResourceExhausted);
  EXPECT_EQ(tooMuch.status().message(),
            "'" + path +
                "': a float32[4] array of 16 bytes is more than the input can "
                "take (8 bytes at most)");
  StatusOr<Tensor> fits = readTensorFile(path, 16);
  ASSERT_TRUE(fits.ok()) << fits.status().toString();
  EXPECT_EQ(fits->shape(), (Shape{4}));

  // A directory is not a tensor file.
  ASSERT_EQ(::mkdir((dir + "/d.npy").c_str(), 0700), 0);
  StatusOr<Tensor> directory = readTensorFile(dir + "/d.npy");
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.status().message(),
            "'" + dir + "/d.npy': not a regular file");
}

} // namespace
} // namespace io
} // namespace cleave
