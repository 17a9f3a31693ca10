//===- make_test_artifact.cc - Writes test artifacts for the CLI tests ----===//
//
// usage: cleave-make-test-artifact KIND OUT.cleave
//   KIND: add (y = x + w), names (awkward input/output names),
//         distributed (chain:2:1),
//         chain:S:K (testing::chainModel with S stages, K microbatches),
//         forward:K (testing::forwardModel, three stages),
//         noentry:S (chain:S:1 whose last stage lacks its entry point),
//         pptp:K (testing::tensorParallelPipelineModel: 2 stages x 2
//         tensor-parallel ranks, K microbatches)
//
//===----------------------------------------------------------------------===//

#include "core/test_artifact_writer.h"

#include <cstdio>
#include <string>

using namespace cleave;

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr,
                 "usage: %s add|names|distributed|chain:S:K|forward:K|"
                 "noentry:S|pptp:K OUT.cleave\n",
                 argv[0]);
    return 2;
  }
  std::string kind = argv[1];
  testing::TestModel model;
  int stages = 0, microbatches = 0;
  if (kind == "add") {
    model = testing::addModel();
  } else if (kind == "names") {
    model = testing::awkwardNamesModel();
  } else if (kind == "distributed") {
    model = testing::chainModel(2, 1);
  } else if (std::sscanf(kind.c_str(), "chain:%d:%d", &stages, &microbatches) ==
                 2 &&
             stages > 0 && microbatches > 0 && 8 % microbatches == 0) {
    model = testing::chainModel(stages, microbatches);
  } else if (std::sscanf(kind.c_str(), "forward:%d", &microbatches) == 1 &&
             microbatches > 0 && 8 % microbatches == 0) {
    model = testing::forwardModel(microbatches);
  } else if (std::sscanf(kind.c_str(), "noentry:%d", &stages) == 1 &&
             stages > 1) {
    model = testing::chainModel(stages, 1);
    model.pipeline.back().cSource = testing::abiVersionSource();
  } else if (std::sscanf(kind.c_str(), "pptp:%d", &microbatches) == 1 &&
             microbatches > 0 && 8 % microbatches == 0) {
    model = testing::tensorParallelPipelineModel(microbatches);
  } else {
    std::fprintf(stderr, "unknown kind '%s'\n", kind.c_str());
    return 2;
  }
  StatusOr<testing::AssembledArtifact> built = testing::buildArtifact(model);
  if (!built.ok()) {
    std::fprintf(stderr, "%s\n", built.status().toString().c_str());
    return 1;
  }
  testing::writeBytes(argv[2], built->bytes);
  return 0;
}
