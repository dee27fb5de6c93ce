// RAII owners for the Win32 handles the runner uses: every HANDLE, HKEY,
// SC_HANDLE, find handle and LocalAlloc'd block lives in a unique_ptr whose
// deleter releases it, so no early return can leak one.
#ifndef MDEFLEET_RUNNER_HOST_WINDOWS_UNIQUE_HANDLE_H_
#define MDEFLEET_RUNNER_HOST_WINDOWS_UNIQUE_HANDLE_H_

#include <windows.h>

#include <memory>
#include <type_traits>

namespace mdefleet::runner::win {

// Kernel object handles (files, pipes, events, processes, threads, jobs).
// Both null and INVALID_HANDLE_VALUE mean "none".
struct HandleCloser {
  void operator()(HANDLE h) const {
    if (h != nullptr && h != INVALID_HANDLE_VALUE) CloseHandle(h);
  }
};
using UniqueHandle = std::unique_ptr<void, HandleCloser>;

// Takes a handle from an API that reports failure with INVALID_HANDLE_VALUE
// (CreateFileW, CreateNamedPipeW) and stores failure as null, so callers test
// one way: `if (!handle)`.
inline UniqueHandle AdoptHandle(HANDLE h) {
  return UniqueHandle(h == INVALID_HANDLE_VALUE ? nullptr : h);
}

// Registry keys (RegOpenKeyExW, RegCreateKeyExW).
struct RegKeyCloser {
  void operator()(HKEY key) const { RegCloseKey(key); }
};
using UniqueHKey = std::unique_ptr<std::remove_pointer_t<HKEY>, RegKeyCloser>;

// Service control manager and service handles.
struct ServiceHandleCloser {
  void operator()(SC_HANDLE h) const { CloseServiceHandle(h); }
};
using UniqueServiceHandle =
    std::unique_ptr<std::remove_pointer_t<SC_HANDLE>, ServiceHandleCloser>;

// FindFirstFileExW handles.
struct FindCloser {
  void operator()(HANDLE h) const {
    if (h != nullptr && h != INVALID_HANDLE_VALUE) FindClose(h);
  }
};
using UniqueFindHandle = std::unique_ptr<void, FindCloser>;

// Memory the system allocated with LocalAlloc for us (security descriptors,
// DPAPI output, FormatMessageW text).
struct LocalFreer {
  void operator()(void* p) const { LocalFree(p); }
};
template <typename T>
using UniqueLocal = std::unique_ptr<T, LocalFreer>;

}  // namespace mdefleet::runner::win

#endif  // MDEFLEET_RUNNER_HOST_WINDOWS_UNIQUE_HANDLE_H_
