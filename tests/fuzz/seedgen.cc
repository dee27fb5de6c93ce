// The fuzz corpus's seed tool (regular build). The protobuf fuzz targets read
// serialized messages; their seeds are written as text-format protos under
// tests/fuzz/seeds/<target>/NAME.textproto and checked in, serialized, as
// tests/fuzz/corpus/<target>/NAME. tests/fuzz/regen_seeds.sh runs it.
//
//   seedgen write TYPE SEEDS_DIR CORPUS_DIR   (re)serialize every textproto
//   seedgen check TYPE SEEDS_DIR CORPUS_DIR   every textproto serialized as
//       checked in; every corpus file parses as TYPE (a CTest test)
//   seedgen decode TYPE FILE                  a corpus file as text
//   seedgen poll-seeds SEEDS_DIR              writes gen_*.textproto for
//       poll_tasks: plans built by BuildPlan from a simulated host's facts
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/plan/plan.h"
#include "common/sha256.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"
#include "mdefleet/v1/jobs.pb.h"
#include "runner/facts/fact_collector.h"
#include "runner/host/sim/sim_profile.h"
#include "runner/host/sim/simulated_host.h"
#include "tests/fuzz/fuzz_artifacts.h"
#include "tests/fuzz/fuzz_inputs.pb.h"

namespace mdefleet::fuzz {
namespace {

namespace fs = std::filesystem;
using google::protobuf::Message;

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

bool WriteAll(const fs::path& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  return static_cast<bool>(out.flush());
}

// Map entries in key order, so the checked-in bytes are reproducible.
std::string Deterministic(const Message& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return out;
}

std::unique_ptr<Message> NewMessage(const std::string& type) {
  // Referenced so the linker keeps their descriptors.
  (void)v1::JobSpec::descriptor();
  (void)PlanFuzzInput::descriptor();
  (void)PollTasksFuzzInput::descriptor();
  const google::protobuf::Descriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(
          type);
  if (descriptor == nullptr) return nullptr;
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(descriptor)
          ->New());
}

std::vector<fs::path> Textprotos(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".textproto") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

int WriteOrCheck(const std::string& type, const fs::path& seeds,
                 const fs::path& corpus, bool write) {
  int errors = 0;
  for (const fs::path& textproto : Textprotos(seeds)) {
    std::unique_ptr<Message> message = NewMessage(type);
    if (!google::protobuf::TextFormat::ParseFromString(ReadAll(textproto),
                                                       message.get())) {
      std::cerr << textproto << ": not a text-format " << type << "\n";
      ++errors;
      continue;
    }
    const fs::path binary = corpus / textproto.stem();
    const std::string bytes = Deterministic(*message);
    if (write) {
      if (!WriteAll(binary, bytes)) {
        std::cerr << binary << ": cannot write\n";
        ++errors;
      }
    } else if (!fs::exists(binary) || ReadAll(binary) != bytes) {
      std::cerr << binary << ": missing or not the serialization of "
                << textproto << "; run tests/fuzz/regen_seeds.sh\n";
      ++errors;
    }
  }
  if (!write) {
    for (const auto& entry : fs::directory_iterator(corpus)) {
      std::unique_ptr<Message> message = NewMessage(type);
      if (!message->ParseFromString(ReadAll(entry.path()))) {
        std::cerr << entry.path() << ": does not parse as " << type << "\n";
        ++errors;
      }
    }
  }
  return errors == 0 ? 0 : 1;
}

// ---- poll-seeds ----

struct PollSeed {
  std::string name;
  std::string kind;
  std::string profile;
  int polls = 1;  // the same task delivered again (after a restart)
  std::vector<std::string> windows = {};
  uint32_t cancel_at_report = 0;
  uint32_t lease_lost_at_report = 0;
  uint32_t unavailable_at_report = 0;
};

PlanInputs InputsFor(const std::string& kind) {
  PlanInputs in;
  in.kind = kind;
  in.install_script =
      ArtifactRef{Sha256Hex(InstallPs1Content()), "Install.ps1"};
  in.installer_msi = ArtifactRef{Sha256Hex(MsiContent()), "md4ws.msi"};
  if (kind == "onboard" || kind == "migrate_mma") {
    in.onboarding_script =
        ArtifactRef{Sha256Hex(OnboardingScriptContent()),
                    "WindowsDefenderATPOnboardingScript.cmd"};
  }
  if (kind == "offboard" || kind == "image_prep") {
    in.offboarding_script = ArtifactRef{Sha256Hex(OffboardingScriptContent()),
                                        kOffboardingScriptName};
  }
  if (kind == "migrate_mma") {
    in.workspace_id = std::string(runner::sim::kDefaultMmaWorkspace);
  }
  if (kind == "configure_proxy") {
    in.proxy.set_edr_proxy("10.0.0.6:8080");
    in.proxy.set_av_proxy("http://10.0.0.6:8080");
    in.proxy.set_winhttp(v1::WINHTTP_PROXY_SET);
  }
  if (kind == "connectivity_test") {
    in.urls = {"https://winatp-gw-eus.microsoft.com/test",
               "https://go.microsoft.com/fwlink/?linkid=2144709"};
  }
  return in;
}

absl::StatusOr<PollTasksFuzzInput> MakePollSeed(const PollSeed& seed,
                                                const fs::path& scratch) {
  runner::sim::SimulatedHostOptions options;
  auto profile = runner::sim::ParseSimProfile(seed.profile);
  if (!profile.ok()) return profile.status();
  options.profile = *profile;
  options.root_dir = (scratch / seed.name).string();
  options.hostname = "SIM-FUZZ-0001";
  auto host = runner::sim::SimulatedHost::Create(options);
  if (!host.ok()) return host.status();
  auto facts = runner::CollectFacts(**host, {});
  if (!facts.ok()) return facts.status();
  auto plan = BuildPlan(InputsFor(seed.kind), *facts);
  if (!plan.ok()) return plan.status();
  PollTasksFuzzInput input;
  input.set_sim_profile(seed.profile);
  v1::LeasedTask task;
  task.set_task_id(absl::StrCat("task-", seed.name));
  task.set_job_id("job-0001");
  task.set_attempt(1);
  task.set_lease_id("lease-0001");
  task.set_kind(seed.kind);
  *task.mutable_plan() = *std::move(plan);
  task.mutable_lease_duration()->set_seconds(600);
  for (const std::string& w : seed.windows) {
    task.add_maintenance_windows()->set_spec(w);
  }
  for (int i = 0; i < seed.polls; ++i) {
    *input.add_polls()->add_tasks() = task;
  }
  input.set_cancel_at_report(seed.cancel_at_report);
  input.set_lease_lost_at_report(seed.lease_lost_at_report);
  input.set_unavailable_at_report(seed.unavailable_at_report);
  return input;
}

int PollSeeds(const fs::path& dir) {
  const std::vector<PollSeed> seeds = {
      {.name = "install_2016", .kind = "install", .profile = "ws2016"},
      {.name = "onboard_2016", .kind = "onboard", .profile = "ws2016"},
      {.name = "onboard_2019", .kind = "onboard", .profile = "ws2019"},
      {.name = "onboard_2012r2_mma_av",
       .kind = "onboard",
       .profile = "ws2012r2+mma+av"},
      // Install.ps1 exits 12 (reboot pending): restart, then the same task
      // again.
      {.name = "onboard_2016_reboot",
       .kind = "onboard",
       .profile = "ws2016+reboot",
       .polls = 2},
      {.name = "onboard_2016_reboot_window",
       .kind = "onboard",
       .profile = "ws2016+reboot+tz=9",
       .polls = 2,
       .windows = {"Sat 01:00-05:00"}},
      {.name = "onboard_2019_cancel",
       .kind = "onboard",
       .profile = "ws2019",
       .cancel_at_report = 3},
      {.name = "onboard_2019_lease_lost",
       .kind = "onboard",
       .profile = "ws2019",
       .lease_lost_at_report = 4},
      {.name = "onboard_2019_unavailable",
       .kind = "onboard",
       .profile = "ws2019",
       .polls = 2,
       .unavailable_at_report = 5},
      {.name = "migrate_mma_2016",
       .kind = "migrate_mma",
       .profile = "ws2016+mma"},
      {.name = "offboard_2019",
       .kind = "offboard",
       .profile = "ws2019+onboarded"},
      {.name = "offboard_2016",
       .kind = "offboard",
       .profile = "ws2016+onboarded"},
      {.name = "image_prep_2022",
       .kind = "image_prep",
       .profile = "ws2022+onboarded",
       .polls = 2},
      {.name = "configure_proxy_2019",
       .kind = "configure_proxy",
       .profile = "ws2019+proxy=10.0.0.6:8080"},
      {.name = "set_passive_mode_2019",
       .kind = "set_passive_mode",
       .profile = "ws2019+av"},
      {.name = "set_passive_mode_tamper",
       .kind = "set_passive_mode",
       .profile = "ws2019+av+onboarded+tamper"},
      {.name = "health_check_2019",
       .kind = "health_check",
       .profile = "ws2019+onboarded+mapsoff"},
      {.name = "connectivity_test_proxy",
       .kind = "connectivity_test",
       .profile = "ws2022+proxy=10.0.0.6:8080"},
  };
  const fs::path scratch =
      fs::temp_directory_path() / absl::StrCat("seedgen.", getpid());
  int errors = 0;
  for (const PollSeed& seed : seeds) {
    auto input = MakePollSeed(seed, scratch);
    if (!input.ok()) {
      std::cerr << seed.name << ": " << input.status() << "\n";
      ++errors;
      continue;
    }
    std::string text;
    google::protobuf::TextFormat::PrintToString(*input, &text);
    const fs::path path = dir / absl::StrCat("gen_", seed.name, ".textproto");
    if (!WriteAll(path, absl::StrCat("# Generated by `seedgen poll-seeds` "
                                     "(tests/fuzz/regen_seeds.sh); edits "
                                     "are overwritten.\n",
                                     text))) {
      std::cerr << path << ": cannot write\n";
      ++errors;
    }
  }
  std::error_code ec;
  fs::remove_all(scratch, ec);
  return errors == 0 ? 0 : 1;
}

int Usage() {
  std::cerr << "usage: seedgen write|check TYPE SEEDS_DIR CORPUS_DIR\n"
               "       seedgen decode TYPE FILE\n"
               "       seedgen poll-seeds SEEDS_DIR\n";
  return 2;
}

int Main(const std::vector<std::string>& args) {
  if (args.size() == 4 && (args[0] == "write" || args[0] == "check")) {
    if (NewMessage(args[1]) == nullptr) {
      std::cerr << "unknown message type " << args[1] << "\n";
      return 2;
    }
    return WriteOrCheck(args[1], args[2], args[3], args[0] == "write");
  }
  if (args.size() == 3 && args[0] == "decode") {
    std::unique_ptr<Message> message = NewMessage(args[1]);
    if (message == nullptr || !message->ParseFromString(ReadAll(args[2]))) {
      std::cerr << args[2] << ": does not parse as " << args[1] << "\n";
      return 1;
    }
    std::string text;
    google::protobuf::TextFormat::PrintToString(*message, &text);
    std::cout << text;
    return 0;
  }
  if (args.size() == 2 && args[0] == "poll-seeds") return PollSeeds(args[1]);
  return Usage();
}

}  // namespace
}  // namespace mdefleet::fuzz

int main(int argc, char** argv) {
  return mdefleet::fuzz::Main(std::vector<std::string>(argv + 1, argv + argc));
}
