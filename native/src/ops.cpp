// Every tensor op goes through libtorch's dispatcher by schema name ("aten::conv2d", overload "").
// The dispatcher routes through autograd, inference mode and the device backends exactly as
// a Python call would, so this file holds no per-op code: only the boxing of arguments.
#include <ATen/core/dispatch/Dispatcher.h>

#include "internal.h"

namespace {

c10::IValue to_ivalue(const icd_arg& a) {
  switch (a.kind) {
    case ICD_NONE:
      return c10::IValue();
    case ICD_TENSOR:
      return a.p == nullptr ? c10::IValue() : c10::IValue(icd::as_tensor(a.p));
    case ICD_INT:
      return c10::IValue(a.i);
    case ICD_DOUBLE:
      return c10::IValue(a.d);
    case ICD_BOOL:
      return c10::IValue(a.i != 0);
    case ICD_INT_LIST: {
      auto* v = static_cast<const int64_t*>(a.p);
      return c10::IValue(std::vector<int64_t>(v, v + a.i));
    }
    case ICD_DOUBLE_LIST: {
      auto* v = static_cast<const double*>(a.p);
      return c10::IValue(std::vector<double>(v, v + a.i));
    }
    case ICD_BOOL_LIST: {
      auto* v = static_cast<const int64_t*>(a.p);
      c10::List<bool> list;
      for (int64_t k = 0; k < a.i; ++k) list.push_back(v[k] != 0);
      return c10::IValue(list);
    }
    case ICD_TENSOR_LIST: {
      auto* v = static_cast<void* const*>(a.p);
      c10::List<at::Tensor> list;
      for (int64_t k = 0; k < a.i; ++k) list.push_back(icd::as_tensor(v[k]));
      return c10::IValue(list);
    }
    case ICD_OPT_TENSOR_LIST: {
      auto* v = static_cast<void* const*>(a.p);
      c10::List<c10::optional<at::Tensor>> list;
      for (int64_t k = 0; k < a.i; ++k) {
        list.push_back(v[k] == nullptr ? c10::optional<at::Tensor>()
                                       : c10::optional<at::Tensor>(icd::as_tensor(v[k])));
      }
      return c10::IValue(list);
    }
    case ICD_STRING:
      return c10::IValue(std::string(static_cast<const char*>(a.p)));
    case ICD_DEVICE:
      return c10::IValue(c10::Device(static_cast<c10::DeviceType>(a.i),
                                     static_cast<c10::DeviceIndex>(a.aux)));
    case ICD_GENERATOR:
      TORCH_CHECK(a.p != nullptr, "null generator handle");
      return c10::IValue(*static_cast<at::Generator*>(a.p));
    default:
      TORCH_CHECK(false, "unknown argument kind ", a.kind);
  }
}

void push_result(const c10::IValue& v, icd_arg* results, int32_t capacity, int32_t* n) {
  TORCH_CHECK(*n < capacity, "more results than the caller's buffer holds (", capacity, ")");
  icd_arg& r = results[(*n)++];
  r = icd_arg{ICD_NONE, 0, 0, 0.0, nullptr};
  if (v.isTensor()) {
    const at::Tensor& t = v.toTensor();
    r.kind = ICD_TENSOR;
    r.p = t.defined() ? icd::new_handle(t) : nullptr;
  } else if (v.isInt()) {
    r.kind = ICD_INT;
    r.i = v.toInt();
  } else if (v.isDouble()) {
    r.kind = ICD_DOUBLE;
    r.d = v.toDouble();
  } else if (v.isBool()) {
    r.kind = ICD_BOOL;
    r.i = v.toBool() ? 1 : 0;
  } else if (!v.isNone()) {
    TORCH_CHECK(false, "unsupported result type ", v.tagKind());
  }
}

}  // namespace

extern "C" {

int32_t icd_op_find(const char* name, const char* overload, void** op) {
  ICD_TRY
  auto handle = c10::Dispatcher::singleton().findSchemaOrThrow(name, overload);
  // Handles live for the whole process, like the dispatcher's own table.
  *op = new c10::OperatorHandle(handle);
  ICD_CATCH
}

int32_t icd_op_call(void* op, const icd_arg* args, int32_t nargs, icd_arg* results,
                    int32_t capacity, int32_t* nresults) {
  ICD_TRY
  TORCH_CHECK(op != nullptr, "null operator handle");
  auto& handle = *static_cast<c10::OperatorHandle*>(op);
  // The boxed calling convention has no defaults: every schema argument must be present.
  // Checked here because a short stack would otherwise be read out of bounds.
  const auto& schema = handle.schema();
  TORCH_CHECK(static_cast<size_t>(nargs) == schema.arguments().size(), "expected ",
              schema.arguments().size(), " arguments, got ", nargs, "; schema: ", schema);
  torch::jit::Stack stack;
  stack.reserve(nargs);
  for (int32_t k = 0; k < nargs; ++k) stack.push_back(to_ivalue(args[k]));
  handle.callBoxed(stack);
  *nresults = 0;
  for (const auto& v : stack) {
    if (v.isTensorList()) {
      for (const at::Tensor& t : v.toTensorVector()) push_result(c10::IValue(t), results, capacity, nresults);
    } else {
      push_result(v, results, capacity, nresults);
    }
  }
  ICD_CATCH
}

}  // extern "C"
