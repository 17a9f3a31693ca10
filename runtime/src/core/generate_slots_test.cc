//===- generate_slots_test.cc - Continuous batching against generate() ---===//
//
// Usage: cleave-generate-slots-test LM.cleave (a decoder compiled with
// --generate --batch-sizes=...,4, vocabulary 256; test/generate compiles one).
// Sequences that join the running batch at different steps, in freed slots,
// each give exactly the tokens generate() gives them alone.
//
//===----------------------------------------------------------------------===//

#include "cleave/generate.h"

#include <gtest/gtest.h>

#include <map>

namespace cleave {
namespace {

std::string gArtifact;

std::vector<int64_t> bytes(const std::string &text) {
  return std::vector<int64_t>(text.begin(), text.end());
}

std::shared_ptr<const Artifact> openArtifact() {
  StatusOr<std::unique_ptr<Artifact>> artifact = Artifact::open(gArtifact);
  EXPECT_TRUE(artifact.ok()) << artifact.status().message();
  return std::move(artifact).value();
}

/// The tokens generate() gives `prompt` alone (a plan of batch 1).
std::vector<int64_t> alone(const std::vector<int64_t> &prompt, const GenerateOptions &options) {
  StatusOr<std::unique_ptr<Generator>> g = Generator::create(openArtifact(), 1);
  EXPECT_TRUE(g.ok()) << g.status().message();
  std::vector<std::vector<int64_t>> tokens;
  Status status = (*g)->generate({prompt}, options, &tokens);
  EXPECT_TRUE(status.ok()) << status.message();
  return tokens.at(0);
}

struct Arrival {
  std::vector<int64_t> prompt;
  GenerateOptions options;
  /// Joins at this step, or (when no slot is free then) at the first step
  /// after that a slot frees.
  int step = 0;
};

TEST(GeneratorSlots, SequencesJoiningARunningBatchEqualTheirRunAlone) {
  StatusOr<std::unique_ptr<Generator>> created = Generator::create(openArtifact(), 4);
  ASSERT_TRUE(created.ok()) << created.status().message();
  Generator &g = **created;
  ASSERT_EQ(g.slots(), 4);
  GenerateOptions greedy;
  greedy.maxNewTokens = 40;
  GenerateOptions sampled;
  sampled.maxNewTokens = 30;
  sampled.sampling.temperature = 0.9;
  sampled.sampling.topP = 0.9;
  sampled.sampling.seed = 5;
  sampled.sampling.repetitionPenalty = 1.3;
  GenerateOptions shortOne;
  shortOne.maxNewTokens = 7;
  std::vector<Arrival> arrivals = {
      {bytes("Hello, world"), greedy, 0},
      {bytes("The quick brown fox"), shortOne, 3},
      {bytes("Cleave compiles ONNX models"), sampled, 5},
      {{1, 2, 3, 250, 7}, greedy, 5},
      // Five sequences for four slots: these wait for freed ones.
      {bytes("a"), shortOne, 6},
      {bytes("Hello, world"), greedy, 6},
  };
  // A stop text from the first sequence's own greedy continuation ends a copy
  // of it early.
  std::vector<int64_t> first = alone(arrivals[0].prompt, greedy);
  GenerateOptions stopping = greedy;
  stopping.stopSequences = {{first[9], first[10]}};
  arrivals.push_back({arrivals[0].prompt, stopping, 8});

  std::map<int64_t, size_t> inSlot; // slot -> arrival
  std::vector<std::vector<int64_t>> got(arrivals.size());
  std::vector<bool> finished(arrivals.size(), false), joined(arrivals.size(), false);
  size_t joinedWhileBusy = 0;
  for (int step = 0; step < 1000; ++step) {
    for (size_t a = 0; a < arrivals.size(); ++a) {
      if (joined[a] || arrivals[a].step > step)
        continue;
      for (int64_t slot = 0; slot < g.slots(); ++slot)
        if (g.slotFree(slot)) {
          ASSERT_TRUE(g.join(slot, arrivals[a].prompt, arrivals[a].options).ok());
          joinedWhileBusy += inSlot.empty() ? 0 : 1;
          inSlot[slot] = a;
          joined[a] = true;
          break;
        }
    }
    if (inSlot.empty())
      break;
    std::vector<Generator::SlotToken> tokens;
    Status stepped = g.step(&tokens);
    ASSERT_TRUE(stepped.ok()) << stepped.message();
    for (const Generator::SlotToken &t : tokens) {
      size_t a = inSlot.at(t.slot);
      got[a].push_back(t.token);
      if (t.finished) {
        finished[a] = true;
        EXPECT_TRUE(g.slotFree(t.slot));
        inSlot.erase(t.slot);
        if (a == arrivals.size() - 1) {
          EXPECT_TRUE(t.stopped);
          EXPECT_EQ(t.stopTokens, 2);
        }
      }
    }
  }
  EXPECT_GE(joinedWhileBusy, 5u) << "sequences should join while others decode";
  for (size_t a = 0; a < arrivals.size(); ++a) {
    EXPECT_TRUE(finished[a]) << "sequence " << a;
    EXPECT_EQ(got[a], alone(arrivals[a].prompt, arrivals[a].options)) << "sequence " << a;
  }
  EXPECT_EQ(got.back().size(), 11u);
}

TEST(GeneratorSlots, JoinChecksTheSlotAndTheRequest) {
  StatusOr<std::unique_ptr<Generator>> created = Generator::create(openArtifact(), 4);
  ASSERT_TRUE(created.ok());
  Generator &g = **created;
  GenerateOptions options;
  options.maxNewTokens = 5;
  ASSERT_TRUE(g.join(0, bytes("abc"), options).ok());
  Status busy = g.join(0, bytes("abc"), options);
  EXPECT_FALSE(busy.ok());
  EXPECT_NE(busy.message().find("slot 0 holds a sequence"), std::string::npos);
  EXPECT_FALSE(g.join(4, bytes("abc"), options).ok());
  options.maxNewTokens = g.maxSeqLen();
  Status tooLong = g.join(1, bytes("abc"), options);
  EXPECT_NE(tooLong.message().find("more than the cache's"), std::string::npos)
      << tooLong.message();
  g.leave(0);
  EXPECT_TRUE(g.slotFree(0));
  std::vector<Generator::SlotToken> tokens;
  ASSERT_TRUE(g.step(&tokens).ok());
  EXPECT_TRUE(tokens.empty()); // nothing in flight: no step
}

} // namespace
} // namespace cleave

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc != 2) {
    std::fprintf(stderr, "usage: cleave-generate-slots-test LM.cleave\n");
    return 2;
  }
  cleave::gArtifact = argv[1];
  return RUN_ALL_TESTS();
}
