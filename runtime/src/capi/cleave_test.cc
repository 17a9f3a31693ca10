//===- cleave_test.cc - Tests for the C API that C alone cannot make ------===//
//
// runtime/tests/c_api_test.c checks the C API from C; these check what needs
// threads or the runtime's internals: sessions and their errors on two
// threads at once, and the C codes against the C++ ones.

#include "cleave/cleave.h"
#include "cleave/runtime.h"

#include "core/test_artifact_writer.h"

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace cleave {
namespace {

TEST(CApiTest, SessionsOnTwoThreadsKeepTheirOwnErrors) {
  StatusOr<testing::AssembledArtifact> built =
      testing::buildArtifact(testing::addModel());
  ASSERT_TRUE(built.ok()) << built.status().toString();
  std::string path = testing::makeTempDir() + "/add.cleave";
  testing::writeBytes(path, built->bytes);

  // Each thread alternates good runs with runs whose error names its own
  // thread's mistake; statuses never mix.
  std::vector<std::string> failures(2);
  auto work = [&](int thread) {
    cleave_session *session = nullptr;
    cleave_status *status =
        cleave_session_create(path.c_str(), nullptr, &session);
    if (status) {
      failures[thread] = cleave_status_get_message(status);
      cleave_status_release(status);
      return;
    }
    const int64_t dims[2] = {2, 3};
    const int64_t wrong[2] = {thread + 3, 2};
    alignas(64) float x[6] = {1, 2, 3, 4, 5, 6};
    alignas(64) float y[6] = {};
    cleave_tensor_view in{CLEAVE_DTYPE_FLOAT32, 2, dims, x, sizeof(x)};
    cleave_tensor_view bad{CLEAVE_DTYPE_FLOAT32, 2, wrong, x, sizeof(x)};
    cleave_mutable_tensor_view out{CLEAVE_DTYPE_FLOAT32, 2, dims, y, sizeof(y)};
    std::string want = "input 'x': expected shape [2, 3], got [" +
                       std::to_string(thread + 3) + ", 2]";
    for (int run = 0; run < 50 && failures[thread].empty(); ++run) {
      status = cleave_session_run(session, &in, 1, &out, 1);
      if (status || y[5] != 11.5f)
        failures[thread] =
            std::string("run: ") + cleave_status_get_message(status);
      cleave_status_release(status);
      status = cleave_session_run(session, &bad, 1, &out, 1);
      if (cleave_status_get_code(status) != CLEAVE_INVALID_ARGUMENT ||
          cleave_status_get_message(status) != want)
        failures[thread] =
            std::string("bad run: ") + cleave_status_get_message(status);
      cleave_status_release(status);
    }
    cleave_session_release(session);
  };
  std::thread first(work, 0), second(work, 1);
  first.join();
  second.join();
  EXPECT_EQ(failures[0], "");
  EXPECT_EQ(failures[1], "");
}

TEST(CApiTest, CodesAndNamesMatchTheCppApi) {
  for (int code = CLEAVE_OK; code <= CLEAVE_INTERNAL; ++code)
    EXPECT_STREQ(cleave_status_code_name(static_cast<cleave_status_code>(code)),
                 statusCodeName(static_cast<StatusCode>(code)));
  for (int code = 0; code < CLEAVE_DTYPE_COUNT; ++code) {
    auto dtype = static_cast<DType>(code);
    EXPECT_STREQ(cleave_dtype_name(static_cast<cleave_dtype>(code)),
                 dtypeName(dtype));
    EXPECT_EQ(cleave_dtype_size(static_cast<cleave_dtype>(code)),
              dtypeSize(dtype));
  }
}

TEST(CApiTest, NullArgumentsAreErrorsNotCrashes) {
  cleave_tensor_info info;
  cleave_status *status = cleave_session_input_info(nullptr, 0, &info);
  EXPECT_EQ(cleave_status_get_code(status), CLEAVE_INVALID_ARGUMENT);
  EXPECT_STREQ(cleave_status_get_message(status),
               "cleave_session_input_info: session is NULL");
  cleave_status_release(status);
  status = cleave_session_create("x.cleave", nullptr, nullptr);
  EXPECT_EQ(cleave_status_get_code(status), CLEAVE_INVALID_ARGUMENT);
  cleave_status_release(status);
  status = cleave_session_options_set_threads(nullptr, 1);
  EXPECT_EQ(cleave_status_get_code(status), CLEAVE_INVALID_ARGUMENT);
  cleave_status_release(status);
  EXPECT_EQ(cleave_session_input_count(nullptr), 0u);
  EXPECT_EQ(cleave_session_takes_inputs(nullptr), 0);
  EXPECT_EQ(cleave_session_rank(nullptr), -1);
  cleave_session_release(nullptr);
  cleave_session_options_release(nullptr);
}

} // namespace
} // namespace cleave
