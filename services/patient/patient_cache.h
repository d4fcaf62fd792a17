#pragma once

// The read-through Redis cache of patient records in front of GetPatient and
// LookupContact. It saves the record's read only: callers still authorise the caller
// against the (cached) sharing facts and write the access log (through the
// AccessLogWriter, audit.h) before they answer.
//
// Each record is one Redis hash "patient:record:{id}" with fields r (the record's
// revision, store::PatientRecord::revision), v (the encoded record) and, once a
// LookupContact has filled it, c (the record's v1::Consent, contact entries included;
// the revision covers consent changes too). Two Lua scripts
// keep it from going backwards:
//   Put         stores a record read from the database when the key holds no revision
//               or an older one, and fills in the fields a same-revision entry (or
//               tombstone) lacks; it never touches a newer revision;
//   Invalidate  after the commit of a change, replaces the entry by a tombstone that
//               holds the committed revision (unless a newer revision is there already),
// so a reader that loaded the record before a change and puts it after the writer's
// invalidation is refused: once a change's call has returned, no reader sees an older
// revision from the cache. Entries and tombstones expire after `ttl`, which backstops a
// lost invalidation.
//
// Fail-open: every Redis call gets min(`timeout`, a tenth of what is left of the RPC's
// deadline); on any failure the caller reads the database as on a miss. A circuit
// breaker stops calling Redis after `breaker_failures` consecutive failures and lets one
// probe through after `breaker_cooldown`. Invalidations that could not be delivered
// (failure, or breaker open) are kept (at most `max_pending_invalidations`; beyond that
// the cache serves no hits for one `ttl`) and delivered before the cache serves another
// hit, so a Redis that was unreachable but kept its data cannot answer a record changed
// meanwhile by this process. (Another replica's undelivered invalidations are bounded
// by the TTL only.)
//
// Metrics (no patient ids in labels): patient_cache_lookups_total{result=hit|miss|
// error|bypassed}, patient_cache_errors_total{op=get|put|invalidate},
// patient_cache_breaker_open (0/1), patient_cache_breaker_opens_total,
// patient_cache_pending_invalidations. Nothing personal is logged.
//
// Thread-safe. `client`, `clock` and `registry` must outlive the cache.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"
#include "common/metrics/metrics.h"
#include "common/redis/client.h"
#include "common/redis/script.h"
#include "common/sync/mutex.h"
#include "services/patient/patient_store.h"

namespace clinic::patient {

struct PatientCacheOptions {
  // Lifetime of an entry or a tombstone.
  absl::Duration ttl = absl::Minutes(10);
  // Upper bound of one Redis call (a tenth of the RPC's remaining deadline when smaller).
  absl::Duration timeout = absl::Milliseconds(50);
  // Consecutive failures that open the breaker, and how long it stays open.
  int breaker_failures = 5;
  absl::Duration breaker_cooldown = absl::Seconds(5);
  size_t max_pending_invalidations = 10000;
};

// The record as cached, and the bytes back (nullopt for bytes that are not a record of
// this format). Exposed for tests.
std::string EncodeCachedRecord(const store::PatientRecord& record);
std::optional<store::PatientRecord> DecodeCachedRecord(std::string_view patient_id, std::string_view bytes);

// A cache hit.
struct CachedRecord {
  store::PatientRecord record;
  // The consent, when the entry holds it.
  std::optional<v1::Consent> consent;
};

class PatientCache {
 public:
  PatientCache(redis::Client& client, const Clock& clock, metrics::Registry& registry,
               PatientCacheOptions options = {});
  PatientCache(const PatientCache&) = delete;
  PatientCache& operator=(const PatientCache&) = delete;

  // The cached record `patient_id`, or nullopt (a miss, Redis failing, the breaker open,
  // or invalidations pending). `deadline` is the RPC's.
  std::optional<CachedRecord> Get(std::string_view patient_id, absl::Time deadline);

  // Stores `record` and, unless null, its `consent` (read in the same transaction, of
  // committed data) unless the cache holds a newer revision. True when anything was
  // stored.
  bool Put(const store::PatientRecord& record, const v1::Consent* consent, absl::Time deadline);

  // After the commit of a change that left `patient_id` at `revision`: drops the entry,
  // leaving a tombstone at `revision`. Never fails: an undelivered invalidation is kept
  // and retried (see the top of this file).
  void Invalidate(std::string_view patient_id, int64_t revision, absl::Time deadline);

  // Whether the breaker is open (Redis is not being called).
  bool breaker_open() const;

 private:
  enum class Gate { kCall, kProbe, kSkip };

  std::string Key(std::string_view patient_id) const;
  absl::Duration Budget(absl::Time deadline) const;
  // Whether to call Redis now (kProbe: the half-open breaker's one probe).
  Gate Enter();
  void Succeeded(Gate gate);
  void Failed(Gate gate);
  // Delivers pending invalidations; true when none is left (the cache may serve hits).
  bool DrainPending(absl::Time deadline);
  void KeepPending(std::string_view patient_id, int64_t revision) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool RunInvalidate(std::string_view patient_id, int64_t revision, absl::Time deadline);

  redis::Client& client_;
  const Clock& clock_;
  const PatientCacheOptions options_;
  const redis::Script put_script_;
  const redis::Script invalidate_script_;

  metrics::Family<metrics::Counter>& lookups_;
  metrics::Family<metrics::Counter>& errors_;
  metrics::Counter& hits_;
  metrics::Counter& misses_;
  metrics::Counter& lookup_errors_;
  metrics::Counter& bypassed_;
  metrics::Counter& get_errors_;
  metrics::Counter& put_errors_;
  metrics::Counter& invalidate_errors_;
  metrics::Gauge& breaker_gauge_;
  metrics::Counter& breaker_opens_;
  metrics::Gauge& pending_gauge_;

  mutable sync::Mutex mu_;
  int consecutive_failures_ ABSL_GUARDED_BY(mu_) = 0;
  bool open_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time open_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool probing_ ABSL_GUARDED_BY(mu_) = false;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<std::string, int64_t> pending_ ABSL_GUARDED_BY(mu_);
  // After pending_ overflowed: no hits before this time (every older entry has expired).
  absl::Time no_hits_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace clinic::patient
