// Device-supplied text is inert in every mdefleetctl output: the fake
// AdminService answers with every string field of every message set to text
// a compromised runner could report (ESC/OSC sequences, CR, LF, TAB, BEL,
// DEL, a C1 control, U+2028, bidi overrides and isolates), and each command
// that prints such messages, as a table and as JSON, must print none of
// those characters raw. JSON must still parse to the same values.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/clock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "server/cli/app.h"
#include "tests/cli/cli_run.h"
#include "tests/cli/fake_admin_service.h"

namespace mdefleet::cli {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using testing::FakeAdminService;
using testing::FakeServer;
using ::testing::HasSubstr;

// What a hostile runner reports: each part is something a terminal, a log
// reader or a text renderer acts on.
const std::string& Hostile() {
  static const std::string* text = new std::string(
      "A\x1b]0;pwned\x07"               // OSC: retitle the terminal
      "B\x1b[2J\x1b[H"                  // CSI: clear the screen
      "C\r\n"                           // CR LF: forge a line
      "D\rE\tF\x7f"                     // lone CR, TAB, DEL
      "G\u009b31mH\u0085"               // C1: CSI and NEL
      "I\u2028J\u2029"                  // line and paragraph separators
      "K\u202eL\u2066M\u2069N\u200f");  // bidi override, isolate, mark
  return *text;
}

// Raw sequences none of which may reach the output.
const std::vector<std::string>& Forbidden() {
  static const auto* forbidden = new std::vector<std::string>{
      "\x1b",   "\r",     "\x07",   "\x7f",   "\t",
      "\u009b", "\u0085", "\u2028", "\u2029", "\u202e",
      "\u2066", "\u2069", "\u200f", "C\nD",   "F\nG"};
  return *forbidden;
}

// Sets every string field of `message` (nested messages, repeated fields and
// maps included, up to `depth` levels) to hostile text; fields named "id"
// (and map keys, which tables show as keys) get `id`.
void Poison(Message* message, const std::string& id, int depth = 5) {
  if (depth == 0) return;
  const google::protobuf::Reflection& r = *message->GetReflection();
  const google::protobuf::Descriptor& d = *message->GetDescriptor();
  for (int i = 0; i < d.field_count(); ++i) {
    const FieldDescriptor* f = d.field(i);
    if (f->containing_oneof() != nullptr &&
        f->containing_oneof()->field(0) != f) {
      continue;  // one member of a oneof is enough
    }
    const std::string value =
        f->name() == "id" || f->name() == "key" ? id : Hostile();
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      if (f->is_repeated()) {
        r.AddString(message, f, value);
        r.AddString(message, f, value);
      } else {
        r.SetString(message, f, value);
      }
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      const std::string type = f->message_type()->full_name();
      if (type.rfind("google.protobuf.", 0) == 0) continue;  // times
      Message* child = f->is_repeated() ? r.AddMessage(message, f)
                                        : r.MutableMessage(message, f);
      Poison(child, id, depth - 1);
    }
  }
}

using testing::Result;

class HostileTextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("MDEFLEET_SERVER");
    unsetenv("MDEFLEET_TOKEN");
    FakeAdminService& f = server_.service();
    v1::Device device;
    Poison(&device, "dev-1");
    f.devices.push_back(device);
    v1::Job job;
    Poison(&job, "job-1");
    job.set_state(v1::JOB_STATE_FAILED);
    f.final_job = job;
    f.watch_updates = {job};
    v1::Task task;
    Poison(&task, "task-1");
    task.set_state(v1::TASK_STATE_FAILED);
    task.mutable_steps(0)->set_state(v1::STEP_STATE_FAILED);
    f.tasks = {task, task};
    Poison(&f.fleet_summary, "x");
    for (auto& need : *f.fleet_summary.mutable_needs()) need.set_devices(3);
    Poison(&f.submit_response, "job-1");
    f.submit_response.set_targeted(1);
    v1::AuditEntry entry;
    Poison(&entry, "1");
    f.audit_entries = {entry};
  }

  Result Run(std::vector<std::string> args, Terminal terminal = {}) {
    return testing::RunCliAgainst(server_, std::move(args), terminal);
  }

  // Runs `args` as a table and as JSON; neither stdout nor stderr may hold
  // a forbidden sequence, and the device text must have been printed (the
  // letters around the escapes are there).
  // `shows_text`: the command prints some hostile field (control commands
  // print only the job id and the server's own state reason).
  void ExpectInert(const std::vector<std::string>& args, Terminal terminal = {},
                   bool shows_text = true) {
    for (const bool json : {false, true}) {
      std::vector<std::string> full = args;
      if (json) full.insert(full.end(), {"-o", "json"});
      Result r = Run(full, terminal);
      // On a terminal `jobs watch` redraws its progress line with CR and
      // "erase line": the CLI's own sequence, the only one allowed.
      if (terminal.is_tty) {
        r.out = absl::StrReplaceAll(r.out, {{"\r\x1b[K", ""}});
      }
      const std::string what =
          absl::StrCat(absl::StrJoin(full, " "), "\n--- stdout ---\n", r.out,
                       "\n--- stderr ---\n", r.err);
      for (const std::string& bad : Forbidden()) {
        EXPECT_EQ(r.out.find(bad), std::string::npos)
            << "raw " << absl::CEscape(bad) << " in " << what;
        EXPECT_EQ(r.err.find(bad), std::string::npos)
            << "raw " << absl::CEscape(bad) << " in " << what;
      }
      if (shows_text || json) {
        EXPECT_THAT(r.out + r.err, HasSubstr("A\\")) << what;
      }
    }
  }

  FakeServer server_;
};

TEST_F(HostileTextTest, DevicesListAndGet) {
  ExpectInert({"devices", "list"});
  ExpectInert({"devices", "get", "dev-1"});
}

TEST_F(HostileTextTest, FleetSummary) { ExpectInert({"fleet", "summary"}); }

TEST_F(HostileTextTest, JobsGetListTasksAndWatch) {
  ExpectInert({"jobs", "get", "job-1"});
  ExpectInert({"jobs", "list"});
  ExpectInert({"jobs", "tasks", "job-1"});
  ExpectInert({"jobs", "watch", "job-1"});
  ExpectInert({"jobs", "watch", "job-1"},
              Terminal{.is_tty = true, .columns = 80});
}

TEST_F(HostileTextTest, JobControls) {
  ExpectInert({"jobs", "cancel", "job-1"}, {}, false);
  ExpectInert({"jobs", "retry-failed", "job-1"}, {}, false);
}

TEST_F(HostileTextTest, SubmitAndDryRun) {
  ExpectInert(
      {"jobs", "submit", "health_check", "--target", "all", "--dry-run"});
  ExpectInert({"jobs", "submit", "health_check", "--target", "all"});
}

TEST_F(HostileTextTest, AuditAndErrors) {
  ExpectInert({"audit", "list"});
  server_.service().submit_status =
      grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                   absl::StrCat("target: device ", Hostile()));
  ExpectInert({"jobs", "submit", "health_check", "--target", "all"});
}

TEST_F(HostileTextTest, JsonStillParsesToTheSameValues) {
  const Result r = Run({"devices", "get", "dev-1", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The characters the printer leaves raw are \u escapes now.
  EXPECT_THAT(r.out, HasSubstr("G\\u009b31mH\\u0085"));
  EXPECT_THAT(r.out, HasSubstr("I\\u2028J\\u2029"));
  EXPECT_THAT(r.out, HasSubstr("K\\u202eL\\u2066M\\u2069N\\u200f"));
  EXPECT_THAT(r.out, HasSubstr("F\\u007f"));
  v1::Device parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &parsed).ok())
      << r.out;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      parsed, server_.service().devices[0]));
}

TEST_F(HostileTextTest, TablesShowTheEscapesOnOneLine) {
  const Result r = Run({"devices", "get", "dev-1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("A\\x1b]0;pwned\\x07B\\x1b[2J\\x1b[HC\\r\\nD\\rE"
                               "\\tF\\x7fG\\u009b31mH\\u0085I\\u2028J\\u2029K"
                               "\\u202eL\\u2066M\\u2069N\\u200f"));
}

}  // namespace
}  // namespace mdefleet::cli
