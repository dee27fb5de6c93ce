// configure_proxy (seed 004): sets or clears the EDR sensor's static proxy,
// Defender Antivirus' proxy, SSLOptions and optionally the system WinHTTP
// proxy (netsh), then reads every value back. The same on every release: the
// policy values are read by the sensor and Defender on 2012 R2 to 2025 alike.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/mde_constants.h"
#include "common/plan/kind_plans.h"
#include "common/proxy_config.h"
#include "common/status_macros.h"

namespace mdefleet::plan_internal {
namespace {

constexpr absl::Duration kNetshTimeout = absl::Minutes(1);

// Policy values are what a Group Policy writes: a GPO refresh overwrites
// them, which is the usual reason a read-back differs.
constexpr absl::string_view kGpoHint =
    "; a Group Policy may be setting it differently (check gpresult /h)";

// One registry value configure_proxy manages.
struct ManagedValue {
  absl::string_view step;  // suffix of the step names: "edr_proxy"
  absl::string_view key;
  absl::string_view name;
  absl::string_view what;  // "EDR sensor proxy"
};

constexpr ManagedValue kEdrProxy{"edr_proxy", proxy::kDataCollectionKey,
                                 proxy::kTelemetryProxyServerValue,
                                 "EDR sensor static proxy"};
constexpr ManagedValue kAuthProxy{
    "disable_enterprise_auth_proxy", proxy::kDataCollectionKey,
    proxy::kDisableEnterpriseAuthProxyValue,
    "no authenticated proxy for the telemetry service"};
constexpr ManagedValue kPreferStatic{
    "prefer_static_proxy", mde::kAtpPolicyKey, proxy::kPreferStaticProxyValue,
    "static proxy for the sensor's HTTP requests (fully offline devices)"};
constexpr ManagedValue kAvProxy{"av_proxy", proxy::kDefenderPolicyKey,
                                proxy::kProxyServerValue,
                                "Defender Antivirus proxy"};
constexpr ManagedValue kAvPac{"av_proxy_pac_url", proxy::kDefenderPolicyKey,
                              proxy::kProxyPacUrlValue,
                              "Defender Antivirus proxy PAC file"};
constexpr ManagedValue kAvBypass{"av_proxy_bypass", proxy::kDefenderPolicyKey,
                                 proxy::kProxyBypassValue,
                                 "Defender Antivirus proxy bypass list"};
constexpr ManagedValue kSslOptions{"ssl_options", proxy::kSpynetPolicyKey,
                                   proxy::kSslOptionsValue,
                                   "cloud protection SSLOptions"};

constexpr const ManagedValue* kAllValues[] = {
    &kEdrProxy, &kAuthProxy, &kPreferStatic, &kAvProxy,
    &kAvPac,    &kAvBypass,  &kSslOptions};

std::string Where(const ManagedValue& v) {
  return absl::StrCat("HKLM\\", v.key, "\\", v.name);
}

// A value to write and read back: REG_SZ or REG_DWORD.
struct Setting {
  const ManagedValue* value;
  v1::RegistryValue data;
};

Setting Sz(const ManagedValue& v, const std::string& text) {
  Setting s{&v, {}};
  s.data.set_sz(text);
  return s;
}

Setting Dword(const ManagedValue& v, uint32_t n) {
  Setting s{&v, {}};
  s.data.set_dword(n);
  return s;
}

std::string Shown(const v1::RegistryValue& data) {
  return data.has_sz() ? absl::StrCat("REG_SZ \"", data.sz(), "\"")
                       : absl::StrCat("REG_DWORD ", data.dword());
}

void AddSet(const Setting& s, v1::Plan* plan) {
  v1::SetRegistryValueAction* set =
      AddStep(plan, absl::StrCat("set_", s.value->step),
              absl::StrCat("Set ", s.value->what, ": ", Where(*s.value), " = ",
                           Shown(s.data)),
              /*rerun_safe=*/true)
          ->mutable_action()
          ->mutable_set_registry_value();
  set->set_key(std::string(s.value->key));
  set->set_name(std::string(s.value->name));
  *set->mutable_value() = s.data;
}

v1::CheckRegistryAction* AddVerify(const ManagedValue& v,
                                   absl::string_view description,
                                   v1::Plan* plan) {
  v1::CheckRegistryAction* check =
      AddStep(plan, absl::StrCat("verify_", v.step), description,
              /*rerun_safe=*/true)
          ->mutable_action()
          ->mutable_check_registry();
  check->set_key(std::string(v.key));
  check->set_name(std::string(v.name));
  check->set_on_mismatch(v1::ON_MISMATCH_FAIL);
  return check;
}

void AddVerifySet(const Setting& s, v1::Plan* plan) {
  v1::CheckRegistryAction* check =
      AddVerify(*s.value,
                absl::StrCat("Read back ", Where(*s.value), " (expect ",
                             Shown(s.data), ")"),
                plan);
  if (s.data.has_sz()) {
    check->set_sz_equals(s.data.sz());
  } else {
    check->set_dword_equals(s.data.dword());
  }
  check->set_mismatch_message(absl::StrCat(
      Where(*s.value), " does not read back as ", Shown(s.data), kGpoHint));
}

v1::RunProcessAction* AddNetsh(v1::Plan* plan, absl::string_view name,
                               absl::string_view description) {
  v1::RunProcessAction* run =
      AddStep(plan, name, description, /*rerun_safe=*/true)
          ->mutable_action()
          ->mutable_run_process();
  run->set_program(v1::PROGRAM_NETSH);
  run->add_args("winhttp");
  run->mutable_timeout()->set_seconds(absl::ToInt64Seconds(kNetshTimeout));
  run->set_display_name("netsh winhttp");
  return run;
}

void AddWinHttpSteps(const v1::ProxyConfig& c, v1::Plan* plan,
                     std::vector<v1::PlannedStep>* verifies) {
  v1::PlannedStep verify;
  verify.set_name("verify_winhttp_proxy");
  verify.set_rerun_safe(true);
  v1::CheckWinHttpProxyAction* check =
      verify.mutable_action()->mutable_check_winhttp_proxy();
  if (c.winhttp() == v1::WINHTTP_PROXY_SET) {
    const std::string proxy = WinHttpProxyOf(c);
    v1::RunProcessAction* run = AddNetsh(
        plan, "set_winhttp_proxy",
        absl::StrCat("Set the system WinHTTP proxy: netsh winhttp set proxy ",
                     proxy,
                     c.winhttp_bypass().empty()
                         ? ""
                         : absl::StrCat(" (bypass ", c.winhttp_bypass(), ")")));
    run->add_args("set");
    run->add_args("proxy");
    run->add_args(absl::StrCat("proxy-server=", proxy));
    if (!c.winhttp_bypass().empty()) {
      run->add_args(absl::StrCat("bypass-list=", c.winhttp_bypass()));
    }
    verify.set_description(absl::StrCat(
        "Read back the system WinHTTP proxy (expect ", proxy, ")"));
    check->set_proxy(proxy);
    check->set_bypass(c.winhttp_bypass());
    check->set_mismatch_message(absl::StrCat(
        "the system WinHTTP proxy is not ", proxy,
        " after netsh winhttp set proxy; see the set_winhttp_proxy output"));
  } else {
    v1::RunProcessAction* run =
        AddNetsh(plan, "reset_winhttp_proxy",
                 "Reset the system WinHTTP proxy to direct access: netsh "
                 "winhttp reset proxy");
    run->add_args("reset");
    run->add_args("proxy");
    verify.set_description(
        "Read back the system WinHTTP proxy (expect direct access)");
    check->set_mismatch_message(
        "the system WinHTTP proxy is still set after netsh winhttp reset "
        "proxy; see the reset_winhttp_proxy output");
  }
  verifies->push_back(std::move(verify));
}

[[nodiscard]] absl::Status BuildSet(const v1::ProxyConfig& c, v1::Plan* plan) {
  std::vector<Setting> settings;
  if (!c.edr_proxy().empty()) {
    settings.push_back(Sz(kEdrProxy, c.edr_proxy()));
    settings.push_back(Dword(kAuthProxy, 1));
  }
  if (c.prefer_static_proxy()) settings.push_back(Dword(kPreferStatic, 1));
  if (!c.av_proxy().empty()) settings.push_back(Sz(kAvProxy, c.av_proxy()));
  if (!c.av_proxy_pac_url().empty()) {
    settings.push_back(Sz(kAvPac, c.av_proxy_pac_url()));
  }
  if (!c.av_proxy_bypass().empty()) {
    settings.push_back(Sz(kAvBypass, c.av_proxy_bypass()));
  }
  if (c.has_ssl_options()) {
    settings.push_back(Dword(kSslOptions, c.ssl_options()));
  }
  for (const Setting& s : settings) AddSet(s, plan);
  std::vector<v1::PlannedStep> winhttp_verify;
  if (c.winhttp() != v1::WINHTTP_PROXY_LEAVE) {
    AddWinHttpSteps(c, plan, &winhttp_verify);
  }
  // Read-backs last, after everything was written.
  for (const Setting& s : settings) AddVerifySet(s, plan);
  for (v1::PlannedStep& step : winhttp_verify) {
    *plan->add_steps() = std::move(step);
  }
  return absl::OkStatus();
}

void BuildClear(const v1::ProxyConfig& c, v1::Plan* plan) {
  for (const ManagedValue* v : kAllValues) {
    v1::DeleteRegistryValueAction* del =
        AddStep(plan, absl::StrCat("delete_", v->step),
                absl::StrCat("Remove ", v->what, " (", Where(*v), ")"),
                /*rerun_safe=*/true)
            ->mutable_action()
            ->mutable_delete_registry_value();
    del->set_key(std::string(v->key));
    del->set_name(std::string(v->name));
  }
  std::vector<v1::PlannedStep> winhttp_verify;
  if (c.winhttp() == v1::WINHTTP_PROXY_RESET) {
    AddWinHttpSteps(c, plan, &winhttp_verify);
  }
  for (const ManagedValue* v : kAllValues) {
    v1::CheckRegistryAction* check =
        AddVerify(*v, absl::StrCat("Check that ", Where(*v), " is gone"), plan);
    check->set_absent(true);
    check->set_mismatch_message(
        absl::StrCat(Where(*v), " is still present after deletion", kGpoHint));
  }
  for (v1::PlannedStep& step : winhttp_verify) {
    *plan->add_steps() = std::move(step);
  }
}

// What the operator should know before the job runs: discouraged values,
// settings that do nothing on their own, and proxies that will disagree.
void AddProxyWarnings(const PlanContext& ctx, v1::Plan* plan) {
  const v1::ProxyConfig& c = ctx.inputs.proxy;
  for (std::string& w : ProxyConfigWarnings(c)) plan->add_warnings(w);
  const v1::ProxySettings after = ApplyProxyConfig(ctx.facts.proxy(), c);
  if (after.prefer_static_proxy() && after.edr_proxy().empty()) {
    plan->add_warnings(
        "PreferStaticProxyForHttpRequest has no effect without an EDR static "
        "proxy (TelemetryProxyServer); add --edr-proxy");
  }
  if (!after.av_proxy_bypass().empty() && after.av_proxy().empty() &&
      after.av_proxy_pac_url().empty()) {
    plan->add_warnings(
        "ProxyBypass has no effect without a Defender Antivirus proxy "
        "(ProxyServer or ProxyPacUrl); add --av-proxy");
  }
  for (const std::string& line : ProxyDisagreements(after)) {
    plan->add_warnings(absl::StrCat("after configure_proxy: ", line));
  }
}

}  // namespace

absl::StatusOr<v1::Plan> BuildConfigureProxyPlan(const PlanContext& ctx) {
  const v1::ProxyConfig& c = ctx.inputs.proxy;
  // Checked at submit too; again here because a plan is also built when a
  // task is leased, from the stored spec.
  RETURN_IF_ERROR(ValidateProxyConfig(c));
  v1::Plan plan;
  if (c.clear()) {
    BuildClear(c, &plan);
  } else {
    RETURN_IF_ERROR(BuildSet(c, &plan));
  }
  AddProxyWarnings(ctx, &plan);
  return plan;
}

}  // namespace mdefleet::plan_internal
