// Explicit random generators: the same Philox/MT19937 engine as torch.manual_seed on CPU.
#include <ATen/CPUGeneratorImpl.h>

#include "internal.h"

extern "C" {

int32_t icd_generator_new(uint64_t seed, int32_t device_type, void** generator) {
  ICD_TRY
  TORCH_CHECK(device_type == 0, "only CPU generators are supported by this build; noise is "
              "drawn on the CPU and moved, as the reference code does");
  auto g = at::make_generator<at::CPUGeneratorImpl>(seed);
  *generator = new at::Generator(std::move(g));
  ICD_CATCH
}

int32_t icd_generator_free(void* generator) {
  ICD_TRY
  delete static_cast<at::Generator*>(generator);
  ICD_CATCH
}

int32_t icd_generator_get_state(void* generator, void** state) {
  ICD_TRY
  auto& g = *static_cast<at::Generator*>(generator);
  std::lock_guard<std::mutex> lock(g.mutex());
  *state = icd::new_handle(g.get_state());
  ICD_CATCH
}

int32_t icd_generator_set_state(void* generator, void* state) {
  ICD_TRY
  auto& g = *static_cast<at::Generator*>(generator);
  std::lock_guard<std::mutex> lock(g.mutex());
  g.set_state(icd::as_tensor(state));
  ICD_CATCH
}

}  // extern "C"
