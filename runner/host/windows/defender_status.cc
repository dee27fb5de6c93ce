#include "runner/host/windows/defender_status.h"

#include <windows.h>
// windows.h first: these need its types.
#include <oleauto.h>
#include <wbemidl.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "runner/host/windows/wide_string.h"

namespace mdefleet::runner::win {
namespace {

struct Releaser {
  void operator()(IUnknown* p) const { p->Release(); }
};
template <typename T>
using ComPtr = std::unique_ptr<T, Releaser>;

struct BstrFree {
  void operator()(BSTR b) const { SysFreeString(b); }
};
using UniqueBstr = std::unique_ptr<OLECHAR, BstrFree>;

// COM for this thread while the query runs.
class ComScope {
 public:
  ComScope() : result_(CoInitializeEx(nullptr, COINIT_MULTITHREADED)) {}
  ~ComScope() {
    if (SUCCEEDED(result_)) CoUninitialize();
  }
  // A thread already in COM (another apartment) can make the call too.
  bool usable() const {
    return SUCCEEDED(result_) || result_ == RPC_E_CHANGED_MODE;
  }
  HRESULT result() const { return result_; }

 private:
  const HRESULT result_;
};

// One property of `row`: a string, a boolean, or nothing.
std::optional<std::string> StringProperty(IWbemClassObject* row,
                                          const wchar_t* name) {
  VARIANT value;
  VariantInit(&value);
  std::optional<std::string> out;
  if (SUCCEEDED(row->Get(name, 0, &value, nullptr, nullptr)) &&
      V_VT(&value) == VT_BSTR && V_BSTR(&value) != nullptr) {
    out = WideToUtf8(V_BSTR(&value));
  }
  VariantClear(&value);
  return out;
}

std::optional<bool> BoolProperty(IWbemClassObject* row, const wchar_t* name) {
  VARIANT value;
  VariantInit(&value);
  std::optional<bool> out;
  if (SUCCEEDED(row->Get(name, 0, &value, nullptr, nullptr)) &&
      V_VT(&value) == VT_BOOL) {
    out = V_BOOL(&value) != VARIANT_FALSE;
  }
  VariantClear(&value);
  return out;
}

}  // namespace

absl::StatusOr<std::optional<DefenderStatus>> QueryDefenderStatus() {
  ComScope com;
  if (!com.usable()) {
    return absl::InternalError(absl::StrCat(
        "Defender Antivirus status: CoInitializeEx failed (HRESULT 0x",
        absl::Hex(static_cast<uint32_t>(com.result())), ")"));
  }
  IWbemLocator* raw_locator = nullptr;
  if (FAILED(CoCreateInstance(CLSID_WbemLocator, nullptr, CLSCTX_INPROC_SERVER,
                              IID_IWbemLocator,
                              reinterpret_cast<void**>(&raw_locator)))) {
    return std::nullopt;  // no WMI
  }
  ComPtr<IWbemLocator> locator(raw_locator);
  UniqueBstr space(SysAllocString(L"ROOT\\Microsoft\\Windows\\Defender"));
  IWbemServices* raw_services = nullptr;
  if (FAILED(locator->ConnectServer(space.get(), nullptr, nullptr, nullptr, 0,
                                    nullptr, nullptr, &raw_services))) {
    return std::nullopt;  // no Defender namespace: not installed
  }
  ComPtr<IWbemServices> services(raw_services);
  // WMI wants to impersonate the caller (LocalSystem for the service).
  CoSetProxyBlanket(services.get(), RPC_C_AUTHN_WINNT, RPC_C_AUTHZ_NONE,
                    nullptr, RPC_C_AUTHN_LEVEL_CALL,
                    RPC_C_IMP_LEVEL_IMPERSONATE, nullptr, EOAC_NONE);
  // "*": an older platform lacks some properties, and naming one it lacks
  // would fail the whole query.
  UniqueBstr language(SysAllocString(L"WQL"));
  UniqueBstr query(SysAllocString(L"SELECT * FROM MSFT_MpComputerStatus"));
  IEnumWbemClassObject* raw_rows = nullptr;
  if (FAILED(services->ExecQuery(
          language.get(), query.get(),
          WBEM_FLAG_FORWARD_ONLY | WBEM_FLAG_RETURN_IMMEDIATELY, nullptr,
          &raw_rows))) {
    return std::nullopt;
  }
  ComPtr<IEnumWbemClassObject> rows(raw_rows);
  IWbemClassObject* raw_row = nullptr;
  ULONG returned = 0;
  // Defender answers in milliseconds; a stuck service must not stall polls.
  constexpr LONG kTimeoutMs = 30'000;
  if (FAILED(rows->Next(kTimeoutMs, 1, &raw_row, &returned)) || returned == 0 ||
      raw_row == nullptr) {
    return std::nullopt;
  }
  ComPtr<IWbemClassObject> row(raw_row);
  DefenderStatus status;
  status.am_running_mode =
      StringProperty(row.get(), L"AMRunningMode").value_or("");
  status.is_tamper_protected = BoolProperty(row.get(), L"IsTamperProtected");
  status.tamper_protection_source =
      StringProperty(row.get(), L"TamperProtectionSource").value_or("");
  return status;
}

}  // namespace mdefleet::runner::win
