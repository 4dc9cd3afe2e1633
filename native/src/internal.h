// Shared by the shim's translation units: the error slot, the exception wall and
// handle conversions. Nothing here is exported.
#pragma once

#include <torch/torch.h>
#include <atomic>
#include <string>

#include "icd_shim.h"

namespace icd {

void set_error(const std::string& message);
void clear_error();
const char* last_error_c_str();

// Count of live tensor handles; read by tests that check for leaks.
extern std::atomic<int64_t> live_handles;

inline at::Tensor& as_tensor(void* handle) {
  TORCH_CHECK(handle != nullptr, "null tensor handle");
  return *static_cast<at::Tensor*>(handle);
}

inline void* new_handle(at::Tensor tensor) {
  live_handles.fetch_add(1, std::memory_order_relaxed);
  return new at::Tensor(std::move(tensor));
}

}  // namespace icd

// Every export body goes inside ICD_TRY { ... } ICD_CATCH: it returns 0 on success and 1 with
// the message stored for icd_last_error() on any exception, so none ever crosses into .NET.
#define ICD_TRY \
  try {         \
    icd::clear_error();
#define ICD_CATCH                                      \
  return 0;                                            \
  }                                                    \
  catch (const c10::Error& e) {                        \
    icd::set_error(e.what_without_backtrace());        \
    return 1;                                          \
  }                                                    \
  catch (const std::exception& e) {                    \
    icd::set_error(e.what());                          \
    return 1;                                          \
  }                                                    \
  catch (...) {                                        \
    icd::set_error("unknown C++ exception in libtorch"); \
    return 1;                                          \
  }
