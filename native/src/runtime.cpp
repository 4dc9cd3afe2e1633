// Process-wide settings: versions, threads, devices, the global seed.
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <cstring>

#include "internal.h"

namespace {
// Copies text into a caller buffer, always NUL-terminated; reports the size needed.
void copy_text(const std::string& text, char* buffer, int32_t capacity, int32_t* needed) {
  if (needed != nullptr) *needed = static_cast<int32_t>(text.size() + 1);
  if (buffer == nullptr || capacity <= 0) return;
  size_t n = std::min(text.size(), static_cast<size_t>(capacity - 1));
  std::memcpy(buffer, text.data(), n);
  buffer[n] = '\0';
}
}  // namespace

extern "C" {

int32_t icd_torch_version(char* buffer, int32_t capacity) {
  ICD_TRY
  copy_text(TORCH_VERSION, buffer, capacity, nullptr);
  ICD_CATCH
}

int32_t icd_show_config(char* buffer, int32_t capacity, int32_t* needed) {
  ICD_TRY
  copy_text(at::show_config(), buffer, capacity, needed);
  ICD_CATCH
}

int32_t icd_set_num_threads(int32_t n) {
  ICD_TRY
  TORCH_CHECK(n > 0, "thread count must be positive, got ", n);
  at::set_num_threads(n);
  ICD_CATCH
}

int32_t icd_get_num_threads(int32_t* n) {
  ICD_TRY
  *n = at::get_num_threads();
  ICD_CATCH
}

int32_t icd_cuda_device_count(int32_t* n) {
  ICD_TRY
  *n = torch::cuda::is_available() ? static_cast<int32_t>(torch::cuda::device_count()) : 0;
  ICD_CATCH
}

int32_t icd_manual_seed(uint64_t seed) {
  ICD_TRY
  torch::manual_seed(seed);
  ICD_CATCH
}

int32_t icd_live_tensor_handles(int64_t* n) {
  ICD_TRY
  *n = icd::live_handles.load(std::memory_order_relaxed);
  ICD_CATCH
}

}  // extern "C"
