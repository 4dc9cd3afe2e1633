// torch.distributed's C++ engine (c10d): a TCPStore rendezvous and a Gloo process group, with the
// collectives data-parallel training needs. Thin wrappers: policy (bucketing, averaging, which
// rank writes) lives in .NET.
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "internal.h"

namespace {

struct Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
  std::chrono::milliseconds timeout;
};

Group& as_group(void* handle) {
  TORCH_CHECK(handle != nullptr, "null process group handle");
  return *static_cast<Group*>(handle);
}

std::vector<at::Tensor> as_tensors(void** tensors, int32_t count) {
  std::vector<at::Tensor> list;
  list.reserve(count);
  for (int32_t i = 0; i < count; i++) list.push_back(icd::as_tensor(tensors[i]));
  return list;
}

void finish(const c10::intrusive_ptr<c10d::Work>& work, const Group& g) {
  work->wait(g.timeout);
}

}  // namespace

extern "C" {

int32_t icd_dist_init(const char* master_addr, int32_t master_port, int32_t rank, int32_t world_size,
                      int64_t timeout_ms, const char* interface, void** group) {
  ICD_TRY
  TORCH_CHECK(master_port > 0 && master_port < 65536, "MASTER_PORT must be in 1..65535");
  c10d::TCPStoreOptions options;
  options.port = static_cast<uint16_t>(master_port);
  options.isServer = rank == 0;
  options.numWorkers = static_cast<size_t>(world_size);
  options.waitWorkers = true;
  options.timeout = std::chrono::milliseconds(timeout_ms);
  auto store = c10::make_intrusive<c10d::TCPStore>(std::string(master_addr), options);
  auto gloo = c10d::ProcessGroupGloo::Options::create(std::chrono::milliseconds(timeout_ms));
  gloo->devices.push_back(interface != nullptr && interface[0] != '\0'
                              ? c10d::ProcessGroupGloo::createDeviceForInterface(interface)
                              : c10d::ProcessGroupGloo::createDefaultDevice());
  auto pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world_size, gloo);
  *group = new Group{store, pg, std::chrono::milliseconds(timeout_ms)};
  ICD_CATCH
}

int32_t icd_dist_free(void* group) {
  ICD_TRY
  delete static_cast<Group*>(group);
  ICD_CATCH
}

int32_t icd_dist_broadcast(void* group, void* tensor, int32_t root) {
  ICD_TRY
  auto& g = as_group(group);
  std::vector<at::Tensor> list{icd::as_tensor(tensor)};
  c10d::BroadcastOptions options;
  options.rootRank = root;
  finish(g.pg->broadcast(list, options), g);
  ICD_CATCH
}

int32_t icd_dist_allreduce_sum(void* group, void* tensor) {
  ICD_TRY
  auto& g = as_group(group);
  std::vector<at::Tensor> list{icd::as_tensor(tensor)};
  c10d::AllreduceOptions options;
  options.reduceOp = c10d::ReduceOp::SUM;
  finish(g.pg->allreduce(list, options), g);
  ICD_CATCH
}

int32_t icd_dist_allgather(void* group, void* input, void** outputs, int32_t world_size) {
  ICD_TRY
  auto& g = as_group(group);
  std::vector<at::Tensor> in{icd::as_tensor(input)};
  std::vector<std::vector<at::Tensor>> out{as_tensors(outputs, world_size)};
  finish(g.pg->allgather(out, in), g);
  ICD_CATCH
}

int32_t icd_dist_barrier(void* group) {
  ICD_TRY
  auto& g = as_group(group);
  finish(g.pg->barrier(), g);
  ICD_CATCH
}

}  // extern "C"
