//===- make_test_artifact.cc - Writes a test artifact for cli_test.sh -----===//
//
// usage: cleave-make-test-artifact KIND OUT.cleave
//   KIND: add (y = x + w), names (awkward input/output names),
//         distributed (the add model on two ranks)
//
//===----------------------------------------------------------------------===//

#include "core/test_artifact_writer.h"

#include <cstdio>
#include <string>

using namespace cleave;

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s add|names|distributed OUT.cleave\n",
                 argv[0]);
    return 2;
  }
  std::string kind = argv[1];
  testing::TestModel model;
  if (kind == "add") {
    model = testing::addModel();
  } else if (kind == "names") {
    model = testing::awkwardNamesModel();
  } else if (kind == "distributed") {
    model = testing::addModel();
    model.stages = 2;
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
