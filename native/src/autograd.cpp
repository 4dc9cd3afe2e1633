// Autograd entry points: backward, grad (for guidance energies), grad mode, inference mode.
#include <ATen/autocast_mode.h>
#include <torch/csrc/autograd/autograd.h>

#include "internal.h"

namespace {
std::vector<at::Tensor> tensors(void** handles, int32_t n) {
  std::vector<at::Tensor> out;
  out.reserve(n);
  for (int32_t k = 0; k < n; ++k) out.push_back(icd::as_tensor(handles[k]));
  return out;
}

// Gradient seeds may be NULL (meaning: implicit ones for a scalar output).
std::vector<at::Tensor> optional_tensors(void** handles, int32_t n) {
  std::vector<at::Tensor> out;
  out.reserve(n);
  for (int32_t k = 0; k < n; ++k) {
    out.push_back(handles == nullptr || handles[k] == nullptr ? at::Tensor()
                                                              : icd::as_tensor(handles[k]));
  }
  return out;
}
}  // namespace

extern "C" {

int32_t icd_autograd_backward(void** tensors_, void** grads, int32_t n, int32_t retain_graph,
                              int32_t create_graph) {
  ICD_TRY
  torch::autograd::backward(tensors(tensors_, n), optional_tensors(grads, n),
                            c10::optional<bool>(retain_graph != 0), create_graph != 0);
  ICD_CATCH
}

int32_t icd_autograd_grad(void** outputs, void** grad_outputs, int32_t noutputs, void** inputs,
                          int32_t ninputs, int32_t retain_graph, int32_t create_graph,
                          int32_t allow_unused, void** results) {
  ICD_TRY
  auto grads = torch::autograd::grad(tensors(outputs, noutputs),
                                     tensors(inputs, ninputs),
                                     optional_tensors(grad_outputs, noutputs),
                                     c10::optional<bool>(retain_graph != 0), create_graph != 0,
                                     allow_unused != 0);
  for (size_t k = 0; k < grads.size(); ++k) {
    results[k] = grads[k].defined() ? icd::new_handle(grads[k]) : nullptr;
  }
  ICD_CATCH
}

int32_t icd_grad_mode_set(int32_t enabled, int32_t* previous) {
  ICD_TRY
  if (previous != nullptr) *previous = c10::GradMode::is_enabled() ? 1 : 0;
  c10::GradMode::set_enabled(enabled != 0);
  ICD_CATCH
}

int32_t icd_grad_mode_get(int32_t* enabled) {
  ICD_TRY
  *enabled = c10::GradMode::is_enabled() ? 1 : 0;
  ICD_CATCH
}

int32_t icd_inference_mode_enter(void** guard) {
  ICD_TRY
  // The guard is thread-local state in libtorch; the C# scope exits it on the same thread.
  *guard = new c10::InferenceMode(true);
  ICD_CATCH
}

int32_t icd_inference_mode_exit(void* guard) {
  ICD_TRY
  delete static_cast<c10::InferenceMode*>(guard);
  ICD_CATCH
}

// CPU autocast as torch.autocast("cpu", dtype) enters and leaves it (thread-local state).
int32_t icd_autocast_cpu_enter(int32_t dtype, int32_t* previous_enabled, int32_t* previous_dtype) {
  ICD_TRY
  *previous_enabled = at::autocast::is_cpu_enabled() ? 1 : 0;
  *previous_dtype = static_cast<int32_t>(at::autocast::get_autocast_cpu_dtype());
  at::autocast::set_cpu_enabled(true);
  at::autocast::set_autocast_cpu_dtype(static_cast<at::ScalarType>(dtype));
  at::autocast::increment_nesting();
  ICD_CATCH
}

int32_t icd_autocast_cpu_exit(int32_t previous_enabled, int32_t previous_dtype) {
  ICD_TRY
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_cpu_enabled(previous_enabled != 0);
  at::autocast::set_autocast_cpu_dtype(static_cast<at::ScalarType>(previous_dtype));
  ICD_CATCH
}

}  // extern "C"
