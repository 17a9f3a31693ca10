//===- cpu_device.cc - Loading host shared objects from memory ------------===//
//
// Code sections are loaded without touching the file system where the kernel
// allows it: the bytes go into a memfd that dlopen reads through /proc. The
// memfd stays open while the library is loaded, so that its /proc path (which
// the dynamic loader uses as the library's name) cannot be reused for another
// code section and resolve to this one.
//
//===----------------------------------------------------------------------===//

#include "hal/cpu/cpu_device.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

namespace cleave {
namespace hal {

namespace {
using EntryFn = void (*)(void *, void **);
constexpr uint8_t kElfMagic[4] = {0x7f, 'E', 'L', 'F'};

Status writeAll(int fd, const uint8_t *bytes, size_t size) {
  while (size > 0) {
    ssize_t written = ::write(fd, bytes, size);
    if (written < 0) {
      if (errno == EINTR)
        continue;
      return internalError(std::string("cannot stage code for loading: ") +
                           std::strerror(errno));
    }
    bytes += written;
    size -= static_cast<size_t>(written);
  }
  return Status();
}

/// A shared object opened with dlopen, and the descriptor it was read from.
class CpuExecutable final : public Executable {
public:
  CpuExecutable(void *handle, int fd) : handle_(handle), fd_(fd) {}
  ~CpuExecutable() override {
    ::dlclose(handle_);
    if (fd_ >= 0)
      ::close(fd_);
  }

  StatusOr<void *> lookup(const std::string &symbol) override {
    ::dlerror();
    void *address = ::dlsym(handle_, symbol.c_str());
    if (!address || ::dlerror())
      return notFoundError("symbol '" + symbol +
                           "' is not exported by the code");
    return address;
  }

  Status invoke(void *entry, void *ctx, void **args) override {
    if (!entry)
      return invalidArgumentError("null entry point");
    reinterpret_cast<EntryFn>(entry)(ctx, args);
    return Status();
  }

private:
  void *handle_;
  int fd_;
};

class CpuDevice final : public Device {
public:
  CpuDevice(int index, const DeviceOptions &options)
      : index_(index), options_(options) {}

  std::string name() const override { return "cpu:" + std::to_string(index_); }

  StatusOr<void *> allocate(size_t bytes) override {
    size_t rounded = (bytes + 63) / 64 * 64;
    void *ptr = std::aligned_alloc(64, rounded ? rounded : 64);
    if (!ptr)
      return resourceExhaustedError("out of host memory allocating " +
                                    std::to_string(bytes) + " bytes");
    return ptr;
  }

  void free(void *ptr) override { std::free(ptr); }

  StatusOr<std::unique_ptr<Executable>>
  loadExecutable(const uint8_t *bytes, size_t size,
                 std::string_view kind) override;

private:
  /// dlopen()s `bytes`; sets `*keepFd` to the descriptor to keep open while
  /// the library is loaded, or -1.
  StatusOr<void *> openLibrary(const uint8_t *bytes, size_t size, int *keepFd);

  int index_;
  DeviceOptions options_;
};

StatusOr<void *> CpuDevice::openLibrary(const uint8_t *bytes, size_t size,
                                        int *keepFd) {
  *keepFd = -1;
  std::string path;
  int fd = ::memfd_create("cleave-code", MFD_CLOEXEC);
  bool inMemory = fd >= 0;
  if (inMemory) {
    path = "/proc/self/fd/" + std::to_string(fd);
  } else {
    // Kernels without memfd (or sandboxes that forbid it): a temporary file,
    // unlinked as soon as it is loaded.
    const char *tmp = std::getenv("TMPDIR");
    path = std::string(tmp && *tmp ? tmp : "/tmp") + "/cleave-code-XXXXXX";
    fd = ::mkstemp(path.data());
    if (fd < 0)
      return internalError(
          std::string("cannot create a file to load code from: ") +
          std::strerror(errno));
  }
  Status written = writeAll(fd, bytes, size);
  void *handle = nullptr;
  std::string error;
  if (written.ok()) {
    handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    const char *message = handle ? nullptr : ::dlerror();
    error = message ? message : "unknown dlopen error";
  }
  if (!inMemory)
    ::unlink(path.c_str());
  if (handle && inMemory)
    *keepFd = fd;
  else
    ::close(fd);
  if (!written.ok())
    return written;
  if (!handle)
    return invalidArgumentError("cannot load the shared object: " + error);
  return handle;
}

StatusOr<std::unique_ptr<Executable>>
CpuDevice::loadExecutable(const uint8_t *bytes, size_t size,
                          std::string_view kind) {
  if (kind != CLEAVE_SECTION_CPU_ELF_SO)
    return invalidArgumentError("the cpu device cannot load code of kind '" +
                                std::string(kind) + "' (expected '" +
                                std::string(CLEAVE_SECTION_CPU_ELF_SO) + "')");
  if (size < sizeof(kElfMagic) ||
      std::memcmp(bytes, kElfMagic, sizeof(kElfMagic)) != 0)
    return invalidArgumentError("code is not an ELF shared object");
  int fd = -1;
  StatusOr<void *> handle = openLibrary(bytes, size, &fd);
  if (!handle.ok())
    return handle.status();
  auto executable = std::make_unique<CpuExecutable>(*handle, fd);

  StatusOr<void *> abiSymbol = executable->lookup(CLEAVE_SYMBOL_ABI_VERSION);
  if (!abiSymbol.ok())
    return failedPreconditionError(
        "code does not export cleave_abi_version (not built by "
        "cleave-compile?)");
  int abi = reinterpret_cast<int (*)()>(*abiSymbol)();
  if (abi != CLEAVE_ABI_VERSION)
    return failedPreconditionError(
        "code has entry-point ABI version " + std::to_string(abi) +
        ", this runtime supports version " + std::to_string(CLEAVE_ABI_VERSION));

  // Optional: code built without a thread pool does not export it.
  StatusOr<void *> setThreads = executable->lookup(CLEAVE_SYMBOL_SET_NUM_THREADS);
  if (setThreads.ok())
    reinterpret_cast<void (*)(int)> (*setThreads)(options_.threads);
  return std::unique_ptr<Executable>(std::move(executable));
}
/// Generated code allocates its intermediate buffers with malloc on every
/// run. glibc serves large blocks with fresh mmaps and returns them on free,
/// so each run would fault in and zero every page again (a fifth of
/// resnet18's time). Keeping freed memory in the heap lets runs reuse it.
void keepFreedMemory() {
  static const bool done = [] {
    mallopt(M_MMAP_THRESHOLD, 32 << 20); // glibc's largest allowed value
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    return true;
  }();
  (void)done;
}

/// The generated code's parallel loops run on LLVM's OpenMP runtime, whose
/// idle worker threads spin for 200 ms (KMP_BLOCKTIME) after every parallel
/// region before they sleep. With more runnable threads than free cores (a
/// shared machine, several ranks per node) the spinning threads take the
/// cores from the threads that still have work, and each region's end waits
/// for a descheduled thread: on the 2-core build machine at load 10,
/// squeezenet on 2 threads took 190-550 ms with the default and 14-80 ms with
/// a block time of 0. So workers sleep at once, unless the user has set
/// KMP_BLOCKTIME (read by libomp when the code first calls it, after this).
void sleepIdleWorkers() { ::setenv("KMP_BLOCKTIME", "0", /*overwrite=*/0); }
} // namespace

StatusOr<std::unique_ptr<Device>>
createCpuDevice(int index, const DeviceOptions &options) {
  if (options.threads < 1)
    return invalidArgumentError("cpu device needs at least one thread, got " +
                                std::to_string(options.threads));
  keepFreedMemory();
  sleepIdleWorkers();
  return std::unique_ptr<Device>(new CpuDevice(index, options));
}

} // namespace hal
} // namespace cleave
