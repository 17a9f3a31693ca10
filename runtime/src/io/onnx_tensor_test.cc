//===- onnx_tensor_test.cc - Tests for the TensorProto reader -------------===//

#include "io/onnx_tensor.h"

#include <gtest/gtest.h>

#include <cstring>
#include <sys/stat.h>

namespace cleave {
namespace io {
namespace {

/// Builds TensorProto bytes field by field, as protobuf would.
class ProtoWriter {
public:
  ProtoWriter &varintField(int field, int64_t value) {
    key(field, 0);
    varint(static_cast<uint64_t>(value));
    return *this;
  }
  ProtoWriter &bytesField(int field, const std::vector<uint8_t> &bytes) {
    key(field, 2);
    varint(bytes.size());
    out_.insert(out_.end(), bytes.begin(), bytes.end());
    return *this;
  }
  ProtoWriter &stringField(int field, const std::string &text) {
    return bytesField(field, std::vector<uint8_t>(text.begin(), text.end()));
  }
  ProtoWriter &packedVarints(int field, const std::vector<int64_t> &values) {
    ProtoWriter inner;
    for (int64_t value : values)
      inner.varint(static_cast<uint64_t>(value));
    return bytesField(field, inner.out_);
  }
  template <typename T> ProtoWriter &fixedField(int field, T value) {
    key(field, sizeof(T) == 4 ? 5 : 1);
    raw(&value, sizeof(T));
    return *this;
  }
  template <typename T>
  ProtoWriter &packedFixed(int field, const std::vector<T> &values) {
    std::vector<uint8_t> bytes(values.size() * sizeof(T));
    std::memcpy(bytes.data(), values.data(), bytes.size());
    return bytesField(field, bytes);
  }
  const std::vector<uint8_t> &bytes() const { return out_; }

  StatusOr<Tensor> parse(std::string *name = nullptr) const {
    return parseTensorProto(out_.data(), out_.size(), name);
  }

private:
  void key(int field, int wireType) { varint((field << 3) | wireType); }
  void varint(uint64_t value) {
    while (value >= 0x80) {
      out_.push_back(static_cast<uint8_t>(value | 0x80));
      value >>= 7;
    }
    out_.push_back(static_cast<uint8_t>(value));
  }
  void raw(const void *data, size_t size) {
    const auto *bytes = static_cast<const uint8_t *>(data);
    out_.insert(out_.end(), bytes, bytes + size);
  }
  std::vector<uint8_t> out_;
};

enum : int64_t {
  FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  UINT16 = 4,
  INT16 = 5,
  INT32 = 6,
  INT64 = 7,
  STRING = 8,
  BOOL = 9,
  FLOAT16 = 10,
  DOUBLE = 11,
  UINT32 = 12,
  UINT64 = 13,
  COMPLEX64 = 14,
  BFLOAT16 = 16
};

TEST(OnnxTensorTest, RawFloatData) {
  std::vector<float> values = {1, 2, 3, 4, 5, 6};
  std::vector<uint8_t> raw(24);
  std::memcpy(raw.data(), values.data(), 24);
  ProtoWriter proto;
  proto.varintField(1, 2)
      .varintField(1, 3)
      .varintField(2, FLOAT)
      .stringField(8, "x:0")
      .bytesField(9, raw);
  std::string name;
  StatusOr<Tensor> tensor = proto.parse(&name);
  ASSERT_TRUE(tensor.ok()) << tensor.status().toString();
  EXPECT_EQ(name, "x:0");
  EXPECT_EQ(tensor->dtype(), DType::Float32);
  EXPECT_EQ(tensor->shape(), (Shape{2, 3}));
  EXPECT_EQ(tensor->dataAs<float>()[5], 6.0f);
}

TEST(OnnxTensorTest, TypedFieldsPackedAndNot) {
  ProtoWriter packed;
  packed.packedVarints(1, {3}).varintField(2, FLOAT).packedFixed<float>(
      4, {0.5f, -1.0f, 2.0f});
  StatusOr<Tensor> floats = packed.parse();
  ASSERT_TRUE(floats.ok()) << floats.status().toString();
  EXPECT_EQ(floats->dataAs<float>()[1], -1.0f);

  ProtoWriter unpacked;
  unpacked.varintField(1, 2)
      .varintField(2, FLOAT)
      .fixedField<float>(4, 7.0f)
      .fixedField<float>(4, 8.0f);
  StatusOr<Tensor> floats2 = unpacked.parse();
  ASSERT_TRUE(floats2.ok());
  EXPECT_EQ(floats2->dataAs<float>()[1], 8.0f);

  ProtoWriter int64s;
  int64s.varintField(1, 2).varintField(2, INT64).varintField(7, -5).varintField(
      7, int64_t(1) << 40);
  StatusOr<Tensor> longs = int64s.parse();
  ASSERT_TRUE(longs.ok());
  EXPECT_EQ(longs->dataAs<int64_t>()[0], -5);
  EXPECT_EQ(longs->dataAs<int64_t>()[1], int64_t(1) << 40);

  ProtoWriter doubles;
  doubles.packedVarints(1, {2}).varintField(2, DOUBLE).packedFixed<double>(
      10, {0.25, -3.5});
  StatusOr<Tensor> d = doubles.parse();
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->dataAs<double>()[1], -3.5);
}

TEST(OnnxTensorTest, SmallTypesLiveInInt32Data) {
  ProtoWriter int8s;
  int8s.varintField(1, 3).varintField(2, INT8).packedVarints(5,
                                                             {-128, -1, 127});
  StatusOr<Tensor> i8 = int8s.parse();
  ASSERT_TRUE(i8.ok()) << i8.status().toString();
  EXPECT_EQ(i8->dtype(), DType::Int8);
  EXPECT_EQ(i8->dataAs<int8_t>()[0], -128);
  EXPECT_EQ(i8->dataAs<int8_t>()[1], -1);

  ProtoWriter halves; // float16 bit patterns of 1.0 and -2.0
  halves.varintField(1, 2)
      .varintField(2, FLOAT16)
      .varintField(5, 0x3C00)
      .varintField(5, 0xC000);
  StatusOr<Tensor> f16 = halves.parse();
  ASSERT_TRUE(f16.ok());
  EXPECT_EQ(f16->dtype(), DType::Float16);
  EXPECT_EQ(f16->dataAs<uint16_t>()[0], 0x3C00);
  EXPECT_EQ(f16->dataAs<uint16_t>()[1], 0xC000);

  ProtoWriter bools;
  bools.varintField(1, 3).varintField(2, BOOL).packedVarints(5, {1, 0, 1});
  StatusOr<Tensor> b = bools.parse();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->dtype(), DType::Bool);
  EXPECT_EQ(b->dataAs<uint8_t>()[2], 1);

  ProtoWriter bytes;
  bytes.varintField(1, 1).varintField(2, UINT8).varintField(5, 255);
  StatusOr<Tensor> u8 = bytes.parse();
  ASSERT_TRUE(u8.ok());
  EXPECT_EQ(u8->dataAs<uint8_t>()[0], 255);

  ProtoWriter int32s;
  int32s.varintField(2, INT32).varintField(5, -7); // a scalar
  StatusOr<Tensor> i32 = int32s.parse();
  ASSERT_TRUE(i32.ok());
  EXPECT_TRUE(i32->shape().empty());
  EXPECT_EQ(i32->dataAs<int32_t>()[0], -7);
}

std::string error(const ProtoWriter &proto) {
  StatusOr<Tensor> tensor = proto.parse();
  EXPECT_FALSE(tensor.ok());
  return tensor.ok() ? "" : tensor.status().message();
}

TEST(OnnxTensorTest, WideUnsignedTypesLiveInUInt64Data) {
  // Field 11, uint64_data; values past INT64_MAX stay exact (-1 is written as
  // the varint of 2^64 - 1).
  ProtoWriter u64s;
  u64s.varintField(1, 2).varintField(2, UINT64).packedVarints(11, {-1, 5});
  StatusOr<Tensor> u64 = u64s.parse();
  ASSERT_TRUE(u64.ok()) << u64.status().toString();
  EXPECT_EQ(u64->dtype(), DType::UInt64);
  EXPECT_EQ(u64->dataAs<uint64_t>()[0], UINT64_MAX);
  EXPECT_EQ(u64->dataAs<uint64_t>()[1], 5u);

  ProtoWriter u32s;
  u32s.varintField(1, 2)
      .varintField(2, UINT32)
      .varintField(11, 4000000000)
      .varintField(11, 7);
  StatusOr<Tensor> u32 = u32s.parse();
  ASSERT_TRUE(u32.ok()) << u32.status().toString();
  EXPECT_EQ(u32->dtype(), DType::UInt32);
  EXPECT_EQ(u32->dataAs<uint32_t>()[0], 4000000000u);
  EXPECT_EQ(u32->dataAs<uint32_t>()[1], 7u);

  // A uint32 tensor's values are not looked for in int32_data.
  EXPECT_EQ(
      error(ProtoWriter().varintField(1, 1).varintField(2, UINT32).varintField(
          5, 1)),
      "tensor of type UINT32 (12) and shape [1] has 1 elements, its data "
      "fields hold 0");
}

TEST(OnnxTensorTest, SixteenBitTypesLiveInInt32Data) {
  ProtoWriter i16s;
  i16s.varintField(1, 2).varintField(2, INT16).packedVarints(5, {-32768, 7});
  StatusOr<Tensor> i16 = i16s.parse();
  ASSERT_TRUE(i16.ok()) << i16.status().toString();
  EXPECT_EQ(i16->dtype(), DType::Int16);
  EXPECT_EQ(i16->dataAs<int16_t>()[0], -32768);
  EXPECT_EQ(i16->dataAs<int16_t>()[1], 7);

  ProtoWriter u16s;
  u16s.varintField(1, 1).varintField(2, UINT16).varintField(5, 65535);
  StatusOr<Tensor> u16 = u16s.parse();
  ASSERT_TRUE(u16.ok());
  EXPECT_EQ(u16->dtype(), DType::UInt16);
  EXPECT_EQ(u16->dataAs<uint16_t>()[0], 65535);

  ProtoWriter bf16s; // bfloat16 bit patterns of 1.0 and -2.0
  bf16s.varintField(1, 2)
      .varintField(2, BFLOAT16)
      .packedVarints(5, {0x3F80, 0xC000});
  StatusOr<Tensor> bf16 = bf16s.parse();
  ASSERT_TRUE(bf16.ok());
  EXPECT_EQ(bf16->dtype(), DType::BFloat16);
  EXPECT_EQ(bf16->dataAs<uint16_t>()[0], 0x3F80);
  EXPECT_EQ(bf16->dataAs<uint16_t>()[1], 0xC000);

  ProtoWriter raw; // raw_data works for every type
  raw.varintField(1, 2).varintField(2, UINT16).bytesField(
      9, {0x01, 0x02, 0xFF, 0xFF});
  StatusOr<Tensor> fromRaw = raw.parse();
  ASSERT_TRUE(fromRaw.ok());
  EXPECT_EQ(fromRaw->dataAs<uint16_t>()[0], 0x0201);
  EXPECT_EQ(fromRaw->dataAs<uint16_t>()[1], 0xFFFF);
}

TEST(OnnxTensorTest, SkipsFieldsItDoesNotUse) {
  ProtoWriter proto;
  proto.stringField(12, "doc")
      .varintField(1, 1)
      .bytesField(3, {8, 1, 16, 2})
      .varintField(2, FLOAT)
      .fixedField<float>(4, 1.0f)
      .fixedField<double>(99, 0.0)
      .varintField(100, 5);
  StatusOr<Tensor> tensor = proto.parse();
  ASSERT_TRUE(tensor.ok()) << tensor.status().toString();
  EXPECT_EQ(tensor->dataAs<float>()[0], 1.0f);
}

TEST(OnnxTensorTest, ClearErrors) {
  EXPECT_EQ(error(ProtoWriter().varintField(1, 2).varintField(2, COMPLEX64)),
            "unsupported ONNX data type COMPLEX64 (14) (supported: FLOAT, "
            "FLOAT16, BFLOAT16, DOUBLE, INT64, INT32, INT16, INT8, UINT64, "
            "UINT32, UINT16, UINT8, BOOL)");
  EXPECT_EQ(error(ProtoWriter().varintField(2, STRING).stringField(6, "a")),
            "unsupported ONNX data type STRING (8) (supported: FLOAT, "
            "FLOAT16, BFLOAT16, DOUBLE, INT64, INT32, INT16, INT8, UINT64, "
            "UINT32, UINT16, UINT8, BOOL)");
  EXPECT_EQ(
      error(ProtoWriter().varintField(1, 2).varintField(2, FLOAT).varintField(
          14, 1)),
      "tensor data is stored in an external file, which is not "
      "supported");
  EXPECT_EQ(error(ProtoWriter()
                      .varintField(1, 3)
                      .varintField(2, FLOAT)
                      .packedFixed<float>(4, {1, 2})),
            "tensor of type FLOAT (1) and shape [3] has 3 elements, its data "
            "fields hold 2");
  EXPECT_EQ(
      error(ProtoWriter().varintField(1, 2).varintField(2, INT64).bytesField(
          9, std::vector<uint8_t>(12))),
      "raw_data holds 12 bytes, a int64[2] tensor needs 16");
  EXPECT_EQ(error(ProtoWriter().varintField(1, -2).varintField(2, FLOAT)),
            "negative dimension in shape [-2]");
  // Dims whose byte size overflows, and dims far larger than the data: both
  // refused before anything is allocated.
  EXPECT_EQ(error(ProtoWriter()
                      .varintField(1, int64_t(1) << 62)
                      .varintField(1, 4)
                      .varintField(2, FLOAT)),
            "invalid shape [4611686018427387904, 4] (its byte size overflows)");
  EXPECT_EQ(error(ProtoWriter()
                      .varintField(1, int64_t(1) << 40)
                      .varintField(2, FLOAT)
                      .bytesField(9, std::vector<uint8_t>(4))),
            "raw_data holds 4 bytes, a float32[1099511627776] tensor needs "
            "4398046511104");
  EXPECT_EQ(error(ProtoWriter()
                      .varintField(1, int64_t(1) << 40)
                      .varintField(2, DOUBLE)),
            "tensor of type DOUBLE (11) and shape [1099511627776] has "
            "1099511627776 elements, its data fields hold 0");
  std::vector<uint8_t> truncated = ProtoWriter().stringField(8, "name").bytes();
  truncated.pop_back();
  StatusOr<Tensor> cut = parseTensorProto(truncated.data(), truncated.size());
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.status().message(),
            "not a valid ONNX TensorProto: truncated length-delimited field");
  std::vector<uint8_t> group = {(5 << 3) | 3};
  StatusOr<Tensor> bad = parseTensorProto(group.data(), group.size());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "not a valid ONNX TensorProto: unexpected wire type 3");
  std::vector<uint8_t> dangling = {0x08, 0x80};
  EXPECT_FALSE(parseTensorProto(dangling.data(), dangling.size()).ok());
}

//===----------------------------------------------------------------------===//
// Files from the ONNX backend test data (Debian's libonnx-testdata).
//===----------------------------------------------------------------------===//

const char kNodeData[] = "/usr/share/libonnx-testdata/data/node/";

Tensor readCase(const std::string &test, const std::string &file,
                const std::string &expectedName) {
  std::string name;
  StatusOr<Tensor> tensor =
      readTensorProto(kNodeData + test + "/test_data_set_0/" + file, &name);
  EXPECT_TRUE(tensor.ok()) << tensor.status().toString();
  EXPECT_EQ(name, expectedName);
  return tensor.ok() ? std::move(tensor).value() : Tensor();
}

class OnnxTestDataTest : public ::testing::Test {
protected:
  void SetUp() override {
    struct stat info;
    if (::stat(kNodeData, &info) != 0)
      GTEST_SKIP() << "libonnx-testdata is not installed";
  }
};

TEST_F(OnnxTestDataTest, AddFloat) {
  Tensor a = readCase("test_add", "input_0.pb", "x");
  Tensor b = readCase("test_add", "input_1.pb", "y");
  Tensor sum = readCase("test_add", "output_0.pb", "sum");
  ASSERT_EQ(a.shape(), (Shape{3, 4, 5}));
  ASSERT_EQ(sum.shape(), a.shape());
  for (int64_t i = 0; i < a.numElements(); ++i)
    EXPECT_FLOAT_EQ(a.dataAs<float>()[i] + b.dataAs<float>()[i],
                    sum.dataAs<float>()[i]);
}

TEST_F(OnnxTestDataTest, AddUInt8Wraps) {
  Tensor a = readCase("test_add_uint8", "input_0.pb", "x");
  Tensor b = readCase("test_add_uint8", "input_1.pb", "y");
  Tensor sum = readCase("test_add_uint8", "output_0.pb", "sum");
  ASSERT_EQ(sum.dtype(), DType::UInt8);
  for (int64_t i = 0; i < a.numElements(); ++i)
    EXPECT_EQ(
        static_cast<uint8_t>(a.dataAs<uint8_t>()[i] + b.dataAs<uint8_t>()[i]),
        sum.dataAs<uint8_t>()[i]);
}

TEST_F(OnnxTestDataTest, AndBool) {
  Tensor a = readCase("test_and2d", "input_0.pb", "x");
  Tensor b = readCase("test_and2d", "input_1.pb", "y");
  Tensor out = readCase("test_and2d", "output_0.pb", "and");
  ASSERT_EQ(out.dtype(), DType::Bool);
  ASSERT_EQ(out.shape(), (Shape{3, 4}));
  for (int64_t i = 0; i < a.numElements(); ++i)
    EXPECT_EQ(a.dataAs<uint8_t>()[i] & b.dataAs<uint8_t>()[i],
              out.dataAs<uint8_t>()[i]);
}

TEST_F(OnnxTestDataTest, CastFloatToDouble) {
  Tensor in = readCase("test_cast_FLOAT_to_DOUBLE", "input_0.pb", "input");
  Tensor out = readCase("test_cast_FLOAT_to_DOUBLE", "output_0.pb", "output");
  ASSERT_EQ(out.dtype(), DType::Float64);
  for (int64_t i = 0; i < in.numElements(); ++i)
    EXPECT_EQ(static_cast<double>(in.dataAs<float>()[i]),
              out.dataAs<double>()[i]);
  Tensor half = readCase("test_cast_FLOAT_to_FLOAT16", "output_0.pb", "output");
  EXPECT_EQ(half.dtype(), DType::Float16);
  EXPECT_EQ(half.shape(), (Shape{3, 4}));
}

TEST_F(OnnxTestDataTest, ArgMaxInt64) {
  Tensor out =
      readCase("test_argmax_default_axis_example", "output_0.pb", "result");
  ASSERT_EQ(out.dtype(), DType::Int64);
  ASSERT_EQ(out.shape(), (Shape{1, 2}));
  EXPECT_EQ(out.dataAs<int64_t>()[0], 1);
  EXPECT_EQ(out.dataAs<int64_t>()[1], 1);
}

} // namespace
} // namespace io
} // namespace cleave
