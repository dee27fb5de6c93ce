// What the in-process server tests (fleet_server_test, replicas_test) call
// a started FleetServer with: a plaintext channel to its gRPC port, an
// enrollment as a runner makes it, and the device list as an operator reads
// it. Calls that do not answer within 10 s fail instead of hanging.
#ifndef MDEFLEET_TESTS_SERVER_SERVE_FLEET_CLIENTS_H_
#define MDEFLEET_TESTS_SERVER_SERVE_FLEET_CLIENTS_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "mdefleet/v1/admin.grpc.pb.h"
#include "mdefleet/v1/runner.grpc.pb.h"
#include "server/serve/fleet_server.h"
#include "tests/server/test_env.h"

namespace mdefleet::testing {

inline std::chrono::system_clock::time_point FleetRpcDeadline(
    int seconds = 10) {
  return std::chrono::system_clock::now() + std::chrono::seconds(seconds);
}

inline std::shared_ptr<grpc::Channel> ChannelTo(
    const serve::FleetServer& server) {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", server.grpc_port()),
                             grpc::InsecureChannelCredentials());
}

// Enrolls `hostname` with `enrollment_secret`; the device token, or "" on
// error (the test has failed then).
inline std::string EnrollOver(const std::shared_ptr<grpc::Channel>& channel,
                              absl::string_view enrollment_secret,
                              absl::string_view hostname) {
  auto runner = v1::RunnerService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(FleetRpcDeadline());
  context.AddMetadata("authorization",
                      absl::StrCat("Bearer ", enrollment_secret));
  v1::EnrollRequest request;
  *request.mutable_facts() = MakeFacts(hostname, "2019");
  v1::EnrollResponse response;
  const grpc::Status status = runner->Enroll(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.device_token();
}

// The host names of ListDevices with `admin_token`.
inline grpc::Status ListHostnamesOver(
    const std::shared_ptr<grpc::Channel>& channel,
    absl::string_view admin_token, std::vector<std::string>* hostnames) {
  auto admin = v1::AdminService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(FleetRpcDeadline());
  context.AddMetadata("authorization", absl::StrCat("Bearer ", admin_token));
  v1::ListDevicesResponse response;
  grpc::Status status =
      admin->ListDevices(&context, v1::ListDevicesRequest(), &response);
  hostnames->clear();
  for (const v1::Device& device : response.devices()) {
    hostnames->push_back(device.facts().hostname());
  }
  return status;
}

}  // namespace mdefleet::testing

#endif  // MDEFLEET_TESTS_SERVER_SERVE_FLEET_CLIENTS_H_
