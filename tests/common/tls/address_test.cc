#include "common/tls/address.h"

#include "gtest/gtest.h"

namespace mdefleet::tls {
namespace {

TEST(AddressTest, LoopbackHosts) {
  for (absl::string_view host :
       {"localhost", "LocalHost", "127.0.0.1", "127.1.2.3", "::1", "[::1]",
        "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(IsLoopbackHost(host)) << host;
  }
  for (absl::string_view host :
       {"", "0.0.0.0", "::", "10.0.0.5", "128.0.0.1", "fd00::1",
        "localhost.corp.example", "mdefleet", "::ffff:10.0.0.1"}) {
    EXPECT_FALSE(IsLoopbackHost(host)) << host;
  }
}

TEST(AddressTest, HostOfAddress) {
  EXPECT_EQ(HostOfAddress("127.0.0.1:7443"), "127.0.0.1");
  EXPECT_EQ(HostOfAddress("[::1]:7443"), "::1");
  EXPECT_EQ(HostOfAddress("mdefleet.corp:7443"), "mdefleet.corp");
  EXPECT_EQ(HostOfAddress(":7443"), "");
  EXPECT_EQ(HostOfAddress("dns:///localhost:7443"), "localhost");
  EXPECT_EQ(HostOfAddress("dns://8.8.8.8/example.org:7443"), "example.org");
  EXPECT_EQ(HostOfAddress("dns:localhost:7443"), "localhost");
  EXPECT_EQ(HostOfAddress("localhost"), "localhost");
}

TEST(AddressTest, LocalAddresses) {
  for (absl::string_view address :
       {"127.0.0.1:0", "localhost:7443", "[::1]:0", "unix:/run/mdefleet.sock",
        "unix-abstract:mdefleet", "ipv4:127.0.0.1:1,127.0.0.2:2",
        "ipv6:[::1]:7443", "dns:///localhost:1"}) {
    EXPECT_TRUE(IsLocalAddress(address)) << address;
  }
  for (absl::string_view address :
       {"0.0.0.0:0", "[::]:7443", ":7443", "10.0.0.5:7443",
        "mdefleet.corp:7443", "ipv4:127.0.0.1:1,10.0.0.1:2",
        "ipv4:", "dns:///mdefleet.corp:1"}) {
    EXPECT_FALSE(IsLocalAddress(address)) << address;
  }
}

TEST(AddressTest, CanonicalIp) {
  EXPECT_EQ(CanonicalIp("10.0.0.5"), "10.0.0.5");
  EXPECT_EQ(CanonicalIp("[0:0::1]"), "::1");
  EXPECT_EQ(CanonicalIp("FD00::10"), "fd00::10");
  EXPECT_EQ(CanonicalIp("10.0.0"), std::nullopt);
  EXPECT_EQ(CanonicalIp("host"), std::nullopt);
}

}  // namespace
}  // namespace mdefleet::tls
