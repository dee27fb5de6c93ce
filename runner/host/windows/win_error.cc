#include "runner/host/windows/win_error.h"

#include <windows.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "runner/host/windows/wide_string.h"

namespace mdefleet::runner::win {
namespace {

struct NamedError {
  uint32_t code;
  absl::string_view name;
};

// The errors the runner's Win32 calls can plausibly return. Values are from
// winerror.h / winhttp.h, spelled out so the table needs neither header's
// optional parts.
constexpr NamedError kNamedErrors[] = {
    {0, "ERROR_SUCCESS"},
    {1, "ERROR_INVALID_FUNCTION"},
    {2, "ERROR_FILE_NOT_FOUND"},
    {3, "ERROR_PATH_NOT_FOUND"},
    {4, "ERROR_TOO_MANY_OPEN_FILES"},
    {5, "ERROR_ACCESS_DENIED"},
    {6, "ERROR_INVALID_HANDLE"},
    {8, "ERROR_NOT_ENOUGH_MEMORY"},
    {13, "ERROR_INVALID_DATA"},
    {14, "ERROR_OUTOFMEMORY"},
    {15, "ERROR_INVALID_DRIVE"},
    {19, "ERROR_WRITE_PROTECT"},
    {21, "ERROR_NOT_READY"},
    {24, "ERROR_BAD_LENGTH"},
    {32, "ERROR_SHARING_VIOLATION"},
    {33, "ERROR_LOCK_VIOLATION"},
    {38, "ERROR_HANDLE_EOF"},
    {39, "ERROR_HANDLE_DISK_FULL"},
    {50, "ERROR_NOT_SUPPORTED"},
    {53, "ERROR_BAD_NETPATH"},
    {64, "ERROR_NETNAME_DELETED"},
    {67, "ERROR_BAD_NET_NAME"},
    {80, "ERROR_FILE_EXISTS"},
    {87, "ERROR_INVALID_PARAMETER"},
    {109, "ERROR_BROKEN_PIPE"},
    {112, "ERROR_DISK_FULL"},
    {120, "ERROR_CALL_NOT_IMPLEMENTED"},
    {122, "ERROR_INSUFFICIENT_BUFFER"},
    {123, "ERROR_INVALID_NAME"},
    {126, "ERROR_MOD_NOT_FOUND"},
    {127, "ERROR_PROC_NOT_FOUND"},
    {145, "ERROR_DIR_NOT_EMPTY"},
    {161, "ERROR_BAD_PATHNAME"},
    {183, "ERROR_ALREADY_EXISTS"},
    {193, "ERROR_BAD_EXE_FORMAT"},
    {206, "ERROR_FILENAME_EXCED_RANGE"},
    {231, "ERROR_PIPE_BUSY"},
    {232, "ERROR_NO_DATA"},
    {233, "ERROR_PIPE_NOT_CONNECTED"},
    {234, "ERROR_MORE_DATA"},
    {258, "WAIT_TIMEOUT"},
    {259, "ERROR_NO_MORE_ITEMS"},
    {267, "ERROR_DIRECTORY"},
    {740, "ERROR_ELEVATION_REQUIRED"},
    {995, "ERROR_OPERATION_ABORTED"},
    {997, "ERROR_IO_PENDING"},
    {998, "ERROR_NOACCESS"},
    {1004, "ERROR_INVALID_FLAGS"},
    {1008, "ERROR_NO_TOKEN"},
    {1009, "ERROR_BADDB"},
    {1010, "ERROR_BADKEY"},
    {1011, "ERROR_CANTOPEN"},
    {1012, "ERROR_CANTREAD"},
    {1013, "ERROR_CANTWRITE"},
    {1015, "ERROR_REGISTRY_CORRUPT"},
    {1018, "ERROR_KEY_DELETED"},
    {1052, "ERROR_INVALID_SERVICE_CONTROL"},
    {1053, "ERROR_SERVICE_REQUEST_TIMEOUT"},
    {1058, "ERROR_SERVICE_DISABLED"},
    {1060, "ERROR_SERVICE_DOES_NOT_EXIST"},
    {1061, "ERROR_SERVICE_CANNOT_ACCEPT_CTRL"},
    {1062, "ERROR_SERVICE_NOT_ACTIVE"},
    {1065, "ERROR_DATABASE_DOES_NOT_EXIST"},
    {1072, "ERROR_SERVICE_MARKED_FOR_DELETE"},
    {1115, "ERROR_SHUTDOWN_IN_PROGRESS"},
    {1116, "ERROR_NO_SHUTDOWN_IN_PROGRESS"},
    {1168, "ERROR_NOT_FOUND"},
    {1190, "ERROR_SHUTDOWN_IS_SCHEDULED"},
    {1191, "ERROR_SHUTDOWN_USERS_LOGGED_ON"},
    {1213, "ERROR_INVALID_SERVICENAME"},
    {1223, "ERROR_CANCELLED"},
    {1300, "ERROR_NOT_ALL_ASSIGNED"},
    {1307, "ERROR_INVALID_OWNER"},
    {1314, "ERROR_PRIVILEGE_NOT_HELD"},
    {1336, "ERROR_INVALID_ACL"},
    {1337, "ERROR_INVALID_SID"},
    {1338, "ERROR_INVALID_SECURITY_DESCR"},
    {1359, "ERROR_INTERNAL_ERROR"},
    {1460, "ERROR_TIMEOUT"},
    {12001, "ERROR_WINHTTP_OUT_OF_HANDLES"},
    {12002, "ERROR_WINHTTP_TIMEOUT"},
    {12004, "ERROR_WINHTTP_INTERNAL_ERROR"},
    {12005, "ERROR_WINHTTP_INVALID_URL"},
    {12006, "ERROR_WINHTTP_UNRECOGNIZED_SCHEME"},
    {12007, "ERROR_WINHTTP_NAME_NOT_RESOLVED"},
    {12009, "ERROR_WINHTTP_INVALID_OPTION"},
    {12017, "ERROR_WINHTTP_OPERATION_CANCELLED"},
    {12029, "ERROR_WINHTTP_CANNOT_CONNECT"},
    {12030, "ERROR_WINHTTP_CONNECTION_ERROR"},
    {12032, "ERROR_WINHTTP_RESEND_REQUEST"},
    {12037, "ERROR_WINHTTP_SECURE_CERT_DATE_INVALID"},
    {12038, "ERROR_WINHTTP_SECURE_CERT_CN_INVALID"},
    {12044, "ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED"},
    {12045, "ERROR_WINHTTP_SECURE_INVALID_CA"},
    {12057, "ERROR_WINHTTP_SECURE_CERT_REV_FAILED"},
    {12152, "ERROR_WINHTTP_INVALID_SERVER_RESPONSE"},
    {12156, "ERROR_WINHTTP_REDIRECT_FAILED"},
    {12157, "ERROR_WINHTTP_SECURE_CHANNEL_ERROR"},
    {12166, "ERROR_WINHTTP_BAD_AUTO_PROXY_SCRIPT"},
    {12167, "ERROR_WINHTTP_UNABLE_TO_DOWNLOAD_SCRIPT"},
    {12169, "ERROR_WINHTTP_SECURE_INVALID_CERT"},
    {12170, "ERROR_WINHTTP_SECURE_CERT_REVOKED"},
    {12175, "ERROR_WINHTTP_SECURE_FAILURE"},
    {12178, "ERROR_WINHTTP_AUTO_PROXY_SERVICE_ERROR"},
    {12180, "ERROR_WINHTTP_AUTODETECTION_FAILED"},
    {0x80090005u, "NTE_BAD_DATA"},
    {0x8009000Bu, "NTE_BAD_KEY_STATE"},
};

bool IsWinHttpError(uint32_t code) { return code >= 12000 && code < 12200; }

}  // namespace

std::string Win32ErrorName(uint32_t code) {
  for (const NamedError& e : kNamedErrors) {
    if (e.code == code) return std::string(e.name);
  }
  if (code & 0x80000000u) return absl::StrFormat("HRESULT 0x%08X", code);
  return absl::StrCat("Win32 error ", code);
}

std::string Win32ErrorText(uint32_t code) {
  DWORD flags = FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_IGNORE_INSERTS |
                FORMAT_MESSAGE_FROM_SYSTEM;
  HMODULE module = nullptr;
  if (IsWinHttpError(code)) {
    // WinHTTP's texts live in its own message table.
    module = GetModuleHandleW(L"winhttp.dll");
    if (module != nullptr) flags |= FORMAT_MESSAGE_FROM_HMODULE;
  }
  wchar_t* buffer = nullptr;
  const DWORD length = FormatMessageW(
      flags, module, code, 0, reinterpret_cast<wchar_t*>(&buffer), 0, nullptr);
  if (length == 0 || buffer == nullptr) return "";
  std::string text = WideToUtf8(std::wstring_view(buffer, length));
  LocalFree(buffer);
  absl::StripTrailingAsciiWhitespace(&text);
  return text;
}

absl::StatusCode Win32ErrorToStatusCode(uint32_t code) {
  if (IsWinHttpError(code)) {
    return code == 12005 || code == 12006 ? absl::StatusCode::kInvalidArgument
                                          : absl::StatusCode::kUnavailable;
  }
  switch (code) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_DRIVE:
    case ERROR_BAD_NETPATH:
    case ERROR_BAD_NET_NAME:
    case ERROR_MOD_NOT_FOUND:
    case ERROR_SERVICE_DOES_NOT_EXIST:
    case ERROR_NOT_FOUND:
      return absl::StatusCode::kNotFound;
    case ERROR_ACCESS_DENIED:
    case ERROR_PRIVILEGE_NOT_HELD:
    case ERROR_NOT_ALL_ASSIGNED:
    case kErrorElevationRequired:
    case ERROR_WRITE_PROTECT:
      return absl::StatusCode::kPermissionDenied;
    case ERROR_ALREADY_EXISTS:
    case ERROR_FILE_EXISTS:
      return absl::StatusCode::kAlreadyExists;
    case ERROR_INVALID_PARAMETER:
    case ERROR_INVALID_NAME:
    case ERROR_BAD_PATHNAME:
    case ERROR_FILENAME_EXCED_RANGE:
    case ERROR_DIRECTORY:
    case ERROR_INVALID_SERVICENAME:
    case ERROR_INVALID_FLAGS:
      return absl::StatusCode::kInvalidArgument;
    case ERROR_SHARING_VIOLATION:
    case ERROR_LOCK_VIOLATION:
    case ERROR_NOT_READY:
    case ERROR_PIPE_BUSY:
    case ERROR_SERVICE_REQUEST_TIMEOUT:
      return absl::StatusCode::kUnavailable;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
    case ERROR_DISK_FULL:
    case ERROR_HANDLE_DISK_FULL:
    case ERROR_TOO_MANY_OPEN_FILES:
      return absl::StatusCode::kResourceExhausted;
    case ERROR_DIR_NOT_EMPTY:
    case ERROR_SERVICE_DISABLED:
    case ERROR_SERVICE_MARKED_FOR_DELETE:
    case ERROR_SERVICE_NOT_ACTIVE:
    case ERROR_BAD_EXE_FORMAT:
    case ERROR_SHUTDOWN_IN_PROGRESS:
    case kErrorShutdownIsScheduled:
      return absl::StatusCode::kFailedPrecondition;
    case WAIT_TIMEOUT:
    case ERROR_TIMEOUT:
      return absl::StatusCode::kDeadlineExceeded;
    case ERROR_CALL_NOT_IMPLEMENTED:
    case ERROR_NOT_SUPPORTED:
    case ERROR_INVALID_FUNCTION:
      return absl::StatusCode::kUnimplemented;
    case ERROR_OPERATION_ABORTED:
    case ERROR_CANCELLED:
      return absl::StatusCode::kCancelled;
    case ERROR_INVALID_DATA:
    case ERROR_REGISTRY_CORRUPT:
    case ERROR_BADDB:
      return absl::StatusCode::kDataLoss;
    default:
      return absl::StatusCode::kInternal;
  }
}

absl::Status Win32ErrorStatus(uint32_t code, absl::string_view what) {
  const std::string text = Win32ErrorText(code);
  return absl::Status(
      Win32ErrorToStatusCode(code),
      absl::StrCat(what, ": ", Win32ErrorName(code),
                   text.empty() ? "" : absl::StrCat(" (", text, ")")));
}

absl::Status LastErrorStatus(absl::string_view what) {
  const DWORD code = GetLastError();
  // A failing call that left no error behind is still a failure.
  return Win32ErrorStatus(code == 0 ? ERROR_INTERNAL_ERROR : code, what);
}

}  // namespace mdefleet::runner::win
