//===- replay_main.cc - Runs a fuzz target over files, without libFuzzer --===//
//
// usage: cleave-fuzz-replay-TARGET FILE_OR_DIR...
// Feeds each file (each file of each directory) to the target's
// LLVMFuzzerTestOneInput once, as libFuzzer would replay it: the seeds and
// the inputs that once crashed a target (runtime/fuzz/regressions/) run as a
// ctest in every build, sanitizers or not. A crash fails the test; prints
// "replayed N inputs" otherwise.
//
//===----------------------------------------------------------------------===//

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv) {
  size_t count = 0;
  auto replay = [&count](const std::filesystem::path &path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
    ++count;
  };
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path path = argv[i];
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
      for (const auto &entry : std::filesystem::directory_iterator(path))
        if (entry.is_regular_file())
          replay(entry.path());
    } else if (std::filesystem::is_regular_file(path, error)) {
      replay(path);
    } else {
      std::fprintf(stderr, "cleave-fuzz-replay: error: no file or directory '%s'\n",
                   argv[i]);
      return 1;
    }
  }
  std::printf("replayed %zu inputs\n", count);
  return 0;
}
