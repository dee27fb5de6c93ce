#include "runner/host/windows/registry.h"

#include <windows.h>

#include <cstring>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "runner/host/windows/unique_handle.h"
#include "runner/host/windows/wide_string.h"
#include "runner/host/windows/win_error.h"

namespace mdefleet::runner::win {
namespace {

// Always the 64-bit view: the MDE keys a 32-bit process would be redirected
// away from live there (the runner is 64-bit, but say so explicitly).
constexpr REGSAM kView = KEY_WOW64_64KEY;

std::string KeyName(absl::string_view key) {
  return absl::StrCat("registry key HKLM\\", key);
}

std::string ValueName(absl::string_view key, absl::string_view name) {
  return absl::StrCat("registry value \"", name, "\" of HKLM\\", key);
}

[[nodiscard]] absl::Status ValidateKey(absl::string_view key) {
  if (key.empty()) return absl::InvalidArgumentError("registry key is empty");
  RETURN_IF_ERROR(CheckNoNul(key, KeyName(key)));
  for (absl::string_view part : absl::StrSplit(key, '\\')) {
    if (part.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(KeyName(key), " has an empty component"));
    }
  }
  return absl::OkStatus();
}

// Opens HKLM\`key` with `access`; null (not an error) when it is absent.
[[nodiscard]] absl::StatusOr<UniqueHKey> OpenKey(absl::string_view key,
                                                 REGSAM access) {
  RETURN_IF_ERROR(ValidateKey(key));
  HKEY raw = nullptr;
  const LSTATUS rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, Utf8ToWide(key).c_str(),
                                   0, access | kView, &raw);
  if (rc == ERROR_FILE_NOT_FOUND) return UniqueHKey();
  if (rc != ERROR_SUCCESS) return Win32ErrorStatus(rc, KeyName(key));
  return UniqueHKey(raw);
}

struct RawValue {
  DWORD type = REG_NONE;
  std::string bytes;
};

// The raw data of value `name`; nullopt when absent.
[[nodiscard]] absl::StatusOr<std::optional<RawValue>> QueryRaw(
    HKEY hkey, absl::string_view key, absl::string_view name) {
  const std::wstring wname = Utf8ToWide(name);
  RawValue value;
  value.bytes.resize(256);
  // The value can grow between the size query and the read: retry a few times.
  for (int attempt = 0;; ++attempt) {
    DWORD size = static_cast<DWORD>(value.bytes.size());
    const LSTATUS rc =
        RegQueryValueExW(hkey, wname.c_str(), nullptr, &value.type,
                         reinterpret_cast<BYTE*>(value.bytes.data()), &size);
    if (rc == ERROR_FILE_NOT_FOUND) return std::nullopt;
    if (rc == ERROR_MORE_DATA && attempt < 8) {
      value.bytes.resize(static_cast<size_t>(size) + 16);
      continue;
    }
    if (rc != ERROR_SUCCESS) return Win32ErrorStatus(rc, ValueName(key, name));
    value.bytes.resize(size);
    return value;
  }
}

absl::string_view TypeName(DWORD type) {
  switch (type) {
    case REG_NONE:
      return "REG_NONE";
    case REG_SZ:
      return "REG_SZ";
    case REG_EXPAND_SZ:
      return "REG_EXPAND_SZ";
    case REG_BINARY:
      return "REG_BINARY";
    case REG_DWORD:
      return "REG_DWORD";
    case REG_DWORD_BIG_ENDIAN:
      return "REG_DWORD_BIG_ENDIAN";
    case REG_LINK:
      return "REG_LINK";
    case REG_MULTI_SZ:
      return "REG_MULTI_SZ";
    case REG_QWORD:
      return "REG_QWORD";
    default:
      return "an unknown type";
  }
}

}  // namespace

absl::StatusOr<std::optional<RegistryData>> ReadRegistryValue(
    absl::string_view key, absl::string_view name) {
  RETURN_IF_ERROR(CheckNoNul(name, ValueName(key, "?")));
  ASSIGN_OR_RETURN(UniqueHKey hkey, OpenKey(key, KEY_QUERY_VALUE));
  if (!hkey) return std::nullopt;
  ASSIGN_OR_RETURN(std::optional<RawValue> raw,
                   QueryRaw(hkey.get(), key, name));
  if (!raw.has_value()) return std::nullopt;
  switch (raw->type) {
    case REG_SZ:
    case REG_EXPAND_SZ: {
      // The stored data may or may not include the terminating NUL(s), and
      // an odd byte count is possible: take whole characters, drop NULs at
      // the end.
      std::wstring text(raw->bytes.size() / sizeof(wchar_t), L'\0');
      std::memcpy(text.data(), raw->bytes.data(),
                  text.size() * sizeof(wchar_t));
      while (!text.empty() && text.back() == L'\0') text.pop_back();
      return RegistryData(WideToUtf8(text));
    }
    case REG_DWORD: {
      if (raw->bytes.size() != sizeof(uint32_t)) {
        return absl::DataLossError(
            absl::StrCat(ValueName(key, name), " is a REG_DWORD of ",
                         raw->bytes.size(), " bytes, not 4"));
      }
      uint32_t dword = 0;
      std::memcpy(&dword, raw->bytes.data(), sizeof(dword));
      return RegistryData(dword);
    }
    default:
      return absl::UnimplementedError(absl::StrCat(
          ValueName(key, name), " is ", TypeName(raw->type),
          "; the runner reads only REG_SZ, REG_EXPAND_SZ and REG_DWORD"));
  }
}

absl::StatusOr<bool> RegistryValueHasData(absl::string_view key,
                                          absl::string_view name) {
  RETURN_IF_ERROR(CheckNoNul(name, ValueName(key, "?")));
  ASSIGN_OR_RETURN(UniqueHKey hkey, OpenKey(key, KEY_QUERY_VALUE));
  if (!hkey) return false;
  ASSIGN_OR_RETURN(std::optional<RawValue> raw,
                   QueryRaw(hkey.get(), key, name));
  if (!raw.has_value()) return false;
  // A REG_MULTI_SZ holding only its terminators is empty.
  return raw->bytes.find_first_not_of('\0') != std::string::npos;
}

absl::Status WriteRegistryValue(absl::string_view key, absl::string_view name,
                                const RegistryData& data) {
  RETURN_IF_ERROR(ValidateKey(key));
  RETURN_IF_ERROR(CheckNoNul(name, ValueName(key, "?")));
  HKEY raw = nullptr;
  LSTATUS rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, Utf8ToWide(key).c_str(), 0,
                               nullptr, REG_OPTION_NON_VOLATILE,
                               KEY_SET_VALUE | kView, nullptr, &raw, nullptr);
  if (rc != ERROR_SUCCESS) return Win32ErrorStatus(rc, KeyName(key));
  UniqueHKey hkey(raw);
  const std::wstring wname = Utf8ToWide(name);
  if (const auto* text = std::get_if<std::string>(&data)) {
    RETURN_IF_ERROR(
        CheckNoNul(*text, absl::StrCat("data for ", ValueName(key, name))));
    const std::wstring wide = Utf8ToWide(*text);
    // REG_SZ data includes its terminating NUL.
    const size_t bytes = (wide.size() + 1) * sizeof(wchar_t);
    if (bytes > MAXDWORD) {
      return absl::InvalidArgumentError(
          absl::StrCat("data for ", ValueName(key, name), " is too long"));
    }
    rc = RegSetValueExW(hkey.get(), wname.c_str(), 0, REG_SZ,
                        reinterpret_cast<const BYTE*>(wide.c_str()),
                        static_cast<DWORD>(bytes));
  } else {
    const DWORD dword = std::get<uint32_t>(data);
    rc = RegSetValueExW(hkey.get(), wname.c_str(), 0, REG_DWORD,
                        reinterpret_cast<const BYTE*>(&dword), sizeof(dword));
  }
  if (rc != ERROR_SUCCESS) return Win32ErrorStatus(rc, ValueName(key, name));
  return absl::OkStatus();
}

absl::Status DeleteRegistryValue(absl::string_view key,
                                 absl::string_view name) {
  RETURN_IF_ERROR(CheckNoNul(name, ValueName(key, "?")));
  ASSIGN_OR_RETURN(UniqueHKey hkey, OpenKey(key, KEY_SET_VALUE));
  if (!hkey) return absl::OkStatus();
  const LSTATUS rc = RegDeleteValueW(hkey.get(), Utf8ToWide(name).c_str());
  if (rc == ERROR_SUCCESS || rc == ERROR_FILE_NOT_FOUND) {
    return absl::OkStatus();
  }
  return Win32ErrorStatus(rc, ValueName(key, name));
}

absl::StatusOr<bool> RegistryKeyExists(absl::string_view key) {
  ASSIGN_OR_RETURN(UniqueHKey hkey, OpenKey(key, KEY_QUERY_VALUE));
  return hkey != nullptr;
}

absl::StatusOr<std::vector<std::string>> ListRegistrySubkeys(
    absl::string_view key) {
  ASSIGN_OR_RETURN(UniqueHKey hkey, OpenKey(key, KEY_ENUMERATE_SUB_KEYS));
  std::vector<std::string> names;
  if (!hkey) return names;
  // Key names are at most 255 characters.
  std::wstring name(256, L'\0');
  for (DWORD index = 0;;) {
    DWORD length = static_cast<DWORD>(name.size());
    const LSTATUS rc = RegEnumKeyExW(hkey.get(), index, name.data(), &length,
                                     nullptr, nullptr, nullptr, nullptr);
    if (rc == ERROR_NO_MORE_ITEMS) break;
    if (rc == ERROR_MORE_DATA) {
      name.resize(name.size() * 2);
      continue;
    }
    if (rc != ERROR_SUCCESS) return Win32ErrorStatus(rc, KeyName(key));
    names.push_back(WideToUtf8(std::wstring_view(name.data(), length)));
    ++index;
  }
  return names;
}

absl::Status DeleteRegistryKey(absl::string_view key) {
  RETURN_IF_ERROR(ValidateKey(key));
  if (key.find('\\') == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("refusing to delete the top-level ", KeyName(key)));
  }
  ASSIGN_OR_RETURN(UniqueHKey hkey,
                   OpenKey(key, DELETE | KEY_ENUMERATE_SUB_KEYS |
                                    KEY_QUERY_VALUE | KEY_SET_VALUE));
  if (!hkey) return absl::OkStatus();
  // RegDeleteTreeW(h, nullptr) empties the key (subkeys and values) in the
  // handle's view; the key itself goes with RegDeleteKeyExW.
  LSTATUS rc = RegDeleteTreeW(hkey.get(), nullptr);
  if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND) {
    return Win32ErrorStatus(rc, KeyName(key));
  }
  hkey.reset();
  rc = RegDeleteKeyExW(HKEY_LOCAL_MACHINE, Utf8ToWide(key).c_str(), kView, 0);
  if (rc == ERROR_SUCCESS || rc == ERROR_FILE_NOT_FOUND) {
    return absl::OkStatus();
  }
  return Win32ErrorStatus(rc, KeyName(key));
}

}  // namespace mdefleet::runner::win
