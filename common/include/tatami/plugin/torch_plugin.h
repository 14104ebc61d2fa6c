// What tatami's libtorch-backed plugins (the TorchScript encoder and tactic
// generator) share: running a module's method, describing a value in an
// error, the token batch as tensors, the thread set-up, and the body of the
// C entry point that creates a backend.
//
// Header-only and for the plugins alone: it needs libtorch's headers, which
// no tatami binary includes (tatami::plugin itself never includes this file).
//
// Thread-safety: SetUpTorchThreads changes process-wide libtorch state; call
// it while creating a backend. The other functions are safe from any thread
// that may use the module.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <ATen/Parallel.h>
#include <torch/script.h>
#include <torch/version.h>

namespace tatami::plugin {

// "a Float tensor of shape [2, 3]" or "a value of type str", for messages
// about what a module returned.
inline std::string DescribeValue(const c10::IValue& v) {
  if (v.isTensor()) {
    std::ostringstream s;
    s << "a " << c10::toString(v.toTensor().scalar_type()) << " tensor of shape "
      << v.toTensor().sizes();
    return s.str();
  }
  return "a value of type " + v.type()->str();
}

// Runs `module.method(inputs)`. A failure becomes std::runtime_error
// "<method> failed: <message>": c10::Error's what() carries a C++ backtrace,
// its msg() alone says what went wrong.
inline c10::IValue RunMethod(torch::jit::Module& module, const char* method,
                             std::vector<c10::IValue> inputs) {
  try {
    return module.get_method(method)(std::move(inputs));
  } catch (const c10::Error& e) {
    throw std::runtime_error(std::string(method) + " failed: " + e.msg());
  }
}

// A token batch's ids and mask as int64 [rows, length] tensors. They alias the
// batch (from_blob does not copy): the batch must outlive them.
template <class TokenBatch>
std::pair<at::Tensor, at::Tensor> TokenTensors(const TokenBatch& batch) {
  const std::vector<std::int64_t> shape = {static_cast<std::int64_t>(batch.rows),
                                           static_cast<std::int64_t>(batch.length)};
  at::Tensor ids =
      torch::from_blob(const_cast<std::int64_t*>(batch.ids.data()), shape, torch::kInt64);
  at::Tensor mask =
      torch::from_blob(const_cast<std::int64_t*>(batch.mask.data()), shape, torch::kInt64);
  return {std::move(ids), std::move(mask)};
}

// Sets libtorch's intra-op threads (`num_threads` <= 0: one per hardware
// thread) and returns the runtime's description for the backend's info,
// e.g. "libtorch 2.1.0, 4 threads".
inline std::string SetUpTorchThreads(int num_threads) {
  if (num_threads <= 0) {
    num_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  at::set_num_threads(num_threads);
  return "libtorch " + std::string(TORCH_VERSION) + ", " + std::to_string(at::get_num_threads()) +
         " threads";
}

// The body of a plugin's create entry point: returns what `make` returns, or
// null with the failure's message in `error` (cut to `error_size` - 1 bytes,
// NUL-terminated). No exception crosses the C boundary.
template <class Make>
auto CreateOrReport(char* error, std::size_t error_size, Make make) noexcept -> decltype(make()) {
  auto fail = [&](const std::string& message) -> decltype(make()) {
    if (error && error_size > 0) {
      const std::size_t n = std::min(message.size(), error_size - 1);
      std::memcpy(error, message.data(), n);
      error[n] = '\0';
    }
    return nullptr;
  };
  try {
    return make();
  } catch (const c10::Error& e) {
    return fail(e.msg());
  } catch (const std::exception& e) {
    return fail(e.what());
  } catch (...) {
    return fail("unknown error");
  }
}

}  // namespace tatami::plugin
