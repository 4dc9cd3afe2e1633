/*
 * icd_shim.h: the C ABI between libtorch and the C# tensor library (Icd.Torch).
 *
 * Rules (docs/architecture.md, "Shim"):
 *  - Every export returns int32_t: 0 on success, non-zero on failure. On failure the
 *    message is available from icd_last_error() on the same thread until the next call.
 *  - No C++ exception ever crosses this boundary (every export is wrapped in ICD_TRY).
 *  - Handles are opaque pointers; only fixed-width integer types and double cross.
 *  - No logic: ops are reached through libtorch's own dispatcher by schema name
 *    (icd_op_find / icd_op_call), so the shim carries no per-op code at all.
 */
#ifndef ICD_SHIM_H
#define ICD_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ICD_EXPORT __attribute__((visibility("default")))

/* Tags of icd_arg.kind: how one dispatcher argument or result is encoded. */
enum icd_arg_kind {
  ICD_NONE = 0,
  ICD_TENSOR = 1,           /* p: tensor handle (NULL = undefined tensor, i.e. None) */
  ICD_INT = 2,              /* i */
  ICD_DOUBLE = 3,           /* d */
  ICD_BOOL = 4,             /* i != 0 */
  ICD_INT_LIST = 5,         /* p: int64_t[i] */
  ICD_DOUBLE_LIST = 6,      /* p: double[i] */
  ICD_TENSOR_LIST = 7,      /* p: handle[i] */
  ICD_OPT_TENSOR_LIST = 8,  /* p: handle[i], NULL entries are None (for index) */
  ICD_STRING = 9,           /* p: NUL-terminated UTF-8 */
  ICD_DEVICE = 10,          /* i: device type (0 cpu, 1 cuda), aux: index (-1 = current) */
  ICD_GENERATOR = 11,       /* p: generator handle */
  ICD_BOOL_LIST = 12        /* p: int64_t[i], each 0 or 1 */
};

typedef struct icd_arg {
  int32_t kind;
  int32_t aux;
  int64_t i;
  double d;
  void* p;
} icd_arg;

typedef void (*icd_deleter)(void* context);

/* Errors and runtime */
ICD_EXPORT const char* icd_last_error(void);
ICD_EXPORT int32_t icd_torch_version(char* buffer, int32_t capacity);
ICD_EXPORT int32_t icd_show_config(char* buffer, int32_t capacity, int32_t* needed);
ICD_EXPORT int32_t icd_set_num_threads(int32_t n);
ICD_EXPORT int32_t icd_get_num_threads(int32_t* n);
ICD_EXPORT int32_t icd_cuda_device_count(int32_t* n);
ICD_EXPORT int32_t icd_manual_seed(uint64_t seed);
ICD_EXPORT int32_t icd_live_tensor_handles(int64_t* n);

/* Op profiler: a Chrome trace of the calling thread's ops, written at the end */
ICD_EXPORT int32_t icd_profile_begin(const char* path, void** recording);
ICD_EXPORT int32_t icd_profile_end(void* recording);

/* Tensor handles */
ICD_EXPORT int32_t icd_tensor_free(void* tensor);
ICD_EXPORT int32_t icd_tensor_dim(void* tensor, int64_t* dim);
ICD_EXPORT int32_t icd_tensor_sizes(void* tensor, int64_t* sizes, int32_t capacity);
ICD_EXPORT int32_t icd_tensor_strides(void* tensor, int64_t* strides, int32_t capacity);
ICD_EXPORT int32_t icd_tensor_dtype(void* tensor, int32_t* dtype);
ICD_EXPORT int32_t icd_tensor_device(void* tensor, int32_t* type, int32_t* index);
ICD_EXPORT int32_t icd_tensor_requires_grad(void* tensor, int32_t* requires_grad);
ICD_EXPORT int32_t icd_tensor_is_leaf(void* tensor, int32_t* is_leaf);
ICD_EXPORT int32_t icd_tensor_data_ptr(void* tensor, void** data);
ICD_EXPORT int32_t icd_tensor_share(void* tensor, void** out);
ICD_EXPORT int32_t icd_tensor_from_blob(void* data, const int64_t* sizes, int32_t ndim,
                                        int32_t dtype, icd_deleter deleter, void* context,
                                        void** out);
ICD_EXPORT int32_t icd_tensor_grad(void* tensor, void** grad);
ICD_EXPORT int32_t icd_tensor_set_grad(void* tensor, void* grad);

/* Ops through the dispatcher */
ICD_EXPORT int32_t icd_op_find(const char* name, const char* overload, void** op);
ICD_EXPORT int32_t icd_op_call(void* op, const icd_arg* args, int32_t nargs, icd_arg* results,
                               int32_t capacity, int32_t* nresults);

/* Autograd */
ICD_EXPORT int32_t icd_autograd_backward(void** tensors, void** grads, int32_t n,
                                         int32_t retain_graph, int32_t create_graph);
ICD_EXPORT int32_t icd_autograd_grad(void** outputs, void** grad_outputs, int32_t noutputs,
                                     void** inputs, int32_t ninputs, int32_t retain_graph,
                                     int32_t create_graph, int32_t allow_unused, void** results);
/* A differentiable op with .NET callbacks for forward and backward (activation checkpointing).
   Callbacks return 0 on success. Handles passed to them are borrowed; handles they write are
   owned by the shim. release(context) is called once, when the op's graph node is freed. */
typedef int32_t (*icd_forward_callback)(int64_t context, void** inputs, int32_t ninputs,
                                        void** outputs, int32_t noutputs);
typedef int32_t (*icd_backward_callback)(int64_t context, void** inputs, int32_t ninputs,
                                         void** grad_outputs, int32_t noutputs,
                                         void** grad_inputs);
typedef void (*icd_release_callback)(int64_t context);
ICD_EXPORT int32_t icd_callback_function_apply(icd_forward_callback forward,
                                               icd_backward_callback backward,
                                               icd_release_callback release, int64_t context,
                                               void** inputs, int32_t ninputs, void** outputs,
                                               int32_t noutputs);
ICD_EXPORT int32_t icd_grad_mode_set(int32_t enabled, int32_t* previous);
ICD_EXPORT int32_t icd_grad_mode_get(int32_t* enabled);
ICD_EXPORT int32_t icd_inference_mode_enter(void** guard);
ICD_EXPORT int32_t icd_autocast_cpu_enter(int32_t dtype, int32_t* previous_enabled, int32_t* previous_dtype);
ICD_EXPORT int32_t icd_autocast_cpu_exit(int32_t previous_enabled, int32_t previous_dtype);
ICD_EXPORT int32_t icd_inference_mode_exit(void* guard);

/* Generators */
ICD_EXPORT int32_t icd_generator_new(uint64_t seed, int32_t device_type, void** generator);
ICD_EXPORT int32_t icd_generator_free(void* generator);
ICD_EXPORT int32_t icd_generator_get_state(void* generator, void** state);
ICD_EXPORT int32_t icd_generator_set_state(void* generator, void* state);

/* Distributed (c10d: TCPStore rendezvous, Gloo process group). Collectives are in place and
   blocking; each fails with the timeout given at init when a peer is gone or stalls. */
ICD_EXPORT int32_t icd_dist_init(const char* master_addr, int32_t master_port, int32_t rank, int32_t world_size,
                                 int64_t timeout_ms, const char* interface, void** group);
ICD_EXPORT int32_t icd_dist_free(void* group);
ICD_EXPORT int32_t icd_dist_broadcast(void* group, void* tensor, int32_t root);
ICD_EXPORT int32_t icd_dist_allreduce_sum(void* group, void* tensor);
ICD_EXPORT int32_t icd_dist_allgather(void* group, void* input, void** outputs, int32_t world_size);
ICD_EXPORT int32_t icd_dist_barrier(void* group);

#ifdef __cplusplus
}
#endif

#endif /* ICD_SHIM_H */
