// An in-memory HKLM registry with Windows semantics: key paths and value
// names compare case-insensitively and keep their original spelling; keys form
// a tree (writing a value creates its key's parents).
#ifndef MDEFLEET_RUNNER_HOST_SIM_SIM_REGISTRY_H_
#define MDEFLEET_RUNNER_HOST_SIM_SIM_REGISTRY_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "runner/host/host.h"

namespace mdefleet::runner::sim {

class SimRegistry {
 public:
  // One value as stored: original name spelling and its data.
  struct Value {
    std::string name;
    RegistryData data;
  };
  // One key as stored, for serialisation.
  struct Key {
    std::string path;  // original spelling, no hive
    std::vector<Value> values;
  };

  // InvalidArgument for an empty path, a path with an empty component or a
  // leading/trailing backslash.
  [[nodiscard]] static absl::Status ValidateKeyPath(absl::string_view key);

  std::optional<RegistryData> Read(absl::string_view key,
                                   absl::string_view name) const;
  void Write(absl::string_view key, absl::string_view name, RegistryData data);
  void DeleteValue(absl::string_view key, absl::string_view name);
  void CreateKey(absl::string_view key);
  bool KeyExists(absl::string_view key) const;
  std::vector<std::string> Subkeys(absl::string_view key) const;
  void DeleteKey(absl::string_view key);

  // Every key (parents before children) with its values.
  std::vector<Key> Dump() const;

 private:
  struct Node {
    std::string path;                     // original spelling
    std::map<std::string, Value> values;  // by lowercase name
  };
  std::map<std::string, Node> keys_;  // by lowercase path
};

}  // namespace mdefleet::runner::sim

#endif  // MDEFLEET_RUNNER_HOST_SIM_SIM_REGISTRY_H_
