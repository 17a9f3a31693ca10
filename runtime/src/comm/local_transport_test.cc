//===- local_transport_test.cc - Tests for the in-process transport -------===//

#include "comm/local_transport.h"

#include <gtest/gtest.h>

#include <thread>

namespace cleave {
namespace {
using testing::createLocalTransports;

TEST(LocalTransportTest, DeliversByPeerAndTag) {
  auto transports = createLocalTransports(2);
  int sent[2] = {7, 9};
  StatusOr<TransportRequest> a = transports[0]->send(&sent[0], 4, 1, 5);
  StatusOr<TransportRequest> b = transports[0]->send(&sent[1], 4, 1, 3);
  ASSERT_TRUE(a.ok() && b.ok());
  int got[2] = {0, 0};
  StatusOr<TransportRequest> ra = transports[1]->recv(&got[0], 4, 0, 3);
  StatusOr<TransportRequest> rb = transports[1]->recv(&got[1], 4, 0, 5);
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_TRUE(transports[1]->wait(*rb).ok());
  EXPECT_TRUE(transports[1]->wait(*ra).ok());
  EXPECT_EQ(got[0], 9);
  EXPECT_EQ(got[1], 7);
  EXPECT_TRUE(transports[0]->wait(*a).ok());
  EXPECT_TRUE(transports[0]->wait(*b).ok());
  EXPECT_FALSE(transports[0]->wait(*b).ok()); // already released
  EXPECT_FALSE(transports[0]->send(&sent[0], 4, 0, 1).ok());
}

TEST(LocalTransportTest, AgreeReportsTheLowestFailingRank) {
  auto transports = createLocalTransports(3);
  Status results[3];
  std::vector<std::thread> threads;
  for (int r = 0; r < 3; ++r)
    threads.emplace_back([&, r] {
      Status local =
          r == 0 ? Status() : notFoundError("no file " + std::to_string(r));
      results[r] = transports[r]->agree(local);
      transports[r]->barrier();
      results[r] =
          results[r].ok() ? transports[r]->agree(Status()) : results[r];
    });
  for (std::thread &thread : threads)
    thread.join();
  for (const Status &result : results) {
    EXPECT_EQ(result.code(), StatusCode::NotFound);
    EXPECT_EQ(result.message(), "rank 1: no file 1");
  }
}

} // namespace
} // namespace cleave
