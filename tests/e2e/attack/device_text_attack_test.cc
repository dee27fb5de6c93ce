// Attacks with device-supplied text (issue 16, point 5) against the real
// mdefleet-server, mdefleet-runner and mdefleetctl. The attacker holds the
// fleet enrollment secret (Group Policy puts it on every server) and drives
// RunnerService itself over gRPC, as a compromised or fake device would:
//
// - it reports a step whose message and output tail carry terminal escape
//   sequences (OSC retitle, CSI clear screen), CR/LF line forgeries, a C1
//   CSI, U+2028 and bidi overrides: `mdefleetctl jobs get`, `jobs tasks`,
//   `jobs watch` (tables and JSON) and the HTTP API must print none of them
//   raw, and JSON must still carry the exact text;
// - it enrolls with host names holding C1 controls, U+2028 and bidi
//   overrides: refused at enrollment naming the field, and the server log
//   never holds a raw control;
// - it enrolls claiming a real runner's host name: both devices are flagged
//   duplicate_hostname, a host: target naming it is refused, the devices
//   named by id are accepted (with a warning) and the real runner does the
//   job.
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mdefleet/v1/admin.pb.h"
#include "mdefleet/v1/runner.grpc.pb.h"
#include "tests/e2e/e2e_environment.h"
#include "tests/e2e/e2e_helpers.h"

namespace mdefleet::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A step message as a hostile device writes it: each part acts on a
// terminal or a reader when shown raw.
const std::string& HostileMessage() {
  static const std::string* text = new std::string(
      "step ok\x1b]0;mdefleet: all green\x07"  // OSC: retitle the terminal
      "\x1b[2J\x1b[H"                          // clear the screen
      "\r\nWEB-99  succeeded\r\n"              // forged table rows
      "100%\rforged\u009b31m"                  // lone CR, C1 CSI
      "\u2028separator \u202eexe.txt\u2066x\u2069");  // U+2028, bidi
  return *text;
}

// Raw sequences that must never reach an operator's terminal or the log.
const std::vector<std::string>& Forbidden() {
  static const auto* forbidden = new std::vector<std::string>{
      "\x1b",   "\r",     "\x07",   "\u009b", "\u0085",
      "\u2028", "\u2029", "\u202e", "\u2066", "\u2069"};
  return *forbidden;
}

// The first forbidden sequence in `text`, C-escaped; "" when none.
std::string FirstForbidden(const std::string& text) {
  for (const std::string& bad : Forbidden()) {
    if (text.find(bad) != std::string::npos) return absl::CEscape(bad);
  }
  return "";
}

v1::DeviceFacts Facts(const std::string& hostname,
                      const std::string& identity) {
  v1::DeviceFacts f;
  f.set_hostname(hostname);
  f.set_host_identity(identity);
  f.set_os_product("Windows Server 2022 Datacenter");
  f.set_os_version("10.0.20348.2227");
  f.set_runner_version("attacker");
  f.set_onboarding_state(-1);
  return f;
}

// A fake device: the runner protocol spoken by the attacker's own client.
class FakeDevice {
 public:
  explicit FakeDevice(const std::string& address)
      : stub_(v1::RunnerService::NewStub(grpc::CreateChannel(
            address, grpc::InsecureChannelCredentials()))) {}

  grpc::Status Enroll(const std::string& secret, const v1::DeviceFacts& facts) {
    facts_ = facts;
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", secret));
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    v1::EnrollRequest request;
    *request.mutable_facts() = facts;
    v1::EnrollResponse response;
    grpc::Status status = stub_->Enroll(&context, request, &response);
    id_ = response.device_id();
    token_ = response.device_token();
    return status;
  }

  // Polls until a task is leased or `timeout` passes.
  std::optional<v1::LeasedTask> Lease(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      grpc::ClientContext context;
      Authorize(context);
      v1::PollTasksRequest request;
      *request.mutable_facts() = facts_;
      request.mutable_max_wait()->set_seconds(2);
      v1::PollTasksResponse response;
      grpc::Status status = stub_->PollTasks(&context, request, &response);
      if (!status.ok()) {
        ADD_FAILURE() << "PollTasks: " << status.error_message();
        return std::nullopt;
      }
      if (response.tasks_size() > 0) return response.tasks(0);
    }
    return std::nullopt;
  }

  grpc::Status Report(const v1::LeasedTask& task, uint32_t step,
                      v1::StepState state, const std::string& message,
                      v1::TaskState task_state) {
    grpc::ClientContext context;
    Authorize(context);
    v1::ReportStepRequest request;
    request.set_task_id(task.task_id());
    request.set_attempt(task.attempt());
    request.set_lease_id(task.lease_id());
    request.set_step_index(step);
    request.set_state(state);
    request.set_message(message);
    request.set_output_tail(message);
    if (state == v1::STEP_STATE_FAILED) request.set_exit_code(1);
    request.set_task_state(task_state);
    v1::ReportStepResponse response;
    return stub_->ReportStep(&context, request, &response);
  }

  const std::string& id() const { return id_; }

 private:
  void Authorize(grpc::ClientContext& context) {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", token_));
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
  }

  std::unique_ptr<v1::RunnerService::Stub> stub_;
  v1::DeviceFacts facts_;
  std::string id_;
  std::string token_;
};

class DeviceTextAttackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = E2eEnvironment::Start();
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = *std::move(env);
  }

  // Runs mdefleetctl; its stdout and stderr may hold no forbidden sequence.
  ProcessOutput CtlInert(const std::vector<std::string>& args) {
    ProcessOutput out = env_->Ctl(args);
    EXPECT_EQ(FirstForbidden(out.out), "")
        << "raw control in the stdout of mdefleetctl "
        << absl::StrJoin(args, " ") << ":\n"
        << absl::CEscape(out.out);
    EXPECT_EQ(FirstForbidden(out.err), "")
        << "raw control in the stderr of mdefleetctl "
        << absl::StrJoin(args, " ") << ":\n"
        << absl::CEscape(out.err);
    return out;
  }

  std::pair<int, std::string> HttpGet(const std::string& target) {
    httplib::Client client(env_->http_base_url());
    client.set_read_timeout(30, 0);
    httplib::Result result = client.Get(
        target.c_str(),
        {{"Authorization", absl::StrCat("Bearer ", env_->admin_token())}});
    if (!result) return {0, ""};
    return {result->status, result->body};
  }

  std::string SubmitJob(const std::vector<std::string>& args) {
    std::vector<std::string> cmd = {"jobs", "submit"};
    cmd.insert(cmd.end(), args.begin(), args.end());
    v1::SubmitJobResponse response;
    absl::Status status = env_->CtlJson(cmd, &response);
    EXPECT_TRUE(status.ok()) << status;
    return response.job().id();
  }

  int64_t JobCount() {
    v1::ListJobsResponse jobs;
    EXPECT_TRUE(env_->CtlJson({"jobs", "list"}, &jobs).ok());
    return jobs.jobs_size();
  }

  std::unique_ptr<E2eEnvironment> env_;
};

TEST_F(DeviceTextAttackTest, AStepMessageWithEscapesIsPrintedInert) {
  FakeDevice device(env_->server_address());
  grpc::Status enrolled = device.Enroll(env_->enrollment_secret(),
                                        Facts("EVIL-01", "guid-evil-01"));
  ASSERT_TRUE(enrolled.ok()) << enrolled.error_message();
  const std::string job =
      SubmitJob({"health_check", "--target", absl::StrCat("id:", device.id())});
  ASSERT_FALSE(job.empty());
  std::optional<v1::LeasedTask> task = device.Lease(absl::Seconds(60));
  ASSERT_TRUE(task.has_value()) << env_->server_log();
  ASSERT_GT(task->plan().steps_size(), 0);
  ASSERT_TRUE(device
                  .Report(*task, 0, v1::STEP_STATE_RUNNING, "",
                          v1::TASK_STATE_UNSPECIFIED)
                  .ok());
  grpc::Status reported = device.Report(
      *task, 0, v1::STEP_STATE_FAILED, HostileMessage(), v1::TASK_STATE_FAILED);
  ASSERT_TRUE(reported.ok()) << reported.error_message();

  // Every operator view of the job, as text and as JSON.
  ProcessOutput get = CtlInert({"jobs", "get", job});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_THAT(get.out, HasSubstr("failing steps:"));
  // The message is there, every control shown as an escape on one line.
  EXPECT_THAT(get.out, HasSubstr("step ok\\x1b]0;mdefleet: all green\\x07"
                                 "\\x1b[2J\\x1b[H\\r\\nWEB-99  succeeded\\r\\n"
                                 "100%\\rforged\\u009b31m\\u2028separator "
                                 "\\u202eexe.txt\\u2066x\\u2069"));
  EXPECT_THAT(get.out, Not(HasSubstr("\nWEB-99")));
  ProcessOutput tasks = CtlInert({"jobs", "tasks", job});
  ASSERT_EQ(tasks.exit_code, 0) << tasks.err;
  EXPECT_THAT(tasks.out, HasSubstr("EVIL-01"));
  EXPECT_THAT(tasks.out, Not(HasSubstr("\nWEB-99")));
  CtlInert({"jobs", "watch", job});  // ends failed: exit code 1
  CtlInert({"jobs", "list"});
  CtlInert({"devices", "get", device.id()});
  ProcessOutput get_json = CtlInert({"jobs", "get", job, "-o", "json"});
  ASSERT_EQ(get_json.exit_code, 0) << get_json.err;
  ProcessOutput tasks_json = CtlInert({"jobs", "tasks", job, "-o", "json"});
  ASSERT_EQ(tasks_json.exit_code, 0) << tasks_json.err;
  // JSON escapes the characters and still carries the exact text.
  EXPECT_THAT(tasks_json.out, HasSubstr("\\u009b31m\\u2028separator "
                                        "\\u202eexe.txt\\u2066x\\u2069"));
  v1::ListTasksResponse parsed;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(tasks_json.out, &parsed)
          .ok());
  ASSERT_EQ(parsed.tasks_size(), 1);
  EXPECT_EQ(parsed.tasks(0).steps(0).message(), HostileMessage());
  EXPECT_EQ(parsed.tasks(0).steps(0).output_tail(), HostileMessage());

  // The HTTP API (dashboards, curl on a terminal) escapes them too.
  for (const std::string& target :
       {absl::StrCat("/api/v1/jobs/", job),
        absl::StrCat("/api/v1/jobs/", job, "/tasks")}) {
    auto [status, body] = HttpGet(target);
    EXPECT_EQ(status, 200) << target << ": " << body;
    EXPECT_EQ(FirstForbidden(body), "")
        << target << ": " << absl::CEscape(body);
    EXPECT_THAT(body, HasSubstr("\\u202eexe.txt")) << target;
  }
  EXPECT_EQ(FirstForbidden(env_->server_log()), "")
      << absl::CEscape(env_->server_log());
}

TEST_F(DeviceTextAttackTest, HostNamesWithFormattingCharactersAreRefused) {
  const struct {
    const char* what;
    std::string hostname;
    std::string escaped;
  } cases[] = {
      {"C1 CSI", "WEB-01\u009b2J", "\\u009b"},
      {"C1 NEL", "WEB-01\u0085enrolled device dev-0", "\\u0085"},
      {"line separator", "WEB-01\u2028forged log line", "\\u2028"},
      {"bidi override", "WEB-\u202e10", "\\u202e"},
      {"bidi isolate", "WEB-\u206601\u2069", "\\u2066"},
      {"ESC", "WEB-01\x1b]0;x\x07", "\\x1b"},
  };
  int n = 0;
  for (const auto& c : cases) {
    FakeDevice device(env_->server_address());
    grpc::Status status =
        device.Enroll(env_->enrollment_secret(),
                      Facts(c.hostname, absl::StrCat("guid-hostile-", n++)));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << c.what << ": " << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr("facts.hostname")) << c.what;
    EXPECT_THAT(status.error_message(), HasSubstr(c.escaped)) << c.what;
  }
  // A label value with a bidi override is refused too.
  FakeDevice labelled(env_->server_address());
  v1::DeviceFacts facts = Facts("WEB-02", "guid-labelled");
  (*facts.mutable_labels())["site"] = "paris\u202e";
  grpc::Status status = labelled.Enroll(env_->enrollment_secret(), facts);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("facts.labels[site]"));

  // Nothing was enrolled, and the log holds no raw control.
  v1::ListDevicesResponse devices;
  ASSERT_TRUE(env_->CtlJson({"devices", "list"}, &devices).ok());
  EXPECT_EQ(devices.devices_size(), 0) << devices.ShortDebugString();
  EXPECT_EQ(FirstForbidden(env_->server_log()), "")
      << absl::CEscape(env_->server_log());
}

TEST_F(DeviceTextAttackTest,
       AClaimedHostNameFlagsBothAndHostTargetsAreRefused) {
  ASSERT_TRUE(env_->StartRunner("ws2022+onboarded").ok());
  ASSERT_TRUE(env_->WaitForDevices(1, absl::Seconds(60)).ok());
  v1::ListDevicesResponse devices;
  ASSERT_TRUE(env_->CtlJson({"devices", "list"}, &devices).ok());
  ASSERT_EQ(devices.devices_size(), 1);
  const std::string real_id = devices.devices(0).id();
  const std::string name = devices.devices(0).facts().hostname();

  // The impostor claims the name (in lower case) and the real device's labels.
  FakeDevice impostor(env_->server_address());
  v1::DeviceFacts facts = Facts(absl::AsciiStrToLower(name), "guid-impostor");
  *facts.mutable_labels() = devices.devices(0).facts().labels();
  grpc::Status enrolled = impostor.Enroll(env_->enrollment_secret(), facts);
  ASSERT_TRUE(enrolled.ok()) << enrolled.error_message();
  ASSERT_NE(impostor.id(), real_id);

  // Both are flagged, each naming the other.
  for (const auto& [id, other] :
       {std::pair{real_id, impostor.id()}, std::pair{impostor.id(), real_id}}) {
    v1::Device device;
    ASSERT_TRUE(env_->CtlJson({"devices", "get", id}, &device).ok());
    bool flagged = false;
    for (const v1::DeviceNeed& need : device.needs()) {
      if (need.need() == "duplicate_hostname") {
        flagged = true;
        EXPECT_THAT(need.advice(), HasSubstr(other));
      }
    }
    EXPECT_TRUE(flagged) << device.ShortDebugString();
    // Device.hostname_shared_with, read from the JSON text (this file also
    // builds against the protos before the fix, to run the attack there).
    ProcessOutput json = CtlInert({"devices", "get", id, "-o", "json"});
    const size_t field = json.out.find("\"hostnameSharedWith\": [");
    EXPECT_NE(field, std::string::npos) << json.out;
    if (field != std::string::npos) {
      const std::string list =
          json.out.substr(field, json.out.find(']', field) - field);
      EXPECT_THAT(list, HasSubstr(absl::StrCat("\"", other, "\"")));
      EXPECT_EQ(list.find("\"dev-"), list.rfind("\"dev-")) << list;
    }
    ProcessOutput shown = CtlInert({"devices", "get", id});
    EXPECT_THAT(shown.out, HasSubstr("duplicate_hostname"));
  }
  ProcessOutput listed =
      CtlInert({"devices", "list", "--needs", "duplicate_hostname"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr(real_id));
  EXPECT_THAT(listed.out, HasSubstr(impostor.id()));
  ProcessOutput summary = CtlInert({"fleet", "summary"});
  EXPECT_THAT(summary.out,
              HasSubstr("reports the same host name as another device"));

  // host:NAME (both spellings) is refused, dry run or not; nothing stored.
  for (const std::string& target :
       {absl::StrCat("host:", name),
        absl::StrCat("host:", absl::AsciiStrToLower(name)),
        std::string("host:SIM-*")}) {
    for (const bool dry_run : {true, false}) {
      std::vector<std::string> cmd = {"jobs", "submit", "health_check",
                                      "--target", target};
      if (dry_run) cmd.push_back("--dry-run");
      ProcessOutput refused = CtlInert(cmd);
      EXPECT_NE(refused.exit_code, 0) << target << "\n" << refused.out;
      EXPECT_THAT(refused.err, HasSubstr("target.hostname_glob")) << target;
      EXPECT_THAT(refused.err, HasSubstr(real_id)) << target;
      EXPECT_THAT(refused.err, HasSubstr(impostor.id())) << target;
    }
  }
  EXPECT_EQ(JobCount(), 0);

  // Named by id: accepted, with a warning naming both devices.
  ProcessOutput dry = CtlInert({"jobs", "submit", "health_check", "--target",
                                absl::StrCat("id:", real_id), "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("would target 1 device"));
  EXPECT_THAT(dry.out, HasSubstr("warning: host name"));
  EXPECT_THAT(dry.out, HasSubstr(impostor.id()));
  ProcessOutput all = CtlInert(
      {"jobs", "submit", "health_check", "--target", "all", "--dry-run"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_THAT(all.out, HasSubstr("warning: host name"));
  ProcessOutput submitted = CtlInert({"jobs", "submit", "health_check",
                                      "--target", absl::StrCat("id:", real_id),
                                      "--target", absl::StrCat("host:", name)});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  EXPECT_THAT(submitted.out, HasSubstr("on 1 device"));
  EXPECT_THAT(submitted.out, HasSubstr("warning: host name"));

  // The real runner runs the job (its simulated server has tamper
  // protection off, so health_check ends failed: what matters is who ran
  // it); the impostor got nothing.
  v1::ListJobsResponse jobs;
  ASSERT_TRUE(env_->CtlJson({"jobs", "list"}, &jobs).ok());
  ASSERT_EQ(jobs.jobs_size(), 1);
  const std::string job = jobs.jobs(0).id();
  const v1::Job state = WaitForJob(
      *env_, job,
      [](const v1::Job& j) {
        return j.state() == v1::JOB_STATE_SUCCEEDED ||
               j.state() == v1::JOB_STATE_FAILED;
      },
      absl::Seconds(120));
  EXPECT_EQ(state.counts().total(), 1u) << state.ShortDebugString();
  EXPECT_EQ(state.counts().succeeded() + state.counts().failed(), 1u)
      << state.ShortDebugString() << "\n"
      << env_->server_log();
  v1::ListTasksResponse tasks;
  ASSERT_TRUE(env_->CtlJson({"jobs", "tasks", job}, &tasks).ok());
  ASSERT_EQ(tasks.tasks_size(), 1);
  EXPECT_EQ(tasks.tasks(0).device_id(), real_id);
  EXPECT_TRUE(tasks.tasks(0).has_started_at()) << tasks.ShortDebugString();
}

}  // namespace
}  // namespace mdefleet::testing
