#include "runner/host/sim/sim_registry.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mdefleet::runner::sim {
namespace {

std::string Lower(absl::string_view s) { return absl::AsciiStrToLower(s); }

}  // namespace

absl::Status SimRegistry::ValidateKeyPath(absl::string_view key) {
  if (key.empty()) return absl::InvalidArgumentError("registry key is empty");
  for (absl::string_view part : absl::StrSplit(key, '\\')) {
    if (part.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("registry key \"", key, "\" has an empty component"));
    }
  }
  return absl::OkStatus();
}

std::optional<RegistryData> SimRegistry::Read(absl::string_view key,
                                              absl::string_view name) const {
  auto k = keys_.find(Lower(key));
  if (k == keys_.end()) return std::nullopt;
  auto v = k->second.values.find(Lower(name));
  if (v == k->second.values.end()) return std::nullopt;
  return v->second.data;
}

void SimRegistry::CreateKey(absl::string_view key) {
  std::vector<absl::string_view> parts = absl::StrSplit(key, '\\');
  std::string path;
  for (absl::string_view part : parts) {
    if (!path.empty()) path += '\\';
    absl::StrAppend(&path, part);
    std::string lower = Lower(path);
    if (keys_.find(lower) == keys_.end()) keys_[lower].path = path;
  }
}

void SimRegistry::Write(absl::string_view key, absl::string_view name,
                        RegistryData data) {
  CreateKey(key);
  Node& node = keys_[Lower(key)];
  auto it = node.values.find(Lower(name));
  if (it != node.values.end()) {
    it->second.data = std::move(data);  // keeps the original name spelling
  } else {
    node.values[Lower(name)] = Value{std::string(name), std::move(data)};
  }
}

void SimRegistry::DeleteValue(absl::string_view key, absl::string_view name) {
  auto k = keys_.find(Lower(key));
  if (k != keys_.end()) k->second.values.erase(Lower(name));
}

bool SimRegistry::KeyExists(absl::string_view key) const {
  return keys_.count(Lower(key)) > 0;
}

std::vector<std::string> SimRegistry::Subkeys(absl::string_view key) const {
  std::vector<std::string> out;
  const std::string prefix = Lower(key) + "\\";
  for (auto it = keys_.lower_bound(prefix);
       it != keys_.end() && absl::StartsWith(it->first, prefix); ++it) {
    absl::string_view rest = absl::string_view(it->first).substr(prefix.size());
    if (rest.find('\\') != absl::string_view::npos) continue;
    out.push_back(it->second.path.substr(prefix.size()));
  }
  return out;
}

void SimRegistry::DeleteKey(absl::string_view key) {
  const std::string lower = Lower(key);
  const std::string prefix = lower + "\\";
  keys_.erase(lower);
  for (auto it = keys_.lower_bound(prefix);
       it != keys_.end() && absl::StartsWith(it->first, prefix);) {
    it = keys_.erase(it);
  }
}

std::vector<SimRegistry::Key> SimRegistry::Dump() const {
  std::vector<Key> out;
  for (const auto& [lower, node] : keys_) {
    Key key{node.path, {}};
    for (const auto& [name, value] : node.values) key.values.push_back(value);
    out.push_back(std::move(key));
  }
  return out;
}

}  // namespace mdefleet::runner::sim
