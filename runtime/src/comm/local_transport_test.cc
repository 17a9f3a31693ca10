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

TEST(LocalTransportTest, AllReduceSumsEveryRanksElements) {
  auto transports = createLocalTransports(3);
  std::vector<std::vector<float>> data(3);
  std::vector<std::vector<int64_t>> ints(3, std::vector<int64_t>(2));
  Status results[3];
  std::vector<std::thread> threads;
  for (int r = 0; r < 3; ++r)
    threads.emplace_back([&, r] {
      data[r] = {1.0f * r, 10.0f * r, 0.5f, -1.0f};
      int64_t mine[2] = {r, int64_t(1) << 40};
      // In place for floats, out of place for integers.
      results[r] = transports[r]->allReduceSum(data[r].data(), data[r].data(),
                                               4, DType::Float32);
      if (results[r].ok())
        results[r] = transports[r]->allReduceSum(mine, ints[r].data(), 2,
                                                 DType::Int64);
    });
  for (std::thread &thread : threads)
    thread.join();
  for (int r = 0; r < 3; ++r) {
    EXPECT_TRUE(results[r].ok()) << results[r].message();
    EXPECT_EQ(data[r], (std::vector<float>{3.0f, 30.0f, 1.5f, -3.0f}));
    EXPECT_EQ(ints[r], (std::vector<int64_t>{3, int64_t(3) << 40}));
  }
  EXPECT_FALSE(transports[0]->allReduceSum(nullptr, nullptr, 0, DType::Int8)
                   .ok());
}

TEST(LocalTransportTest, AllGatherConcatenatesInRankOrder) {
  auto transports = createLocalTransports(3);
  std::vector<std::vector<int32_t>> gathered(3, std::vector<int32_t>(6));
  Status results[3];
  std::vector<std::thread> threads;
  for (int r = 0; r < 3; ++r)
    threads.emplace_back([&, r] {
      int32_t mine[2] = {r, 10 * r};
      results[r] = transports[r]->allGather(mine, gathered[r].data(), 8);
    });
  for (std::thread &thread : threads)
    thread.join();
  for (int r = 0; r < 3; ++r) {
    EXPECT_TRUE(results[r].ok()) << results[r].message();
    EXPECT_EQ(gathered[r], (std::vector<int32_t>{0, 0, 1, 10, 2, 20}));
  }
}

TEST(LocalTransportTest, SplitMakesIndependentGroups) {
  // Four ranks, two groups as a 2x2 pipeline x tensor-parallel plan makes
  // them: color = stage, key = place in the group (reversed in group 1, so
  // that its ranks are ordered by key, not by rank).
  auto transports = createLocalTransports(4);
  std::vector<std::shared_ptr<Transport>> groups(4);
  std::vector<std::vector<float>> sums(4);
  std::vector<std::vector<float>> gathered(4, std::vector<float>(2));
  Status results[4];
  std::vector<std::thread> threads;
  for (int r = 0; r < 4; ++r)
    threads.emplace_back([&, r] {
      int color = r / 2, key = color == 0 ? r % 2 : 1 - r % 2;
      StatusOr<std::shared_ptr<Transport>> group =
          transports[r]->split(color, key);
      results[r] = group.status();
      if (!group.ok())
        return;
      groups[r] = *group;
      sums[r] = {float(r), 1.0f};
      results[r] = groups[r]->allReduceSum(sums[r].data(), sums[r].data(), 2,
                                           DType::Float32);
      float mine = float(r);
      if (results[r].ok())
        results[r] = groups[r]->allGather(&mine, gathered[r].data(), 4);
      // Point-to-point within the group, by group rank.
      int peer = 1 - groups[r]->rank();
      float got = -1;
      StatusOr<TransportRequest> sent = groups[r]->send(&mine, 4, peer, 7);
      StatusOr<TransportRequest> recv = groups[r]->recv(&got, 4, peer, 7);
      if (results[r].ok() && sent.ok() && recv.ok())
        results[r] = groups[r]->wait(*recv);
      if (results[r].ok())
        results[r] = groups[r]->wait(*sent);
      if (results[r].ok() && got != float(r % 2 == 0 ? r + 1 : r - 1))
        results[r] = internalError("got " + std::to_string(got));
    });
  for (std::thread &thread : threads)
    thread.join();
  for (int r = 0; r < 4; ++r) {
    SCOPED_TRACE("rank " + std::to_string(r));
    ASSERT_TRUE(results[r].ok()) << results[r].message();
    EXPECT_EQ(groups[r]->size(), 2);
    EXPECT_EQ(groups[r]->rank(), r < 2 ? r : 3 - r);
    float base = r < 2 ? 0.0f + 1.0f : 2.0f + 3.0f;
    EXPECT_EQ(sums[r], (std::vector<float>{base, 2.0f}));
    EXPECT_EQ(gathered[r], r < 2 ? (std::vector<float>{0.0f, 1.0f})
                                 : (std::vector<float>{3.0f, 2.0f}));
  }
  EXPECT_FALSE(transports[0]->split(-1, 0).ok());
}

} // namespace
} // namespace cleave
