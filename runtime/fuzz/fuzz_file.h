//===- fuzz_file.h - A fuzzer input as a file the readers can open --------===//

#ifndef CLEAVE_RUNTIME_FUZZ_FUZZ_FILE_H
#define CLEAVE_RUNTIME_FUZZ_FUZZ_FILE_H

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

namespace cleave {
namespace fuzz {

/// The bytes in an anonymous in-memory file (memfd), opened by path through
/// /proc/self/fd: no file system is touched and nothing is left behind.
class FuzzFile {
public:
  FuzzFile(const uint8_t *data, size_t size) {
    fd_ = ::memfd_create("cleave-fuzz", MFD_CLOEXEC);
    if (fd_ < 0) {
      std::perror("memfd_create");
      std::abort();
    }
    for (size_t done = 0; done < size;) {
      ssize_t n = ::write(fd_, data + done, size - done);
      if (n <= 0) {
        std::perror("write");
        std::abort();
      }
      done += static_cast<size_t>(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~FuzzFile() { ::close(fd_); }
  FuzzFile(const FuzzFile &) = delete;
  FuzzFile &operator=(const FuzzFile &) = delete;

  const std::string &path() const { return path_; }

private:
  int fd_ = -1;
  std::string path_;
};

} // namespace fuzz
} // namespace cleave

#endif // CLEAVE_RUNTIME_FUZZ_FUZZ_FILE_H
