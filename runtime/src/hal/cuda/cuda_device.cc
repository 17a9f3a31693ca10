//===- cuda_device.cc - NVIDIA GPUs through the CUDA driver API -----------===//
//
// The driver API is declared here, by hand, for the few functions used: the
// runtime builds without the CUDA toolkit and loads libcuda.so.1 at run time.
// One context (the device's primary context) per device; every call waits for
// its work to finish, which keeps errors attached to the call that caused them.
//
//===----------------------------------------------------------------------===//

#include "hal/cuda/cuda_device.h"

#include <dlfcn.h>

namespace cleave {
namespace hal {

namespace {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = void *;
using CUmodule = void *;
using CUfunction = void *;
using CUstream = void *;

/// The driver entry points Cleave uses, resolved with dlsym.
struct CudaDriver {
  void *library = nullptr;
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuDevicePrimaryCtxRelease)(CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuCtxSynchronize)();
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuMemcpyHtoD)(CUdeviceptr, const void *, size_t);
  CUresult (*cuMemcpyDtoH)(void *, CUdeviceptr, size_t);
  CUresult (*cuModuleLoadData)(CUmodule *, const void *);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, unsigned, CUstream,
                             void **, void **);
  CUresult (*cuGetErrorString)(CUresult, const char **);
};

template <typename F> bool resolve(void *library, const char *name, F &fn) {
  fn = reinterpret_cast<F>(::dlsym(library, name));
  return fn != nullptr;
}

/// Loads the driver from `path`; an error names `device`.
StatusOr<std::shared_ptr<CudaDriver>> loadDriver(const std::string &device,
                                                 const char *path) {
  void *library = ::dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!library)
    return failedPreconditionError(device + ": cannot load " + path +
                                   " (no NVIDIA driver on this machine)");
  auto driver = std::make_shared<CudaDriver>();
  driver->library = library;
  const char *missing = nullptr;
#define CLEAVE_RESOLVE(field, symbol)                                          \
  if (!missing && !resolve(library, symbol, driver->field))                    \
    missing = symbol;
  CLEAVE_RESOLVE(cuInit, "cuInit")
  CLEAVE_RESOLVE(cuDeviceGetCount, "cuDeviceGetCount")
  CLEAVE_RESOLVE(cuDeviceGet, "cuDeviceGet")
  CLEAVE_RESOLVE(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain")
  CLEAVE_RESOLVE(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2")
  CLEAVE_RESOLVE(cuCtxSetCurrent, "cuCtxSetCurrent")
  CLEAVE_RESOLVE(cuCtxSynchronize, "cuCtxSynchronize")
  CLEAVE_RESOLVE(cuMemAlloc, "cuMemAlloc_v2")
  CLEAVE_RESOLVE(cuMemFree, "cuMemFree_v2")
  CLEAVE_RESOLVE(cuMemcpyHtoD, "cuMemcpyHtoD_v2")
  CLEAVE_RESOLVE(cuMemcpyDtoH, "cuMemcpyDtoH_v2")
  CLEAVE_RESOLVE(cuModuleLoadData, "cuModuleLoadData")
  CLEAVE_RESOLVE(cuModuleUnload, "cuModuleUnload")
  CLEAVE_RESOLVE(cuModuleGetFunction, "cuModuleGetFunction")
  CLEAVE_RESOLVE(cuLaunchKernel, "cuLaunchKernel")
  CLEAVE_RESOLVE(cuGetErrorString, "cuGetErrorString")
#undef CLEAVE_RESOLVE
  if (missing) {
    ::dlclose(library);
    return failedPreconditionError(device + ": " + path + " has no " +
                                   missing + " (driver too old?)");
  }
  return driver;
}

/// A driver call's failure as a Status naming `device` and `what`.
Status check(const CudaDriver &driver, CUresult result,
             const std::string &device, const std::string &what) {
  if (result == 0)
    return Status();
  const char *text = nullptr;
  driver.cuGetErrorString(result, &text);
  return internalError(device + ": " + what + " failed: " +
                       (text ? text : "CUDA error " + std::to_string(result)));
}

class CudaExecutable final : public Executable {
public:
  CudaExecutable(std::shared_ptr<CudaDriver> driver, std::string device,
                 CUcontext context, CUmodule module)
      : driver_(std::move(driver)), device_(std::move(device)),
        context_(context), module_(module) {}
  ~CudaExecutable() override {
    driver_->cuCtxSetCurrent(context_);
    driver_->cuModuleUnload(module_);
  }

  StatusOr<void *> lookup(const std::string &symbol) override {
    CUfunction function = nullptr;
    if (driver_->cuModuleGetFunction(&function, module_, symbol.c_str()) != 0)
      return notFoundError("kernel '" + symbol + "' is not in the module");
    return function;
  }

  Status invoke(void *, void *, void **) override {
    return unimplementedError(device_ + ": GPU code has no host entry point "
                                        "(its kernels are launched)");
  }

  Status launch(void *kernel, const uint32_t grid[3], const uint32_t block[3],
                void **params) override {
    driver_->cuCtxSetCurrent(context_);
    // The NULL stream: kernels and the synchronous copies run in queue order.
    Status status = check(
        *driver_,
        driver_->cuLaunchKernel(kernel, grid[0], grid[1], grid[2], block[0],
                                block[1], block[2], 0, nullptr, params,
                                nullptr),
        device_, "launching a kernel");
    return status;
  }

  Status synchronize() override {
    driver_->cuCtxSetCurrent(context_);
    return check(*driver_, driver_->cuCtxSynchronize(), device_,
                 "running the kernels");
  }

private:
  std::shared_ptr<CudaDriver> driver_;
  std::string device_;
  CUcontext context_;
  CUmodule module_;
};

class CudaDevice final : public Device {
public:
  CudaDevice(std::shared_ptr<CudaDriver> driver, int index, CUdevice device,
             CUcontext context)
      : driver_(std::move(driver)), index_(index), device_(device),
        context_(context) {}
  ~CudaDevice() override { driver_->cuDevicePrimaryCtxRelease(device_); }

  std::string name() const override { return "cuda:" + std::to_string(index_); }

  StatusOr<void *> allocate(size_t bytes) override {
    driver_->cuCtxSetCurrent(context_);
    CUdeviceptr ptr = 0;
    if (driver_->cuMemAlloc(&ptr, bytes ? bytes : 1) != 0)
      return resourceExhaustedError(name() + ": out of device memory allocating " +
                                    std::to_string(bytes) + " bytes");
    return reinterpret_cast<void *>(static_cast<uintptr_t>(ptr));
  }

  void free(void *ptr) override {
    if (!ptr)
      return;
    driver_->cuCtxSetCurrent(context_);
    driver_->cuMemFree(static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(ptr)));
  }

  Status copyToDevice(void *device, const void *host, size_t bytes) override {
    driver_->cuCtxSetCurrent(context_);
    return check(*driver_,
                 driver_->cuMemcpyHtoD(
                     static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(device)),
                     host, bytes),
                 name(), "copying to the device");
  }

  Status copyToHost(void *host, const void *device, size_t bytes) override {
    driver_->cuCtxSetCurrent(context_);
    return check(*driver_,
                 driver_->cuMemcpyDtoH(
                     host,
                     static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(device)),
                     bytes),
                 name(), "copying from the device");
  }

  StatusOr<std::unique_ptr<Executable>>
  loadExecutable(const uint8_t *bytes, size_t size,
                 std::string_view kind) override {
    if (kind != CLEAVE_SECTION_CUDA_FATBIN)
      return invalidArgumentError(name() + " cannot load code of kind '" +
                                  std::string(kind) + "' (expected " +
                                  std::string(CLEAVE_SECTION_CUDA_FATBIN) + ")");
    if (size < 16)
      return invalidArgumentError(name() + ": the code section is truncated");
    driver_->cuCtxSetCurrent(context_);
    CUmodule module = nullptr;
    Status status = check(*driver_, driver_->cuModuleLoadData(&module, bytes),
                          name(), "loading the kernels");
    if (!status.ok())
      return status;
    return std::unique_ptr<Executable>(
        new CudaExecutable(driver_, name(), context_, module));
  }

private:
  std::shared_ptr<CudaDriver> driver_;
  int index_;
  CUdevice device_;
  CUcontext context_;
};

} // namespace

StatusOr<std::unique_ptr<Device>> createCudaDevice(int index,
                                                   const char *library) {
  std::string name = "cuda:" + std::to_string(index);
  StatusOr<std::shared_ptr<CudaDriver>> loaded = loadDriver(name, library);
  if (!loaded.ok())
    return loaded.status();
  std::shared_ptr<CudaDriver> driver = std::move(loaded).value();
  CUresult result = driver->cuInit(0);
  if (result != 0) {
    const char *text = nullptr;
    driver->cuGetErrorString(result, &text);
    return failedPreconditionError(
        name + ": the NVIDIA driver does not start (cuInit returned " +
        (text ? std::string(text) : std::to_string(result)) + ")");
  }
  int count = 0;
  driver->cuDeviceGetCount(&count);
  if (index < 0 || index >= count)
    return failedPreconditionError(name + ": no such device (this machine has " +
                                   std::to_string(count) + " NVIDIA GPU(s))");
  CUdevice device = 0;
  CUcontext context = nullptr;
  Status status = check(*driver, driver->cuDeviceGet(&device, index), name,
                        "cuDeviceGet");
  if (status.ok())
    status = check(*driver, driver->cuDevicePrimaryCtxRetain(&context, device),
                   name, "creating a context");
  if (!status.ok())
    return status;
  return std::unique_ptr<Device>(
      new CudaDevice(std::move(driver), index, device, context));
}

StatusOr<std::unique_ptr<Device>> createCudaDevice(int index) {
  return createCudaDevice(index, "libcuda.so.1");
}

} // namespace hal
} // namespace cleave
