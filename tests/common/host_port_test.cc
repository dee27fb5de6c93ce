// host:port, the one grammar of proxies, the runner's server address and
// listen addresses.
#include "common/host_port.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mdefleet {
namespace {

using ::testing::HasSubstr;

TEST(ParseHostPortTest, AcceptsNamesIpv4AndBracketedIpv6) {
  struct Case {
    const char* text;
    const char* host;
    int port;
  };
  for (const Case& c : std::vector<Case>{
           {"10.0.0.6:8080", "10.0.0.6", 8080},
           {"proxy.corp.contoso.com:3128", "proxy.corp.contoso.com", 3128},
           {"PROXY01:80", "PROXY01", 80},
           {"[fd00::6]:8080", "[fd00::6]", 8080},
           {"[::ffff:10.0.0.6]:1", "[::ffff:10.0.0.6]", 1},
           {"p:65535", "p", 65535},
           // Active Directory estates have them; Windows resolves them.
           {"pro_xy.corp:8080", "pro_xy.corp", 8080},
       }) {
    auto hp = ParseHostPort(c.text);
    ASSERT_TRUE(hp.ok()) << c.text << ": " << hp.status();
    EXPECT_EQ(hp->host, c.host);
    EXPECT_EQ(hp->port, c.port);
  }
}

TEST(ParseHostPortTest, RefusesWithAReason) {
  struct Case {
    const char* text;
    const char* reason;
  };
  for (const Case& c : std::vector<Case>{
           {"", "empty; expected host:port"},
           {"10.0.0.6", "has no port"},
           {"10.0.0.6:", "port \"\" is not a number in 1-65535"},
           {"10.0.0.6:0", "port \"0\" is not a number in 1-65535"},
           {"10.0.0.6:65536", "not a number in 1-65535"},
           {"10.0.0.6:80a", "not a number"},
           {"10.0.0.6:+80", "not a number"},
           {":8080", "no host before the port"},
           {"10.0.0.256:8080", "is not an IPv4 address"},
           {"10.0.6:8080", "is not an IPv4 address"},
           {"http://10.0.0.6:8080", "has a scheme"},
           {"proxy corp:8080", "contains a space"},
           {"-proxy:8080", "is not a host name"},
           {"fd00::6:8080", "IPv6 address in brackets"},
           {"[fd00::6]", "has no port after ']'"},
           {"[fd00::6:8080", "no closing ']'"},
           {"[zz::1]:80", "is not an IPv6 address"},
           {"[1::2::3]:80", "is not an IPv6 address"},
       }) {
    auto hp = ParseHostPort(c.text);
    ASSERT_FALSE(hp.ok()) << c.text;
    EXPECT_EQ(hp.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(hp.status().message(), HasSubstr(c.reason)) << c.text;
  }
}

TEST(ParseHostPortTest, AListenAddressMayLeaveHostAndPortToTheSystem) {
  const HostPortForm listen{.empty_host_is_any = true,
                            .port_zero_picks_one = true};
  absl::StatusOr<HostPort> any = ParseHostPort(":0", listen);
  ASSERT_TRUE(any.ok()) << any.status();
  EXPECT_EQ(any->host, "");
  EXPECT_EQ(any->port, 0);
  EXPECT_THAT(std::string(ParseHostPort(":8080").status().message()),
              HasSubstr("no host before the port"));
  EXPECT_THAT(std::string(ParseHostPort("a:0").status().message()),
              HasSubstr("port \"0\" is not a number in 1-65535"));
  EXPECT_THAT(std::string(ParseHostPort("a:70000", listen).status().message()),
              HasSubstr("port \"70000\" is not a number in 0-65535"));
}

TEST(ParseHostPortTest, BareHostDropsAnIpv6AddresssBrackets) {
  EXPECT_EQ(BareHost(*ParseHostPort("[::1]:7443")), "::1");
  EXPECT_EQ(BareHost(*ParseHostPort("10.0.0.6:80")), "10.0.0.6");
}

TEST(CheckHostTest, NamesAndIpv4Addresses) {
  EXPECT_TRUE(CheckHost("wpad.contoso.com").ok());
  EXPECT_TRUE(CheckHost("10.0.0.6").ok());
  EXPECT_FALSE(CheckHost("10.0.0.600").ok());
  EXPECT_FALSE(CheckHost("").ok());
  EXPECT_FALSE(CheckHost("a..b").ok());
}

}  // namespace
}  // namespace mdefleet
