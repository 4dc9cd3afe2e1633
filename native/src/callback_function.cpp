// A differentiable op whose forward and backward are callbacks into .NET: the binding facility
// activation checkpointing is built on (the recompute policy lives in C#). The forward callback
// receives the inputs and writes the outputs (autograd is off during it, as for any custom
// Function); the backward callback receives the saved inputs and the output gradients and writes
// one gradient (or NULL) per input. A callback reports failure by returning non-zero; that becomes
// a C++ exception here, which the calling export (e.g. icd_autograd_backward) turns into an error.
#include <torch/csrc/autograd/custom_function.h>

#include "internal.h"

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Held by the graph node (as a capsule in its saved data); when the node goes, .NET is told it
// may drop the context.
struct Callbacks : torch::CustomClassHolder {
  Callbacks(icd_forward_callback f, icd_backward_callback b, icd_release_callback r, int64_t c,
            int32_t n)
      : forward(f), backward(b), release(r), context(c), noutputs(n) {}
  ~Callbacks() override { release(context); }
  icd_forward_callback forward;
  icd_backward_callback backward;
  icd_release_callback release;
  int64_t context;
  int32_t noutputs;
};

std::vector<void*> borrow(const variable_list& tensors) {
  // Borrowed handles: valid for the duration of the callback, owned (and freed) here.
  std::vector<void*> out;
  out.reserve(tensors.size());
  for (const auto& t : tensors) out.push_back(t.defined() ? icd::new_handle(t) : nullptr);
  return out;
}

void release(std::vector<void*>& handles) {
  for (void* h : handles) {
    if (h != nullptr) icd_tensor_free(h);
  }
}

at::Tensor take(void* handle) {
  if (handle == nullptr) return at::Tensor();
  at::Tensor t = icd::as_tensor(handle);
  icd_tensor_free(handle);
  return t;
}

struct CallbackFunction : public torch::autograd::Function<CallbackFunction> {
  static variable_list forward(AutogradContext* ctx, at::TensorList inputs,
                               c10::intrusive_ptr<Callbacks> cb) {
    variable_list in(inputs.begin(), inputs.end());
    ctx->save_for_backward(in);
    ctx->saved_data["callbacks"] = c10::IValue::make_capsule(cb);
    auto handles = borrow(in);
    std::vector<void*> outs(cb->noutputs, nullptr);
    int32_t rc = cb->forward(cb->context, handles.data(), static_cast<int32_t>(handles.size()),
                             outs.data(), cb->noutputs);
    release(handles);
    variable_list result;
    for (void* h : outs) result.push_back(take(h));
    if (rc != 0) throw std::runtime_error("the .NET forward callback of a checkpointed function failed");
    for (const auto& t : result) TORCH_CHECK(t.defined(), "a checkpointed function's forward returned a null tensor");
    return result;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto cb = c10::static_intrusive_pointer_cast<Callbacks>(ctx->saved_data["callbacks"].toCapsule());
    auto saved = ctx->get_saved_variables();
    auto in = borrow(saved);
    auto grads = borrow(grad_outputs);
    std::vector<void*> out(saved.size(), nullptr);
    int32_t rc = cb->backward(cb->context, in.data(), static_cast<int32_t>(in.size()), grads.data(),
                              static_cast<int32_t>(grads.size()), out.data());
    release(in);
    release(grads);
    variable_list result;
    for (void* h : out) result.push_back(take(h));
    if (rc != 0) throw std::runtime_error("the .NET backward callback of a checkpointed function failed");
    result.push_back(at::Tensor());  // no gradient for the callbacks argument
    return result;
  }
};

}  // namespace

extern "C" {

int32_t icd_callback_function_apply(icd_forward_callback forward, icd_backward_callback backward,
                                    icd_release_callback release, int64_t context, void** inputs,
                                    int32_t ninputs, void** outputs, int32_t noutputs) {
  // The context is released exactly once: by the graph node, or here if no node was made.
  auto cb = c10::make_intrusive<Callbacks>(forward, backward, release, context, noutputs);
  ICD_TRY
  std::vector<at::Tensor> in;
  in.reserve(ninputs);
  for (int32_t k = 0; k < ninputs; ++k) in.push_back(icd::as_tensor(inputs[k]));
  auto result = CallbackFunction::apply(at::TensorList(in), std::move(cb));
  TORCH_CHECK(static_cast<int32_t>(result.size()) == noutputs, "expected ", noutputs,
              " outputs, the forward callback gave ", result.size());
  for (int32_t k = 0; k < noutputs; ++k) outputs[k] = icd::new_handle(result[k]);
  ICD_CATCH
}

}  // extern "C"
