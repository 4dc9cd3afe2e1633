// libtorch's op profiler (the legacy, thread-local one): every aten op run on the calling thread
// between begin and end lands in a Chrome trace file, written when the recording ends.
#include <torch/csrc/autograd/profiler_legacy.h>

#include "internal.h"

extern "C" {

int32_t icd_profile_begin(const char* path, void** recording) {
  ICD_TRY
  TORCH_CHECK(path != nullptr && recording != nullptr, "profile: null argument");
  *recording = new torch::autograd::profiler::RecordProfile(std::string(path));
  ICD_CATCH
}

int32_t icd_profile_end(void* recording) {
  ICD_TRY
  delete static_cast<torch::autograd::profiler::RecordProfile*>(recording);
  ICD_CATCH
}

}  // extern "C"
