// The fixture of the tests that make real Win32 calls through WindowsHost
// (cross-built with mingw-w64, run under Wine): each test gets a host whose
// state directory is in a scratch directory of its own.
#ifndef MDEFLEET_TESTS_TESTING_WINDOWS_HOST_TEST_H_
#define MDEFLEET_TESTS_TESTING_WINDOWS_HOST_TEST_H_

#include <memory>
#include <utility>

#include "gtest/gtest.h"
#include "runner/host/windows/windows_host.h"
#include "tests/testing/temp_dir.h"

namespace mdefleet::testing {

class WindowsHostTest : public ::testing::Test {
 protected:
  // The options SetUp creates the host with, its state directory already
  // set (dir_\state): a fixture overrides this to change the others.
  virtual void Configure(runner::win::WindowsHostOptions& /*options*/) {}

  // A fixture with more to set up calls this first and returns when it
  // failed (HasFatalFailure()).
  void SetUp() override {
    runner::win::WindowsHostOptions options;
    options.state_directory = dir_.Join("state");
    Configure(options);
    auto host = runner::win::WindowsHost::Create(std::move(options));
    ASSERT_TRUE(host.ok()) << host.status();
    host_ = *std::move(host);
  }

  TempDir dir_;
  std::unique_ptr<runner::win::WindowsHost> host_;
};

}  // namespace mdefleet::testing

#endif  // MDEFLEET_TESTS_TESTING_WINDOWS_HOST_TEST_H_
