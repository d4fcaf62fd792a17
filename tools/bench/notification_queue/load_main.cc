// Loads the real notification service with staff alerts over gRPC and reads the file
// sink back to time their sending. Prints one JSON object. Used by
// tools/bench/notification_service.sh.
//
//   --mode=burst   --count reminders, all with the same send_time (now + --lead, taken
//                  when scheduling starts), each with its own dedupe key; then waits
//                  until the sink holds one line per reminder. dispatch_seconds runs
//                  from that send_time to the latest sink line's "time", so it covers
//                  claim, the deliverer's database work and the sink write.
//   --mode=steady  an open-loop schedule of --rate reminders/s for --duration, each due
//                  --offset after it is scheduled; then waits for every sink line and
//                  reports the lateness (sink "time" minus send_time) percentiles.
//
// Before either, it creates a staff-alert SMS template and one staff contact (role
// clinic_manager) for --clinic, so each reminder becomes exactly one sink line. The
// sink must start empty (a fresh file per run).

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clinic/notification/v1/notification_service.grpc.pb.h"
#include "nlohmann/json.hpp"

ABSL_FLAG(std::string, target, "", "The notification service, host:port (required).");
ABSL_FLAG(std::string, token_file, "", "File holding a network_admin bearer token (required).");
ABSL_FLAG(std::string, sink_path, "", "The service's --sink_path (required).");
ABSL_FLAG(std::string, mode, "burst", "burst or steady.");
ABSL_FLAG(int, count, 100000, "burst: reminders scheduled, all due at once.");
ABSL_FLAG(absl::Duration, lead, absl::Seconds(90),
          "burst: the send_time is this long after scheduling starts; scheduling must end before it.");
ABSL_FLAG(double, rate, 1000, "steady: reminders scheduled per second (open loop).");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(30), "steady: how long to schedule.");
ABSL_FLAG(absl::Duration, offset, absl::Milliseconds(500), "steady: each reminder is due this long after it is scheduled.");
ABSL_FLAG(int, threads, 32, "Threads issuing ScheduleReminder calls (synchronous, one outstanding each).");
ABSL_FLAG(std::string, clinic, "bench", "The clinic id of the alerts.");
ABSL_FLAG(absl::Duration, wait, absl::Minutes(10), "Longest wait for the sink to hold every line.");

namespace {

namespace v1 = clinic::notification::v1;

struct Client {
  std::vector<std::unique_ptr<v1::NotificationService::Stub>> stubs;
  std::string token;

  void Prepare(grpc::ClientContext& context) const {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    context.AddMetadata("authorization", "Bearer " + token);
  }
};

std::string RunId() { return absl::StrCat(absl::Hex(absl::ToUnixNanos(absl::Now()))); }

google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp p;
  const int64_t micros = absl::ToUnixMicros(t);
  p.set_seconds(micros / 1000000);
  p.set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
  return p;
}

bool Fail(const std::string& what, const grpc::Status& s) {
  std::fprintf(stderr, "notification_load: %s: %d %s\n", what.c_str(), static_cast<int>(s.error_code()),
               s.error_message().c_str());
  return false;
}

bool Setup(const Client& client, const std::string& run) {
  {
    grpc::ClientContext context;
    client.Prepare(context);
    v1::CreateTemplateRequest request;
    request.set_request_id(run + "-template");
    v1::Template* t = request.mutable_template_();
    t->set_kind(v1::REMINDER_KIND_STAFF_ALERT);
    t->set_channel(clinic::type::v1::CONTACT_CHANNEL_SMS);
    t->set_language_code("en-GB");
    t->set_body("Benchmark alert");
    v1::Template response;
    grpc::Status s = client.stubs[0]->CreateTemplate(&context, request, &response);
    if (!s.ok() && s.error_code() != grpc::StatusCode::ALREADY_EXISTS) return Fail("CreateTemplate", s);
  }
  grpc::ClientContext context;
  client.Prepare(context);
  v1::CreateStaffContactRequest request;
  request.set_request_id(run + "-contact");
  request.set_parent("clinics/" + absl::GetFlag(FLAGS_clinic));
  v1::StaffContact* c = request.mutable_staff_contact();
  c->set_role("clinic_manager");
  c->set_channel(clinic::type::v1::CONTACT_CHANNEL_SMS);
  c->set_address("+447700900123");
  v1::StaffContact response;
  grpc::Status s = client.stubs[0]->CreateStaffContact(&context, request, &response);
  if (!s.ok()) return Fail("CreateStaffContact", s);
  return true;
}

// ScheduleReminder calls answered ABORTED and sent again (same request_id), as an
// outbox would.
std::atomic<int64_t> aborted_retries{0};

// Schedules alert `i` of the run due at `due`; returns its resource name.
std::optional<std::string> Schedule(const Client& client, const std::string& run, int i, absl::Time due) {
  v1::ScheduleReminderRequest request;
  request.set_request_id(absl::StrCat(run, "-", i));
  v1::Reminder* r = request.mutable_reminder();
  const std::string clinic = "clinics/" + absl::GetFlag(FLAGS_clinic);
  r->set_kind(v1::REMINDER_KIND_STAFF_ALERT);
  r->mutable_staff()->set_clinic(clinic);
  r->mutable_staff()->set_role("clinic_manager");
  r->set_clinic(clinic);
  r->set_time_zone("UTC");
  // Quiet hours of one minute, twelve hours from the send time, so that the figures do
  // not depend on the time of day.
  const int hour = static_cast<int>((absl::ToCivilHour(due, absl::UTCTimeZone()).hour() + 12) % 24);
  r->mutable_quiet_hours()->mutable_start_time()->set_hours(hour);
  r->mutable_quiet_hours()->mutable_end_time()->set_hours(hour);
  r->mutable_quiet_hours()->mutable_end_time()->set_minutes(1);
  *r->mutable_send_time() = ToProto(due);
  r->set_dedupe_key(absl::StrCat("bench/", run, "/", i));
  grpc::Status s;
  for (int attempt = 0; attempt < 20; ++attempt) {
    grpc::ClientContext context;
    client.Prepare(context);
    v1::Reminder response;
    s = client.stubs[static_cast<size_t>(i) % client.stubs.size()]->ScheduleReminder(&context, request, &response);
    if (s.ok()) return response.name();
    if (s.error_code() != grpc::StatusCode::ABORTED) break;
    aborted_retries.fetch_add(1);
    absl::SleepFor(absl::Milliseconds(5 * (attempt + 1)));
  }
  Fail("ScheduleReminder", s);
  return std::nullopt;
}

// The sink's complete lines: reminder name -> send time.
std::map<std::string, absl::Time> ReadSink(const std::string& path) {
  std::map<std::string, absl::Time> sent;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("reminder") || !j.contains("time")) continue;
    absl::Time t;
    std::string error;
    if (!absl::ParseTime("%Y-%m-%dT%H:%M:%E*SZ", j["time"].get<std::string>(), &t, &error)) continue;
    sent.emplace(j["reminder"].get<std::string>(), t);
  }
  return sent;
}

// Waits until the sink holds `want` lines, reading only what was appended since the
// last look (the file grows to tens of MB; rereading it would compete with the service).
bool WaitForLines(const std::string& path, size_t want) {
  const absl::Time deadline = absl::Now() + absl::GetFlag(FLAGS_wait);
  std::ifstream in(path, std::ios::binary);
  size_t lines = 0;
  char buffer[1 << 16];
  while (true) {
    while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
      lines += static_cast<size_t>(std::count(buffer, buffer + in.gcount(), '\n'));
    }
    if (lines >= want) return true;
    if (absl::Now() > deadline) {
      std::fprintf(stderr, "notification_load: the sink holds %zu of %zu lines after --wait\n", lines, want);
      return false;
    }
    in.clear();  // at end of file: clear eof and read on from where it stopped
    absl::SleepFor(absl::Milliseconds(20));
  }
}

double Percentile(std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const size_t index = std::min(sorted.size() - 1, static_cast<size_t>(q * static_cast<double>(sorted.size())));
  return sorted[index];
}

int Burst(const Client& client, const std::string& run, const std::string& sink) {
  const int count = absl::GetFlag(FLAGS_count);
  const absl::Time start = absl::Now();
  // Whole microseconds, as stored.
  const absl::Time due = absl::FromUnixMicros(absl::ToUnixMicros(start + absl::GetFlag(FLAGS_lead)));
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < absl::GetFlag(FLAGS_threads); ++t) {
    threads.emplace_back([&] {
      for (int i = next.fetch_add(1); i < count && !failed.load(); i = next.fetch_add(1)) {
        if (!Schedule(client, run, i, due).has_value()) failed.store(true);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  if (failed.load()) return 1;
  const absl::Time scheduled = absl::Now();
  if (scheduled >= due) {
    std::fprintf(stderr, "notification_load: scheduling took %.1f s, past the send_time: raise --lead\n",
                 absl::ToDoubleSeconds(scheduled - start));
    return 1;
  }
  absl::SleepFor(due - absl::Now());
  if (!WaitForLines(sink, static_cast<size_t>(count))) return 1;
  const std::map<std::string, absl::Time> sent = ReadSink(sink);
  absl::Time first = absl::InfiniteFuture(), last = absl::InfinitePast();
  for (const auto& [name, t] : sent) {
    first = std::min(first, t);
    last = std::max(last, t);
  }
  const double seconds = absl::ToDoubleSeconds(last - due);
  std::printf(
      "{\"mode\":\"burst\",\"load\":\"staff_alert\",\"reminders\":%d,\"sink_lines\":%zu,\"schedule_seconds\":%.3f,"
      "\"schedule_per_second\":%.0f,\"schedule_aborted_retries\":%lld,\"first_send_after_due_seconds\":%.3f,\"dispatch_seconds\":%.3f,"
      "\"reminders_per_second\":%.0f}\n",
      count, sent.size(), absl::ToDoubleSeconds(scheduled - start),
      count / absl::ToDoubleSeconds(scheduled - start), static_cast<long long>(aborted_retries.load()),
      absl::ToDoubleSeconds(first - due), seconds, count / seconds);
  return sent.size() == static_cast<size_t>(count) ? 0 : 1;
}

int Steady(const Client& client, const std::string& run, const std::string& sink) {
  const double rate = absl::GetFlag(FLAGS_rate);
  const int count = static_cast<int>(rate * absl::ToDoubleSeconds(absl::GetFlag(FLAGS_duration)));
  const absl::Duration offset = absl::GetFlag(FLAGS_offset);
  std::vector<absl::Time> due(static_cast<size_t>(count));
  std::vector<std::string> names(static_cast<size_t>(count));
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  std::atomic<int64_t> behind{0};  // calls that started more than 10 ms after their slot
  const absl::Time start = absl::Now() + absl::Milliseconds(100);
  std::vector<std::thread> threads;
  for (int t = 0; t < absl::GetFlag(FLAGS_threads); ++t) {
    threads.emplace_back([&] {
      for (int i = next.fetch_add(1); i < count && !failed.load(); i = next.fetch_add(1)) {
        const absl::Time slot = start + absl::Seconds(i / rate);
        const absl::Time now = absl::Now();
        if (now < slot) absl::SleepFor(slot - now);
        if (absl::Now() - slot > absl::Milliseconds(10)) behind.fetch_add(1);
        const absl::Time when = absl::FromUnixMicros(absl::ToUnixMicros(absl::Now() + offset));
        std::optional<std::string> name = Schedule(client, run, i, when);
        if (!name.has_value()) {
          failed.store(true);
          continue;
        }
        due[static_cast<size_t>(i)] = when;
        names[static_cast<size_t>(i)] = *std::move(name);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  if (failed.load()) return 1;
  const absl::Duration took = absl::Now() - start;
  if (!WaitForLines(sink, static_cast<size_t>(count))) return 1;
  const std::map<std::string, absl::Time> sent = ReadSink(sink);
  std::vector<double> lateness_ms;
  lateness_ms.reserve(due.size());
  for (size_t i = 0; i < due.size(); ++i) {
    auto it = sent.find(names[i]);
    if (it == sent.end()) continue;
    lateness_ms.push_back(absl::ToDoubleMilliseconds(it->second - due[i]));
  }
  std::sort(lateness_ms.begin(), lateness_ms.end());
  std::printf(
      "{\"mode\":\"steady\",\"load\":\"staff_alert\",\"reminders\":%d,\"sent\":%zu,\"rate\":%.0f,"
      "\"achieved_rate\":%.0f,\"calls_behind_schedule\":%lld,\"schedule_aborted_retries\":%lld,\"offset_ms\":%.0f,"
      "\"lateness_ms\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f,\"min\":%.1f}}\n",
      count, lateness_ms.size(), rate, count / absl::ToDoubleSeconds(took), static_cast<long long>(behind.load()),
      static_cast<long long>(aborted_retries.load()),
      absl::ToDoubleMilliseconds(offset), Percentile(lateness_ms, 0.5), Percentile(lateness_ms, 0.9),
      Percentile(lateness_ms, 0.99), Percentile(lateness_ms, 0.999), lateness_ms.empty() ? 0 : lateness_ms.back(),
      lateness_ms.empty() ? 0 : lateness_ms.front());
  return lateness_ms.size() == static_cast<size_t>(count) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Schedules staff alerts on the notification service and times them through its file sink.");
  absl::ParseCommandLine(argc, argv);
  const std::string target = absl::GetFlag(FLAGS_target);
  const std::string sink = absl::GetFlag(FLAGS_sink_path);
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (target.empty() || sink.empty() || absl::GetFlag(FLAGS_token_file).empty()) {
    std::fprintf(stderr, "notification_load: --target, --token_file and --sink_path are required\n");
    return 2;
  }
  if (mode != "burst" && mode != "steady") {
    std::fprintf(stderr, "notification_load: --mode must be burst or steady\n");
    return 2;
  }
  Client client;
  {
    std::ifstream in(absl::GetFlag(FLAGS_token_file));
    std::stringstream text;
    text << in.rdbuf();
    client.token = std::string(absl::StripAsciiWhitespace(text.str()));
  }
  // Four channels, each its own connection (distinct arguments), to spread the calls.
  for (int i = 0; i < 4; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("clinic.bench.channel", i);
    client.stubs.push_back(
        v1::NotificationService::NewStub(grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args)));
  }
  const std::string run = RunId();
  if (!Setup(client, run)) return 1;
  return mode == "burst" ? Burst(client, run, sink) : Steady(client, run, sink);
}
