#include "services/notification/queue/reminder_queue.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace clinic::notification::queue {
namespace {

// Every script gets the same KEYS, in this order, so that each declares every key it
// may touch (required by Redis Cluster):
//   KEYS[1] due, KEYS[2] inflight, KEYS[3] dead, KEYS[4] attempts, KEYS[5] claims,
//   KEYS[6] finished.

// ARGV: id, due_ms.
constexpr char kEnqueueLua[] = R"lua(
local id = ARGV[1]
redis.call('ZREM', KEYS[6], id)
redis.call('ZREM', KEYS[2], id)
redis.call('ZREM', KEYS[3], id)
redis.call('HDEL', KEYS[4], id)
redis.call('HDEL', KEYS[5], id)
redis.call('ZADD', KEYS[1], ARGV[2], id)
return 1
)lua";

// ARGV: id, now_ms.
constexpr char kRemoveLua[] = R"lua(
local id = ARGV[1]
local n = redis.call('ZREM', KEYS[1], id) + redis.call('ZREM', KEYS[2], id) + redis.call('ZREM', KEYS[3], id)
redis.call('HDEL', KEYS[4], id)
redis.call('HDEL', KEYS[5], id)
redis.call('ZADD', KEYS[6], ARGV[2], id)
return n
)lua";

// ARGV: now_ms, max, visible_until_ms, token_prefix.
// Returns a flat array: id, attempt, token, due score, for each claimed id.
constexpr char kClaimLua[] = R"lua(
local items = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
local n = 0
for i = 1, #items, 2 do
  local id = items[i]
  n = n + 1
  local token = ARGV[4] .. ':' .. n
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZADD', KEYS[2], ARGV[3], id)
  local attempt = redis.call('HINCRBY', KEYS[4], id, 1)
  redis.call('HSET', KEYS[5], id, token)
  out[#out + 1] = id
  out[#out + 1] = attempt
  out[#out + 1] = token
  out[#out + 1] = items[i + 1]
end
return out
)lua";

// ARGV: id, token, now_ms. A claim that was reaped but not claimed again is still the
// latest claim: the id then sits in the due set, hence the ZREM there too.
constexpr char kAckLua[] = R"lua(
local id = ARGV[1]
if redis.call('HGET', KEYS[5], id) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[1], id)
redis.call('ZREM', KEYS[2], id)
redis.call('HDEL', KEYS[4], id)
redis.call('HDEL', KEYS[5], id)
redis.call('ZADD', KEYS[6], ARGV[3], id)
return 1
)lua";

// ARGV: now_ms, then pairs id, token. Ack of several claims; returns 1 or 0 per pair.
constexpr char kAckAllLua[] = R"lua(
local out = {}
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  if redis.call('HGET', KEYS[5], id) == ARGV[i + 1] then
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZREM', KEYS[2], id)
    redis.call('HDEL', KEYS[4], id)
    redis.call('HDEL', KEYS[5], id)
    redis.call('ZADD', KEYS[6], ARGV[1], id)
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
)lua";

// ARGV: id, token, next_due_ms, count_attempt ('1' or '0').
constexpr char kRetryLua[] = R"lua(
local id = ARGV[1]
if redis.call('HGET', KEYS[5], id) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[2], id)
redis.call('ZADD', KEYS[1], ARGV[3], id)
redis.call('HDEL', KEYS[5], id)
if ARGV[4] == '0' and redis.call('HINCRBY', KEYS[4], id, -1) <= 0 then
  redis.call('HDEL', KEYS[4], id)
end
return 1
)lua";

// ARGV: id, token, now_ms. The attempt count stays, for operators.
constexpr char kDeadLetterLua[] = R"lua(
local id = ARGV[1]
if redis.call('HGET', KEYS[5], id) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[1], id)
redis.call('ZREM', KEYS[2], id)
redis.call('ZADD', KEYS[3], ARGV[3], id)
redis.call('HDEL', KEYS[5], id)
return 1
)lua";

// ARGV: triples id, token, due_ms. Returns how many claims were still held.
constexpr char kReleaseLua[] = R"lua(
local n = 0
for i = 1, #ARGV, 3 do
  local id = ARGV[i]
  if redis.call('HGET', KEYS[5], id) == ARGV[i + 1] then
    redis.call('ZREM', KEYS[2], id)
    redis.call('ZADD', KEYS[1], ARGV[i + 2], id)
    redis.call('HDEL', KEYS[5], id)
    if redis.call('HINCRBY', KEYS[4], id, -1) <= 0 then redis.call('HDEL', KEYS[4], id) end
    n = n + 1
  end
end
return n
)lua";

// ARGV: now_ms, max, forget_finished_before_ms. The claim token stays: the late
// worker's Ack still counts until someone claims the id again. Also forgets old
// finished marks.
constexpr char kReapLua[] = R"lua(
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', '(' .. ARGV[3])
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZADD', KEYS[1], ARGV[1], id)
end
return #ids
)lua";

// ARGV: listed_at_ms, then pairs id, due_ms. Returns how many were added. An id
// finished (acked or removed) at or after listed_at is skipped: the database was read
// before it finished.
constexpr char kEnsureQueuedLua[] = R"lua(
local n = 0
local listed_at = ARGV[1] == '+inf' and math.huge or tonumber(ARGV[1])
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  local finished = redis.call('ZSCORE', KEYS[6], id)
  if not redis.call('ZSCORE', KEYS[1], id) and not redis.call('ZSCORE', KEYS[2], id)
      and not redis.call('ZSCORE', KEYS[3], id)
      and not (finished and tonumber(finished) >= listed_at) then
    redis.call('ZADD', KEYS[1], ARGV[i + 1], id)
    n = n + 1
  end
end
return n
)lua";

// Reconcile sends this many ids per script run: big enough to make few round trips,
// small enough not to hold Redis for long.
constexpr size_t kEnsureQueuedBatch = 500;

// Debian's Abseil has its own string_view type.
absl::string_view AbslView(std::string_view text) { return absl::string_view(text.data(), text.size()); }

// A score: Unix milliseconds; the infinities as Redis spells them.
std::string Millis(absl::Time t) {
  if (t == absl::InfiniteFuture()) return "+inf";
  if (t == absl::InfinitePast()) return "-inf";
  return absl::StrCat(absl::ToUnixMillis(t));
}

// The score of a due time: Unix milliseconds rounded up, so that a claim (which takes
// every score <= now in milliseconds) never hands out a reminder before its due time.
std::string DueMillis(absl::Time t) {
  if (t == absl::InfiniteFuture() || t == absl::InfinitePast()) return Millis(t);
  int64_t ms = absl::ToUnixMillis(t);  // rounds down
  if (absl::FromUnixMillis(ms) < t) ++ms;
  return absl::StrCat(ms);
}

absl::Status Malformed(std::string_view what) {
  return absl::InternalError(absl::StrCat("redis: unexpected reply to ", AbslView(what)));
}

absl::StatusOr<int64_t> IntegerReply(const absl::StatusOr<redis::Reply>& reply, std::string_view what) {
  if (!reply.ok()) return reply.status();
  std::optional<int64_t> value = reply->AsInteger();
  if (!value.has_value()) return Malformed(what);
  return *value;
}

absl::StatusOr<absl::Time> ScoreTime(const redis::Reply& reply) {
  std::optional<std::string_view> text = reply.AsString();
  double ms = 0;
  if (!text.has_value() || !absl::SimpleAtod(AbslView(*text), &ms) || !std::isfinite(ms)) return Malformed("a score");
  return absl::FromUnixMillis(static_cast<int64_t>(std::llround(ms)));
}

}  // namespace

ReminderQueue::ReminderQueue(redis::Client& client, std::string key_prefix)
    : client_(client),
      prefix_(std::move(key_prefix)),
      due_key_(prefix_ + ":due"),
      inflight_key_(prefix_ + ":inflight"),
      dead_key_(prefix_ + ":dead"),
      attempts_key_(prefix_ + ":attempts"),
      claims_key_(prefix_ + ":claims"),
      finished_key_(prefix_ + ":finished"),
      marker_key_(prefix_ + ":marker"),
      keys_{due_key_, inflight_key_, dead_key_, attempts_key_, claims_key_, finished_key_},
      enqueue_(kEnqueueLua),
      remove_(kRemoveLua),
      claim_(kClaimLua),
      ack_(kAckLua),
      ack_all_(kAckAllLua),
      retry_(kRetryLua),
      dead_letter_(kDeadLetterLua),
      release_(kReleaseLua),
      reap_(kReapLua),
      ensure_queued_(kEnsureQueuedLua) {}

absl::Status ReminderQueue::Enqueue(std::string_view reminder_id, absl::Time due) {
  const std::string due_ms = DueMillis(due);
  return IntegerReply(client_.RunScript(enqueue_, keys_, {reminder_id, due_ms}), "enqueue").status();
}

absl::Status ReminderQueue::Remove(std::string_view reminder_id, absl::Time now) {
  const std::string now_ms = Millis(now);
  return IntegerReply(client_.RunScript(remove_, keys_, {reminder_id, now_ms}), "remove").status();
}

absl::StatusOr<std::vector<Claim>> ReminderQueue::ClaimDue(absl::Time now, int max,
                                                           absl::Duration visibility) {
  std::vector<Claim> claims;
  if (max <= 0) return claims;
  // 128 random bits make a token that no other claim, before or after a Redis restart,
  // will carry. absl::BitGen is not thread-safe, hence one per thread.
  thread_local absl::BitGen gen;
  const std::string token_prefix =
      absl::StrFormat("%016x%016x", absl::Uniform<uint64_t>(gen), absl::Uniform<uint64_t>(gen));
  const absl::Time visible_until = now + visibility;
  const std::string now_ms = Millis(now);
  const std::string max_text = absl::StrCat(max);
  const std::string until_ms = Millis(visible_until);
  absl::StatusOr<redis::Reply> reply =
      client_.RunScript(claim_, keys_, {now_ms, max_text, until_ms, token_prefix});
  if (!reply.ok()) return reply.status();
  if (!reply->is_array() || reply->size() % 4 != 0) return Malformed("claim");
  claims.reserve(reply->size() / 4);
  for (size_t i = 0; i < reply->size(); i += 4) {
    const redis::Reply& id = (*reply)[i];
    std::optional<int64_t> attempt = (*reply)[i + 1].AsInteger();
    const redis::Reply& token = (*reply)[i + 2];
    absl::StatusOr<absl::Time> due = ScoreTime((*reply)[i + 3]);
    if (!id.is_string() || !attempt.has_value() || !token.is_string() || !due.ok()) {
      return Malformed("claim");
    }
    claims.push_back(Claim{id.str(), static_cast<int>(*attempt), token.str(), *due, visible_until});
  }
  return claims;
}

absl::StatusOr<bool> ReminderQueue::Finish(const redis::Script& script, const Claim& claim,
                                           std::string_view arg3, std::string_view arg4) {
  std::vector<std::string_view> args = {claim.id, claim.token};
  if (!arg3.empty()) args.push_back(arg3);
  if (!arg4.empty()) args.push_back(arg4);
  absl::StatusOr<int64_t> done = IntegerReply(client_.RunScript(script, keys_, args), "a claim update");
  if (!done.ok()) return done.status();
  return *done == 1;
}

absl::StatusOr<bool> ReminderQueue::Ack(const Claim& claim, absl::Time now) {
  return Finish(ack_, claim, Millis(now), "");
}

absl::StatusOr<std::vector<bool>> ReminderQueue::Ack(absl::Span<const Claim> claims, absl::Time now) {
  std::vector<bool> held;
  if (claims.empty()) return held;
  const std::string now_ms = Millis(now);
  std::vector<std::string_view> args;
  args.reserve(1 + claims.size() * 2);
  args.push_back(now_ms);
  for (const Claim& claim : claims) {
    args.push_back(claim.id);
    args.push_back(claim.token);
  }
  absl::StatusOr<redis::Reply> reply = client_.RunScript(ack_all_, keys_, args);
  if (!reply.ok()) return reply.status();
  if (!reply->is_array() || reply->size() != claims.size()) return Malformed("ack");
  held.reserve(claims.size());
  for (const redis::Reply& one : reply->elements()) {
    std::optional<int64_t> value = one.AsInteger();
    if (!value.has_value()) return Malformed("ack");
    held.push_back(*value == 1);
  }
  return held;
}

absl::StatusOr<bool> ReminderQueue::Retry(const Claim& claim, absl::Time next_due, bool count_attempt) {
  return Finish(retry_, claim, DueMillis(next_due), count_attempt ? "1" : "0");
}

absl::StatusOr<bool> ReminderQueue::DeadLetter(const Claim& claim, absl::Time now) {
  return Finish(dead_letter_, claim, Millis(now), "");
}

absl::StatusOr<int64_t> ReminderQueue::Release(absl::Span<const Claim> claims, absl::Time now) {
  if (claims.empty()) return 0;
  std::vector<std::string> dues;
  dues.reserve(claims.size());
  for (const Claim& claim : claims) dues.push_back(Millis(std::min(claim.due, now)));
  std::vector<std::string_view> args;
  args.reserve(claims.size() * 3);
  for (size_t i = 0; i < claims.size(); ++i) {
    args.push_back(claims[i].id);
    args.push_back(claims[i].token);
    args.push_back(dues[i]);
  }
  return IntegerReply(client_.RunScript(release_, keys_, args), "release");
}

absl::StatusOr<int64_t> ReminderQueue::Reap(absl::Time now, int max) {
  const std::string now_ms = Millis(now);
  const std::string max_text = absl::StrCat(max);
  const std::string forget_ms = Millis(now - kFinishedRetention);
  return IntegerReply(client_.RunScript(reap_, keys_, {now_ms, max_text, forget_ms}), "reap");
}

absl::StatusOr<bool> ReminderQueue::EnsureQueued(std::string_view reminder_id, absl::Time due,
                                                 absl::Time listed_at) {
  const std::string listed_ms = Millis(listed_at);
  const std::string due_ms = DueMillis(due);
  absl::StatusOr<int64_t> added = IntegerReply(
      client_.RunScript(ensure_queued_, keys_, {listed_ms, reminder_id, due_ms}), "ensure queued");
  if (!added.ok()) return added.status();
  return *added == 1;
}

absl::StatusOr<int64_t> ReminderQueue::EnsureQueued(absl::Span<const ScheduledReminder> reminders,
                                                    absl::Time listed_at) {
  const std::string listed_ms = Millis(listed_at);
  int64_t added = 0;
  std::vector<std::string> dues;
  std::vector<std::string_view> args;
  for (size_t start = 0; start < reminders.size(); start += kEnsureQueuedBatch) {
    const absl::Span<const ScheduledReminder> batch = reminders.subspan(start, kEnsureQueuedBatch);
    dues.clear();
    args.clear();
    args.push_back(listed_ms);
    for (const ScheduledReminder& reminder : batch) dues.push_back(DueMillis(reminder.due));
    for (size_t i = 0; i < batch.size(); ++i) {
      args.push_back(batch[i].id);
      args.push_back(dues[i]);
    }
    absl::StatusOr<int64_t> n = IntegerReply(client_.RunScript(ensure_queued_, keys_, args), "ensure queued");
    if (!n.ok()) return n.status();
    added += *n;
  }
  return added;
}

absl::StatusOr<QueueCounts> ReminderQueue::Counts(absl::Time now) {
  const std::string now_ms = Millis(now);
  redis::Pipeline pipeline;
  pipeline.Add({"ZCARD", due_key_});
  pipeline.Add({"ZCOUNT", due_key_, "-inf", now_ms});
  pipeline.Add({"ZCARD", inflight_key_});
  pipeline.Add({"ZCARD", dead_key_});
  absl::StatusOr<std::vector<absl::StatusOr<redis::Reply>>> replies = client_.Execute(pipeline);
  if (!replies.ok()) return replies.status();
  if (replies->size() != 4) return Malformed("counts");
  int64_t values[4];
  for (size_t i = 0; i < 4; ++i) {
    absl::StatusOr<int64_t> value = IntegerReply((*replies)[i], "counts");
    if (!value.ok()) return value.status();
    values[i] = *value;
  }
  return QueueCounts{values[0], values[1], values[2], values[3]};
}

absl::StatusOr<std::vector<std::string>> ReminderQueue::DeadIds(int max) {
  std::vector<std::string> ids;
  if (max <= 0) return ids;
  const std::string last = absl::StrCat(max - 1);
  absl::StatusOr<redis::Reply> reply = client_.Command({"ZRANGE", dead_key_, "0", last});
  if (!reply.ok()) return reply.status();
  if (!reply->is_array()) return Malformed("dead ids");
  for (const redis::Reply& id : reply->elements()) {
    if (!id.is_string()) return Malformed("dead ids");
    ids.push_back(id.str());
  }
  return ids;
}

absl::Status ReminderQueue::MarkReconciled() {
  return client_.Command({"SET", marker_key_, "1"}).status();
}

absl::StatusOr<bool> ReminderQueue::NeedsReconcile() {
  absl::StatusOr<int64_t> exists = IntegerReply(client_.Command({"EXISTS", marker_key_}), "exists");
  if (!exists.ok()) return exists.status();
  return *exists == 0;
}

absl::StatusOr<int> ReminderQueue::Attempts(std::string_view reminder_id) {
  absl::StatusOr<redis::Reply> reply = client_.Command({"HGET", attempts_key_, reminder_id});
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) return 0;
  std::optional<std::string_view> text = reply->AsString();
  int value = 0;
  if (!text.has_value() || !absl::SimpleAtoi(AbslView(*text), &value)) return Malformed("attempts");
  return value;
}

}  // namespace clinic::notification::queue
