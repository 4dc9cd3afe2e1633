// Tensor handles: lifetime, metadata, raw data access, and zero-copy wrapping of foreign memory.
#include "internal.h"

extern "C" {

int32_t icd_tensor_free(void* tensor) {
  ICD_TRY
  if (tensor != nullptr) {
    delete static_cast<at::Tensor*>(tensor);
    icd::live_handles.fetch_sub(1, std::memory_order_relaxed);
  }
  ICD_CATCH
}

int32_t icd_tensor_dim(void* tensor, int64_t* dim) {
  ICD_TRY
  *dim = icd::as_tensor(tensor).dim();
  ICD_CATCH
}

int32_t icd_tensor_sizes(void* tensor, int64_t* sizes, int32_t capacity) {
  ICD_TRY
  auto s = icd::as_tensor(tensor).sizes();
  TORCH_CHECK(static_cast<int64_t>(s.size()) <= capacity, "sizes buffer too small");
  for (size_t k = 0; k < s.size(); ++k) sizes[k] = s[k];
  ICD_CATCH
}

int32_t icd_tensor_strides(void* tensor, int64_t* strides, int32_t capacity) {
  ICD_TRY
  auto s = icd::as_tensor(tensor).strides();
  TORCH_CHECK(static_cast<int64_t>(s.size()) <= capacity, "strides buffer too small");
  for (size_t k = 0; k < s.size(); ++k) strides[k] = s[k];
  ICD_CATCH
}

int32_t icd_tensor_dtype(void* tensor, int32_t* dtype) {
  ICD_TRY
  *dtype = static_cast<int32_t>(icd::as_tensor(tensor).scalar_type());
  ICD_CATCH
}

int32_t icd_tensor_device(void* tensor, int32_t* type, int32_t* index) {
  ICD_TRY
  auto device = icd::as_tensor(tensor).device();
  *type = static_cast<int32_t>(device.type());
  *index = device.index();
  ICD_CATCH
}

int32_t icd_tensor_requires_grad(void* tensor, int32_t* requires_grad) {
  ICD_TRY
  *requires_grad = icd::as_tensor(tensor).requires_grad() ? 1 : 0;
  ICD_CATCH
}

int32_t icd_tensor_is_leaf(void* tensor, int32_t* is_leaf) {
  ICD_TRY
  *is_leaf = icd::as_tensor(tensor).is_leaf() ? 1 : 0;
  ICD_CATCH
}

int32_t icd_tensor_data_ptr(void* tensor, void** data) {
  ICD_TRY
  *data = icd::as_tensor(tensor).data_ptr();
  ICD_CATCH
}

int32_t icd_tensor_share(void* tensor, void** out) {
  ICD_TRY
  *out = icd::new_handle(icd::as_tensor(tensor));
  ICD_CATCH
}

int32_t icd_tensor_from_blob(void* data, const int64_t* sizes, int32_t ndim, int32_t dtype,
                             icd_deleter deleter, void* context, void** out) {
  ICD_TRY
  TORCH_CHECK(data != nullptr, "from_blob: null data pointer");
  std::vector<int64_t> shape(sizes, sizes + ndim);
  auto options = at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype));
  // The deleter hands ownership back to .NET (unpin an array, release a mapped view).
  auto release = [deleter, context](void*) {
    if (deleter != nullptr) deleter(context);
  };
  *out = icd::new_handle(at::from_blob(data, shape, release, options));
  ICD_CATCH
}

int32_t icd_tensor_grad(void* tensor, void** grad) {
  ICD_TRY
  const at::Tensor& g = icd::as_tensor(tensor).grad();
  *grad = g.defined() ? icd::new_handle(g) : nullptr;
  ICD_CATCH
}

int32_t icd_tensor_set_grad(void* tensor, void* grad) {
  ICD_TRY
  icd::as_tensor(tensor).mutable_grad() = grad == nullptr ? at::Tensor() : icd::as_tensor(grad);
  ICD_CATCH
}

}  // extern "C"
