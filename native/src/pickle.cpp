// Reads a torch.save state dict (zip + pickle) with libtorch's unpickler. The unpickler only
// rebuilds tensors and containers; it never runs code from the file.
#include <torch/serialize.h>

#include <fstream>

#include "internal.h"

namespace {
struct tensor_dict {
  std::vector<std::string> names;
  std::vector<at::Tensor> tensors;
};

void collect(const c10::IValue& value, const std::string& prefix, tensor_dict& out) {
  if (value.isTensor()) {
    out.names.push_back(prefix);
    out.tensors.push_back(value.toTensor());
  } else if (value.isGenericDict()) {
    for (const auto& entry : value.toGenericDict()) {
      TORCH_CHECK(entry.key().isString(), "state dict key is not a string under '", prefix, "'");
      std::string key = entry.key().toStringRef();
      collect(entry.value(), prefix.empty() ? key : prefix + "." + key, out);
    }
  } else if (!value.isNone() && !value.isInt() && !value.isDouble() && !value.isString()) {
    // Non-tensor metadata (ints such as an epoch counter) is skipped; anything else is an error.
    TORCH_CHECK(false, "unsupported value of type ", value.tagKind(), " at '", prefix, "'");
  }
}
}  // namespace

extern "C" {

int32_t icd_pickle_load_tensors(const char* path, void** dict, int64_t* count) {
  ICD_TRY
  std::ifstream file(path, std::ios::binary);
  TORCH_CHECK(file.good(), "cannot open '", path, "'");
  std::vector<char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  auto result = std::make_unique<tensor_dict>();
  collect(torch::pickle_load(bytes), "", *result);
  *count = static_cast<int64_t>(result->names.size());
  *dict = result.release();
  ICD_CATCH
}

int32_t icd_pickle_dict_entry(void* dict, int64_t index, const char** name, void** tensor) {
  ICD_TRY
  auto& d = *static_cast<tensor_dict*>(dict);
  TORCH_CHECK(index >= 0 && index < static_cast<int64_t>(d.names.size()), "index out of range");
  *name = d.names[index].c_str();
  *tensor = icd::new_handle(d.tensors[index]);
  ICD_CATCH
}

int32_t icd_pickle_dict_free(void* dict) {
  ICD_TRY
  delete static_cast<tensor_dict*>(dict);
  ICD_CATCH
}

}  // extern "C"
