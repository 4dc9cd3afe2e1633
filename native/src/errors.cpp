#include "internal.h"

namespace icd {

namespace {
// One slot per thread: a failing call on one thread never overwrites another's message.
thread_local std::string last_error;
}  // namespace

std::atomic<int64_t> live_handles{0};

void set_error(const std::string& message) { last_error = message; }
void clear_error() { last_error.clear(); }
const char* last_error_c_str() { return last_error.c_str(); }

}  // namespace icd

extern "C" const char* icd_last_error(void) { return icd::last_error_c_str(); }
