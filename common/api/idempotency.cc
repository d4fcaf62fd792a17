#include "common/api/idempotency.h"

#include <optional>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace clinic::api {
namespace {

// A stored error: its message and payloads, length-prefixed (varints) so that any bytes
// round-trip.
std::string EncodeError(const absl::Status& status) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  const auto put = [&coded](absl::string_view s) {
    coded.WriteVarint64(s.size());
    coded.WriteRaw(s.data(), static_cast<int>(s.size()));
  };
  put(status.message());
  status.ForEachPayload([&put](absl::string_view type_url, const absl::Cord& payload) {
    put(type_url);
    put(std::string(payload));
  });
  return out;
}

absl::Status DecodeError(absl::StatusCode code, const std::string& bytes) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  const auto get = [&in](std::string* s) {
    uint64_t size = 0;
    return in.ReadVarint64(&size) && in.ReadString(s, static_cast<int>(size));
  };
  std::string message;
  if (!get(&message)) return absl::InternalError("stored outcome of the request_id is corrupt");
  absl::Status status(code, message);
  std::string type_url, payload;
  while (get(&type_url) && get(&payload)) status.SetPayload(type_url, absl::Cord(payload));
  return status;
}

std::string HashText(uint64_t hash) { return absl::StrCat(absl::Hex(hash, absl::kZeroPad16)); }

// A row whose operation is still in progress (only ever visible inside its own
// transaction: it commits with its outcome or rolls back).
constexpr int64_t kPendingCode = -1;

// The outcome stored for `key` (the response is parsed into *response).
absl::Status StoredOutcome(sql::Transaction& tx, const RequestKey& key, google::protobuf::Message* response) {
  absl::StatusOr<sql::ResultSet> rows =
      tx.Query("SELECT method, request_hash, code, outcome FROM idempotency_keys WHERE request_id = $1",
               {key.request_id});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::AbortedError("concurrent request with the same request_id; retry");
  const sql::Row& row = (*rows)[0];
  if (row.GetText(0) != key.method || row.GetText(1) != HashText(key.request_hash)) {
    return status::InvalidField("request_id", "already used for a different request; use a new request_id");
  }
  const int64_t code = row.GetInt64(2);
  if (code == kPendingCode) return absl::AbortedError("concurrent request with the same request_id; retry");
  if (code != 0) return DecodeError(static_cast<absl::StatusCode>(code), row.GetBytes(3));
  if (!response->ParseFromString(row.GetBytes(3))) {
    return absl::InternalError("stored response of the request_id is corrupt");
  }
  return absl::OkStatus();
}

// Claims `key` for this transaction: true when the request_id is new. A concurrent
// transaction claiming the same id waits for this one (unique index) and then finds it.
absl::StatusOr<bool> Claim(sql::Transaction& tx, const RequestKey& key, absl::Time now, int64_t code,
                           std::string outcome) {
  absl::StatusOr<int64_t> inserted = tx.Execute(
      "INSERT INTO idempotency_keys (request_id, method, request_hash, code, outcome, create_time_us) "
      "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (request_id) DO NOTHING",
      {key.request_id, key.method, HashText(key.request_hash), code, sql::Value::Bytes(std::move(outcome)),
       absl::ToUnixMicros(now)});
  if (!inserted.ok()) return inserted.status();
  return *inserted == 1;
}

bool IsStoredRefusal(absl::StatusCode code) {
  return code == absl::StatusCode::kFailedPrecondition || code == absl::StatusCode::kAlreadyExists;
}

}  // namespace

void CheckRequestId(std::string_view request_id, status::FieldViolations& bad) {
  if (request_id.empty()) {
    bad.Add("request_id", "required");
    return;
  }
  bool ok = request_id.size() <= 128;
  for (char c : request_id) {
    ok = ok && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                c == '_' || c == '-');
  }
  if (!ok) bad.Add("request_id", "must be 1 to 128 characters of [A-Za-z0-9._-], e.g. a UUID");
}

absl::Status RunOnce(sql::Database& db, const sql::TransactionOptions& options, const RequestKey& key,
                     absl::Time now, google::protobuf::Message* response,
                     absl::FunctionRef<absl::Status(sql::Transaction&)> mutate) {
  // Whether the last attempt ran `mutate` (rather than finding a stored outcome).
  bool mutated = false;
  // What the transaction function returned in the last attempt; a stored refusal is
  // returned as an error after committing nothing.
  absl::Status returned;
  absl::Status tx_status = db.Transact(options, [&](sql::Transaction& tx) -> absl::Status {
    response->Clear();
    mutated = false;
    absl::StatusOr<bool> claimed = Claim(tx, key, now, kPendingCode, "");
    if (!claimed.ok()) return returned = claimed.status();
    if (!*claimed) return returned = StoredOutcome(tx, key, response);
    mutated = true;
    returned = mutate(tx);
    if (!returned.ok()) return returned;
    return returned = tx.Execute("UPDATE idempotency_keys SET code = 0, outcome = $2 WHERE request_id = $1",
                                 {key.request_id, sql::Value::Bytes(response->SerializeAsString())})
                          .status();
  });
  if (tx_status.ok()) return absl::OkStatus();
  response->Clear();
  if (mutated && tx_status == returned && IsStoredRefusal(returned.code())) {
    // Best effort: without the record a retry evaluates the request again.
    (void)db.Transact(options, [&](sql::Transaction& tx) {
      return Claim(tx, key, now, static_cast<int64_t>(returned.code()), EncodeError(returned)).status();
    });
  }
  return tx_status;
}

absl::StatusOr<int64_t> PurgeRequestKeys(sql::Database& db, absl::Time before) {
  return db.Execute("DELETE FROM idempotency_keys WHERE create_time_us < $1", {absl::ToUnixMicros(before)});
}

}  // namespace clinic::api
