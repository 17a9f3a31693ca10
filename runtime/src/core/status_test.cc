//===- status_test.cc - Tests for Status and StatusOr ---------------------===//

#include "cleave/runtime.h"

#include <gtest/gtest.h>

namespace cleave {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status status;
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::Ok);
  EXPECT_EQ(status.message(), "");
  EXPECT_EQ(status.toString(), "OK");
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  Status status = dataLossError("section 'a' checksum mismatch");
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::DataLoss);
  EXPECT_EQ(status.message(), "section 'a' checksum mismatch");
  EXPECT_EQ(status.toString(), "DATA_LOSS: section 'a' checksum mismatch");
}

TEST(StatusOrTest, HoldsValueOrError) {
  StatusOr<int> value = 42;
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, 42);
  StatusOr<int> error = notFoundError("no such thing");
  EXPECT_FALSE(error.ok());
  EXPECT_EQ(error.status().code(), StatusCode::NotFound);
}

TEST(StatusOrTest, OkStatusWithoutValueIsAnError) {
  StatusOr<int> bad = Status();
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::Internal);
}

TEST(StatusOrTest, ConvertsDerivedPointers) {
  struct Base {
    virtual ~Base() = default;
  };
  struct Derived : Base {};
  StatusOr<std::unique_ptr<Derived>> derived = std::make_unique<Derived>();
  StatusOr<std::unique_ptr<Base>> base = std::move(derived);
  ASSERT_TRUE(base.ok());
  EXPECT_NE(base->get(), nullptr);
}

} // namespace
} // namespace cleave
