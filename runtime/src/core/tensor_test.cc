//===- tensor_test.cc - Tests for dtypes, shapes and tensors --------------===//

#include "cleave/runtime.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdint>

namespace cleave {
namespace {

TEST(DTypeTest, NamesRoundTrip) {
  for (DType dtype :
       {DType::Float32, DType::Float16, DType::Float64, DType::Int64,
        DType::Int32, DType::Int8, DType::UInt8, DType::Bool, DType::Int16,
        DType::UInt16, DType::UInt32, DType::UInt64, DType::BFloat16}) {
    StatusOr<DType> parsed = parseDType(dtypeName(dtype));
    ASSERT_TRUE(parsed.ok()) << dtypeName(dtype);
    EXPECT_EQ(*parsed, dtype);
  }
  EXPECT_STREQ(dtypeName(DType::Float16), "float16");
  EXPECT_STREQ(dtypeName(DType::Bool), "bool");
  EXPECT_STREQ(dtypeName(DType::UInt64), "uint64");
  EXPECT_STREQ(dtypeName(DType::BFloat16), "bfloat16");
}

TEST(DTypeTest, Sizes) {
  EXPECT_EQ(dtypeSize(DType::Float32), 4u);
  EXPECT_EQ(dtypeSize(DType::Float16), 2u);
  EXPECT_EQ(dtypeSize(DType::Float64), 8u);
  EXPECT_EQ(dtypeSize(DType::Int64), 8u);
  EXPECT_EQ(dtypeSize(DType::Int32), 4u);
  EXPECT_EQ(dtypeSize(DType::Int8), 1u);
  EXPECT_EQ(dtypeSize(DType::UInt8), 1u);
  EXPECT_EQ(dtypeSize(DType::Bool), 1u);
  EXPECT_EQ(dtypeSize(DType::Int16), 2u);
  EXPECT_EQ(dtypeSize(DType::UInt16), 2u);
  EXPECT_EQ(dtypeSize(DType::UInt32), 4u);
  EXPECT_EQ(dtypeSize(DType::UInt64), 8u);
  EXPECT_EQ(dtypeSize(DType::BFloat16), 2u);
}

TEST(DTypeTest, UnknownNameFails) {
  StatusOr<DType> parsed = parseDType("complex64");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("'complex64'"), std::string::npos);
}

TEST(ShapeTest, ToStringAndCount) {
  EXPECT_EQ(shapeToString({}), "[]");
  EXPECT_EQ(shapeToString({1, 3, 224, 224}), "[1, 3, 224, 224]");
  EXPECT_EQ(numElements({}), 1);
  EXPECT_EQ(numElements({2, 0, 5}), 0);
  EXPECT_EQ(numElements({2, 3}), 6);
  EXPECT_EQ(numElements({2, -1}), -1);
  EXPECT_EQ(numElements({INT64_MAX, 2}), -1);
}

TEST(TensorTest, LargerThanTheMachineIsRefusedBeforeAllocating) {
  // Twice the physical memory: refused with a message, never left to the
  // out-of-memory killer (creating a tensor zeroes all of it).
  uint64_t physical = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) *
                      static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  int64_t elements = static_cast<int64_t>(physical / 2);
  StatusOr<Tensor> tensor = Tensor::create(DType::Float32, {elements});
  ASSERT_FALSE(tensor.ok());
  EXPECT_EQ(tensor.status().code(), StatusCode::ResourceExhausted);
  EXPECT_EQ(tensor.status().message(),
            "a float32[" + std::to_string(elements) + "] tensor (" +
                std::to_string(elements * 4) +
                " bytes) is larger than this machine's memory (" +
                std::to_string(physical) + " bytes)");
}

TEST(TensorTest, CreateIsAlignedAndZeroed) {
  StatusOr<Tensor> tensor = Tensor::create(DType::Float32, {3, 5});
  ASSERT_TRUE(tensor.ok()) << tensor.status().toString();
  EXPECT_EQ(tensor->byteSize(), 60u);
  EXPECT_EQ(tensor->numElements(), 15);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(tensor->data()) % 64, 0u);
  for (int i = 0; i < 15; ++i)
    EXPECT_EQ(tensor->dataAs<float>()[i], 0.0f);
}

TEST(TensorTest, EmptyAndScalarTensorsHaveBuffers) {
  StatusOr<Tensor> empty = Tensor::create(DType::Int8, {0, 4});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->byteSize(), 0u);
  EXPECT_NE(empty->data(), nullptr);
  StatusOr<Tensor> scalar = Tensor::create(DType::Float64, {});
  ASSERT_TRUE(scalar.ok());
  EXPECT_EQ(scalar->byteSize(), 8u);
}

TEST(TensorTest, FromBytesChecksSizeAndClones) {
  const int32_t values[] = {1, 2, 3, 4};
  EXPECT_FALSE(Tensor::fromBytes(DType::Int32, {3}, values, 16).ok());
  StatusOr<Tensor> tensor = Tensor::fromBytes(DType::Int32, {2, 2}, values, 16);
  ASSERT_TRUE(tensor.ok());
  StatusOr<Tensor> copy = tensor->clone();
  ASSERT_TRUE(copy.ok());
  EXPECT_NE(copy->data(), tensor->data());
  EXPECT_EQ(copy->dataAs<int32_t>()[3], 4);
  EXPECT_EQ(copy->shape(), (Shape{2, 2}));
}

TEST(TensorTest, NegativeDimensionFails) {
  StatusOr<Tensor> tensor = Tensor::create(DType::Float32, {-1});
  ASSERT_FALSE(tensor.ok());
  EXPECT_EQ(tensor.status().code(), StatusCode::InvalidArgument);
}

} // namespace
} // namespace cleave
