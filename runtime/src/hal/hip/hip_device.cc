//===- hip_device.cc - AMD GPUs through HIP's module API ------------------===//
//
// HIP is declared here, by hand, for the few functions used: the runtime
// builds without ROCm headers and loads libamdhip64.so at run time. Every call
// waits for its work to finish, which keeps errors attached to their cause.
//
//===----------------------------------------------------------------------===//

#include "hal/hip/hip_device.h"

#include <dlfcn.h>

namespace cleave {
namespace hal {

namespace {

using hipError = int;
using hipModule = void *;
using hipFunction = void *;
using hipStream = void *;

/// The HIP entry points Cleave uses, resolved with dlsym.
struct HipApi {
  hipError (*hipInit)(unsigned);
  hipError (*hipGetDeviceCount)(int *);
  hipError (*hipSetDevice)(int);
  hipError (*hipDeviceSynchronize)();
  hipError (*hipMalloc)(void **, size_t);
  hipError (*hipFree)(void *);
  hipError (*hipMemcpyHtoD)(void *, const void *, size_t);
  hipError (*hipMemcpyDtoH)(void *, void *, size_t);
  hipError (*hipModuleLoadData)(hipModule *, const void *);
  hipError (*hipModuleUnload)(hipModule);
  hipError (*hipModuleGetFunction)(hipFunction *, hipModule, const char *);
  hipError (*hipModuleLaunchKernel)(hipFunction, unsigned, unsigned, unsigned,
                                    unsigned, unsigned, unsigned, unsigned,
                                    hipStream, void **, void **);
  const char *(*hipGetErrorString)(hipError);
};

template <typename F> bool resolve(void *library, const char *name, F &fn) {
  fn = reinterpret_cast<F>(::dlsym(library, name));
  return fn != nullptr;
}

/// Loads HIP from `path`; an error names `device`.
StatusOr<std::shared_ptr<HipApi>> loadApi(const std::string &device,
                                          const char *path) {
  void *library = ::dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!library)
    return failedPreconditionError(device + ": cannot load " + path +
                                   " (no ROCm HIP runtime on this machine)");
  auto api = std::make_shared<HipApi>();
  const char *missing = nullptr;
#define CLEAVE_RESOLVE(name)                                                   \
  if (!missing && !resolve(library, #name, api->name))                         \
    missing = #name;
  CLEAVE_RESOLVE(hipInit)
  CLEAVE_RESOLVE(hipGetDeviceCount)
  CLEAVE_RESOLVE(hipSetDevice)
  CLEAVE_RESOLVE(hipDeviceSynchronize)
  CLEAVE_RESOLVE(hipMalloc)
  CLEAVE_RESOLVE(hipFree)
  CLEAVE_RESOLVE(hipMemcpyHtoD)
  CLEAVE_RESOLVE(hipMemcpyDtoH)
  CLEAVE_RESOLVE(hipModuleLoadData)
  CLEAVE_RESOLVE(hipModuleUnload)
  CLEAVE_RESOLVE(hipModuleGetFunction)
  CLEAVE_RESOLVE(hipModuleLaunchKernel)
  CLEAVE_RESOLVE(hipGetErrorString)
#undef CLEAVE_RESOLVE
  if (missing) {
    ::dlclose(library);
    return failedPreconditionError(device + ": " + path + " has no " +
                                   missing);
  }
  return api;
}

/// A HIP call's failure as a Status naming `device` and `what`.
Status check(const HipApi &api, hipError result, const std::string &device,
             const std::string &what) {
  if (result == 0)
    return Status();
  const char *text = api.hipGetErrorString(result);
  return internalError(device + ": " + what + " failed: " +
                       (text ? text : "HIP error " + std::to_string(result)));
}

class HipExecutable final : public Executable {
public:
  HipExecutable(std::shared_ptr<HipApi> api, std::string device, int index,
                hipModule module)
      : api_(std::move(api)), device_(std::move(device)), index_(index),
        module_(module) {}
  ~HipExecutable() override {
    api_->hipSetDevice(index_);
    api_->hipModuleUnload(module_);
  }

  StatusOr<void *> lookup(const std::string &symbol) override {
    hipFunction function = nullptr;
    if (api_->hipModuleGetFunction(&function, module_, symbol.c_str()) != 0)
      return notFoundError("kernel '" + symbol + "' is not in the module");
    return function;
  }

  Status invoke(void *, void *, void **) override {
    return unimplementedError(device_ + ": GPU code has no host entry point "
                                        "(its kernels are launched)");
  }

  Status launch(void *kernel, const uint32_t grid[3], const uint32_t block[3],
                void **params) override {
    api_->hipSetDevice(index_);
    // The NULL stream: kernels and the synchronous copies run in queue order.
    Status status =
        check(*api_,
              api_->hipModuleLaunchKernel(kernel, grid[0], grid[1], grid[2],
                                          block[0], block[1], block[2], 0,
                                          nullptr, params, nullptr),
              device_, "launching a kernel");
    return status;
  }

  Status synchronize() override {
    api_->hipSetDevice(index_);
    return check(*api_, api_->hipDeviceSynchronize(), device_,
                 "running the kernels");
  }

private:
  std::shared_ptr<HipApi> api_;
  std::string device_;
  int index_;
  hipModule module_;
};

class HipDevice final : public Device {
public:
  HipDevice(std::shared_ptr<HipApi> api, int index)
      : api_(std::move(api)), index_(index) {}

  std::string name() const override { return "rocm:" + std::to_string(index_); }

  StatusOr<void *> allocate(size_t bytes) override {
    api_->hipSetDevice(index_);
    void *ptr = nullptr;
    if (api_->hipMalloc(&ptr, bytes ? bytes : 1) != 0)
      return resourceExhaustedError(name() + ": out of device memory allocating " +
                                    std::to_string(bytes) + " bytes");
    return ptr;
  }

  void free(void *ptr) override {
    if (!ptr)
      return;
    api_->hipSetDevice(index_);
    api_->hipFree(ptr);
  }

  Status copyToDevice(void *device, const void *host, size_t bytes) override {
    api_->hipSetDevice(index_);
    return check(*api_, api_->hipMemcpyHtoD(device, host, bytes), name(),
                 "copying to the device");
  }

  Status copyToHost(void *host, const void *device, size_t bytes) override {
    api_->hipSetDevice(index_);
    return check(*api_,
                 api_->hipMemcpyDtoH(host, const_cast<void *>(device), bytes),
                 name(), "copying from the device");
  }

  StatusOr<std::unique_ptr<Executable>>
  loadExecutable(const uint8_t *bytes, size_t size,
                 std::string_view kind) override {
    if (kind != CLEAVE_SECTION_ROCM_HSACO)
      return invalidArgumentError(name() + " cannot load code of kind '" +
                                  std::string(kind) + "' (expected " +
                                  std::string(CLEAVE_SECTION_ROCM_HSACO) + ")");
    if (size < 4)
      return invalidArgumentError(name() + ": the code section is truncated");
    api_->hipSetDevice(index_);
    hipModule module = nullptr;
    Status status = check(*api_, api_->hipModuleLoadData(&module, bytes),
                          name(), "loading the kernels");
    if (!status.ok())
      return status;
    return std::unique_ptr<Executable>(
        new HipExecutable(api_, name(), index_, module));
  }

private:
  std::shared_ptr<HipApi> api_;
  int index_;
};

} // namespace

StatusOr<std::unique_ptr<Device>> createHipDevice(int index,
                                                  const char *library) {
  std::string name = "rocm:" + std::to_string(index);
  StatusOr<std::shared_ptr<HipApi>> loaded = loadApi(name, library);
  if (!loaded.ok())
    return loaded.status();
  std::shared_ptr<HipApi> api = std::move(loaded).value();
  hipError result = api->hipInit(0);
  if (result != 0)
    return failedPreconditionError(
        name + ": HIP does not start (no AMD GPU or driver on this machine: "
               "hipInit returned " +
        std::string(api->hipGetErrorString(result)
                        ? api->hipGetErrorString(result)
                        : std::to_string(result).c_str()) +
        ")");
  int count = 0;
  if (api->hipGetDeviceCount(&count) != 0)
    count = 0;
  if (index < 0 || index >= count)
    return failedPreconditionError(name + ": no such device (this machine has " +
                                   std::to_string(count) + " AMD GPU(s))");
  Status status = check(*api, api->hipSetDevice(index), name, "hipSetDevice");
  if (!status.ok())
    return status;
  return std::unique_ptr<Device>(new HipDevice(std::move(api), index));
}

StatusOr<std::unique_ptr<Device>> createHipDevice(int index) {
  return createHipDevice(index, "libamdhip64.so");
}

} // namespace hal
} // namespace cleave
