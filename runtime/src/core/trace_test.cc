//===- trace_test.cc - Tests for the trace-event recorder and writer ------===//

#include "core/trace.h"

#include "comm/local_transport.h"
#include "core/json.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace cleave::trace {
namespace {

std::string readFile(const std::string &path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(TraceTest, RecordsNothingWhileOff) {
  setEnabled(false);
  take();
  { Span span("compute", 0, 0); }
  EXPECT_TRUE(take().empty());
}

TEST(TraceTest, WritesParseableTraceEventsWithNamedTracks) {
  setEnabled(true);
  take();
  {
    Span run("run", 1);
    { Span compute("compute", 1, 0); }
    { Span recv("recv", 1, 1, 4096, 0); }
  }
  setEnabled(false);
  std::vector<Event> events = take();
  ASSERT_EQ(events.size(), 3u);
  std::string path = ::testing::TempDir() + "trace_test_" +
                     std::to_string(::getpid()) + ".json";
  // A name that needs escaping stays valid JSON.
  ASSERT_TRUE(
      writeTrace(toJson(events, 3, "rank 3: \"stage\" 1\n"), path).ok());
  StatusOr<json::Value> doc = json::parse(readFile(path));
  std::remove(path.c_str());
  ASSERT_TRUE(doc.ok()) << doc.status().toString();
  const json::Value *list = doc->find("traceEvents");
  ASSERT_TRUE(list && list->isArray());
  int complete = 0;
  bool named = false;
  for (const json::Value &event : list->asArray()) {
    EXPECT_EQ(event.find("pid")->asInt(), 3);
    std::string phase = event.find("ph")->asString();
    if (phase == "M" && event.find("name")->asString() == "process_name") {
      EXPECT_EQ(event.find("args")->find("name")->asString(),
                "rank 3: \"stage\" 1\n");
      named = true;
    }
    if (phase != "X")
      continue;
    ++complete;
    EXPECT_GE(event.find("dur")->asInt(), 0);
    if (event.find("name")->asString() == "recv") {
      EXPECT_EQ(event.find("args")->find("bytes")->asInt(), 4096);
      EXPECT_EQ(event.find("args")->find("peer")->asInt(), 0);
      EXPECT_EQ(event.find("args")->find("microbatch")->asInt(), 1);
    }
  }
  EXPECT_TRUE(named);
  EXPECT_EQ(complete, 3);
}

TEST(TraceTest, GathersEveryRanksEventsOnRankZero) {
  std::vector<std::shared_ptr<Transport>> ranks =
      cleave::testing::createLocalTransports(3);
  std::string path = ::testing::TempDir() + "trace_gather_" +
                     std::to_string(::getpid()) + ".json";
  std::vector<Status> results(3);
  std::vector<std::thread> threads;
  for (int r = 0; r < 3; ++r)
    threads.emplace_back([&, r] {
      Event event;
      event.name = "compute";
      event.startMicros = 100 + r;
      event.stage = r;
      results[size_t(r)] =
          gatherTrace(*ranks[size_t(r)],
                      toJson({event}, r, "rank " + std::to_string(r)), path);
    });
  for (std::thread &thread : threads)
    thread.join();
  for (const Status &status : results)
    EXPECT_TRUE(status.ok()) << status.toString();
  StatusOr<json::Value> doc = json::parse(readFile(path));
  std::remove(path.c_str());
  ASSERT_TRUE(doc.ok()) << doc.status().toString();
  std::vector<int> stages;
  for (const json::Value &event : doc->find("traceEvents")->asArray())
    if (event.find("ph")->asString() == "X")
      stages.push_back(int(event.find("args")->find("stage")->asInt()));
  EXPECT_EQ(stages, (std::vector<int>{0, 1, 2}));
}

} // namespace
} // namespace cleave::trace
