#include "services/patient/patient_cache.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace clinic::patient {
namespace {

constexpr std::string_view kKeyPrefix = "patient:record:";
constexpr std::string_view kFormat = "P1";

// Stores the record ARGV[2] (and its consent ARGV[3] when not empty) at revision ARGV[1]:
// replaces an older revision, fills in what a same-revision entry or tombstone lacks,
// never touches a newer revision.
constexpr char kPutSource[] = R"lua(
local cur = redis.call('HGET', KEYS[1], 'r')
local rev = tonumber(ARGV[1])
if cur and tonumber(cur) > rev then return 0 end
if cur and tonumber(cur) == rev then
  local added = redis.call('HSETNX', KEYS[1], 'v', ARGV[2])
  if ARGV[3] ~= '' then added = added + redis.call('HSETNX', KEYS[1], 'c', ARGV[3]) end
  if added > 0 then return 1 end
  return 0
end
redis.call('DEL', KEYS[1])
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[1], 'r', ARGV[1], 'v', ARGV[2], 'c', ARGV[3])
else
  redis.call('HSET', KEYS[1], 'r', ARGV[1], 'v', ARGV[2])
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
)lua";

// Replaces the entry by a tombstone at revision ARGV[1] unless a newer revision is there.
constexpr char kInvalidateSource[] = R"lua(
local cur = redis.call('HGET', KEYS[1], 'r')
if cur and tonumber(cur) > tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'r', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
)lua";

// This Abseil's string_view is not std::string_view.
absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

void PutField(std::string_view field, std::string* out) {
  const uint32_t n = static_cast<uint32_t>(field.size());
  for (int shift = 0; shift < 32; shift += 8) out->push_back(static_cast<char>((n >> shift) & 0xff));
  out->append(field);
}

bool TakeField(std::string_view* in, std::string_view* field) {
  if (in->size() < 4) return false;
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n |= static_cast<uint32_t>(static_cast<unsigned char>((*in)[i])) << (8 * i);
  in->remove_prefix(4);
  if (in->size() < n) return false;
  *field = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

}  // namespace

std::string EncodeCachedRecord(const store::PatientRecord& record) {
  std::string out(kFormat);
  PutField(absl::StrCat(record.version), &out);
  PutField(absl::StrCat(record.revision), &out);
  PutField(record.sharing.home_clinic, &out);
  PutField(absl::StrCat(static_cast<int>(record.sharing.scope)), &out);
  PutField(record.patient.SerializeAsString(), &out);
  for (const std::string& clinic : record.sharing.shared_clinics) PutField(clinic, &out);
  return out;
}

std::optional<store::PatientRecord> DecodeCachedRecord(std::string_view patient_id, std::string_view bytes) {
  if (bytes.substr(0, kFormat.size()) != kFormat) return std::nullopt;
  bytes.remove_prefix(kFormat.size());
  std::string_view version, revision, home, scope, patient;
  if (!TakeField(&bytes, &version) || !TakeField(&bytes, &revision) || !TakeField(&bytes, &home) ||
      !TakeField(&bytes, &scope) || !TakeField(&bytes, &patient)) {
    return std::nullopt;
  }
  store::PatientRecord record;
  record.patient_id = std::string(patient_id);
  int scope_value = 0;
  if (!absl::SimpleAtoi(Absl(version), &record.version) || !absl::SimpleAtoi(Absl(revision), &record.revision) ||
      !absl::SimpleAtoi(Absl(scope), &scope_value) || !v1::SharingScope_IsValid(scope_value) ||
      !record.patient.ParseFromArray(patient.data(), static_cast<int>(patient.size()))) {
    return std::nullopt;
  }
  // A value under another record's key (never written so) is not this record.
  if (record.patient.name() != store::PatientName(patient_id)) return std::nullopt;
  record.sharing.home_clinic = std::string(home);
  record.sharing.scope = static_cast<v1::SharingScope>(scope_value);
  while (!bytes.empty()) {
    std::string_view clinic;
    if (!TakeField(&bytes, &clinic)) return std::nullopt;
    record.sharing.shared_clinics.emplace_back(clinic);
  }
  return record;
}

PatientCache::PatientCache(redis::Client& client, const Clock& clock, metrics::Registry& registry,
                           PatientCacheOptions options)
    : client_(client),
      clock_(clock),
      options_(std::move(options)),
      put_script_(kPutSource),
      invalidate_script_(kInvalidateSource),
      lookups_(registry.AddCounter("patient_cache_lookups_total",
                                   "Patient record cache lookups by result: hit, miss, error (Redis failed: "
                                   "read from the database), bypassed (breaker open or invalidations pending).",
                                   {"result"})),
      errors_(registry.AddCounter("patient_cache_errors_total",
                                  "Failed Redis calls of the patient cache by operation: get, put, invalidate.",
                                  {"op"})),
      hits_(lookups_.WithLabels({"hit"})),
      misses_(lookups_.WithLabels({"miss"})),
      lookup_errors_(lookups_.WithLabels({"error"})),
      bypassed_(lookups_.WithLabels({"bypassed"})),
      get_errors_(errors_.WithLabels({"get"})),
      put_errors_(errors_.WithLabels({"put"})),
      invalidate_errors_(errors_.WithLabels({"invalidate"})),
      breaker_gauge_(registry
                         .AddGauge("patient_cache_breaker_open",
                                   "1 while the patient cache's circuit breaker is open (Redis not called).")
                         .WithLabels({})),
      breaker_opens_(
          registry.AddCounter("patient_cache_breaker_opens_total", "Times the patient cache's breaker opened.")
              .WithLabels({})),
      pending_gauge_(registry
                         .AddGauge("patient_cache_pending_invalidations",
                                   "Invalidations of the patient cache not yet delivered to Redis.")
                         .WithLabels({})) {}

std::string PatientCache::Key(std::string_view patient_id) const {
  return absl::StrCat(Absl(kKeyPrefix), Absl(patient_id));
}

absl::Duration PatientCache::Budget(absl::Time deadline) const {
  absl::Duration budget = options_.timeout;
  // The RPC's deadline is a real instant (from gRPC), so it is compared with real time.
  if (deadline != absl::InfiniteFuture()) budget = std::min(budget, (deadline - absl::Now()) / 10);
  return budget;
}

PatientCache::Gate PatientCache::Enter() {
  sync::MutexLock lock(&mu_);
  if (!open_) return Gate::kCall;
  if (probing_ || clock_.Now() < open_until_) return Gate::kSkip;
  probing_ = true;
  return Gate::kProbe;
}

void PatientCache::Succeeded(Gate gate) {
  sync::MutexLock lock(&mu_);
  if (gate == Gate::kProbe) probing_ = false;
  consecutive_failures_ = 0;
  if (open_) {
    open_ = false;
    breaker_gauge_.Set(0);
  }
}

void PatientCache::Failed(Gate gate) {
  sync::MutexLock lock(&mu_);
  if (gate == Gate::kProbe) {
    probing_ = false;
    open_until_ = clock_.Now() + options_.breaker_cooldown;
    return;
  }
  ++consecutive_failures_;
  if (!open_ && consecutive_failures_ >= options_.breaker_failures) {
    open_ = true;
    open_until_ = clock_.Now() + options_.breaker_cooldown;
    breaker_opens_.Increment();
    breaker_gauge_.Set(1);
  }
}

bool PatientCache::breaker_open() const {
  sync::MutexLock lock(&mu_);
  return open_;
}

void PatientCache::KeepPending(std::string_view patient_id, int64_t revision) {
  auto it = pending_.find(Absl(patient_id));
  if (it != pending_.end()) {
    it->second = std::max(it->second, revision);
  } else if (pending_.size() >= options_.max_pending_invalidations) {
    // Too many to remember: forget them all and serve no hits until every entry written
    // before now has expired.
    pending_.clear();
    no_hits_until_ = clock_.Now() + options_.ttl;
  } else {
    pending_.emplace(std::string(patient_id), revision);
  }
  pending_gauge_.Set(static_cast<double>(pending_.size()));
}

bool PatientCache::RunInvalidate(std::string_view patient_id, int64_t revision, absl::Time deadline) {
  const absl::Duration budget = Budget(deadline);
  if (budget <= absl::ZeroDuration()) return false;
  const Gate gate = Enter();
  if (gate == Gate::kSkip) return false;
  const std::string key = Key(patient_id);
  const std::string rev = absl::StrCat(revision);
  const std::string ttl_ms = absl::StrCat(absl::ToInt64Milliseconds(options_.ttl));
  const std::string_view keys[] = {key};
  const std::string_view args[] = {rev, ttl_ms};
  absl::StatusOr<redis::Reply> reply = client_.RunScript(invalidate_script_, keys, args, {budget});
  if (!reply.ok()) {
    invalidate_errors_.Increment();
    Failed(gate);
    return false;
  }
  Succeeded(gate);
  return true;
}

bool PatientCache::DrainPending(absl::Time deadline) {
  std::vector<std::pair<std::string, int64_t>> batch;
  {
    sync::MutexLock lock(&mu_);
    if (pending_.empty()) return true;
    if (draining_) return false;  // another call is delivering them
    draining_ = true;
    batch.assign(pending_.begin(), pending_.end());
  }
  bool delivered_all = true;
  for (const auto& [patient_id, revision] : batch) {
    if (!RunInvalidate(patient_id, revision, deadline)) {
      delivered_all = false;
      break;
    }
    sync::MutexLock lock(&mu_);
    auto it = pending_.find(patient_id);
    if (it != pending_.end() && it->second <= revision) pending_.erase(it);
    pending_gauge_.Set(static_cast<double>(pending_.size()));
  }
  sync::MutexLock lock(&mu_);
  draining_ = false;
  return delivered_all && pending_.empty();
}

std::optional<CachedRecord> PatientCache::Get(std::string_view patient_id, absl::Time deadline) {
  if (!DrainPending(deadline)) {
    bypassed_.Increment();
    return std::nullopt;
  }
  {
    sync::MutexLock lock(&mu_);
    if (clock_.Now() < no_hits_until_) {
      bypassed_.Increment();
      return std::nullopt;
    }
  }
  const absl::Duration budget = Budget(deadline);
  const Gate gate = budget > absl::ZeroDuration() ? Enter() : Gate::kSkip;
  if (gate == Gate::kSkip) {
    bypassed_.Increment();
    return std::nullopt;
  }
  const std::string key = Key(patient_id);
  const std::string_view command[] = {"HMGET", key, "v", "c"};
  absl::StatusOr<redis::Reply> reply = client_.Command(command, {budget});
  if (!reply.ok()) {
    get_errors_.Increment();
    lookup_errors_.Increment();
    Failed(gate);
    return std::nullopt;
  }
  Succeeded(gate);
  std::optional<store::PatientRecord> record;
  if (reply->is_array() && reply->size() == 2) {
    if (std::optional<std::string_view> bytes = (*reply)[0].AsString(); bytes.has_value()) {
      record = DecodeCachedRecord(patient_id, *bytes);
    }
  }
  if (!record.has_value()) {
    misses_.Increment();
    return std::nullopt;
  }
  CachedRecord cached{*std::move(record), std::nullopt};
  if (std::optional<std::string_view> bytes = (*reply)[1].AsString(); bytes.has_value()) {
    v1::Consent consent;
    if (consent.ParseFromArray(bytes->data(), static_cast<int>(bytes->size())) &&
        consent.name() == absl::StrCat(store::PatientName(patient_id), "/consent")) {
      cached.consent = std::move(consent);
    }
  }
  hits_.Increment();
  return cached;
}

bool PatientCache::Put(const store::PatientRecord& record, const v1::Consent* consent, absl::Time deadline) {
  if (!DrainPending(deadline)) return false;
  const absl::Duration budget = Budget(deadline);
  const Gate gate = budget > absl::ZeroDuration() ? Enter() : Gate::kSkip;
  if (gate == Gate::kSkip) return false;
  const std::string key = Key(record.patient_id);
  const std::string rev = absl::StrCat(record.revision);
  const std::string value = EncodeCachedRecord(record);
  const std::string consent_bytes = consent != nullptr ? consent->SerializeAsString() : std::string();
  const std::string ttl_ms = absl::StrCat(absl::ToInt64Milliseconds(options_.ttl));
  const std::string_view keys[] = {key};
  const std::string_view args[] = {rev, value, consent_bytes, ttl_ms};
  absl::StatusOr<redis::Reply> reply = client_.RunScript(put_script_, keys, args, {budget});
  if (!reply.ok()) {
    put_errors_.Increment();
    Failed(gate);
    return false;
  }
  Succeeded(gate);
  return reply->AsInteger() == 1;
}

void PatientCache::Invalidate(std::string_view patient_id, int64_t revision, absl::Time deadline) {
  if (RunInvalidate(patient_id, revision, deadline)) return;
  sync::MutexLock lock(&mu_);
  KeepPending(patient_id, revision);
}

}  // namespace clinic::patient
