#include "services/patient/domain/access_log_chain.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <utility>

#include "services/patient/domain/proto_time.h"

namespace clinic::patient::domain {
namespace {

constexpr std::string_view kDomainTag = "clinic.patient.v1.AccessLogEntry/1";

void AppendInt(std::int64_t value, std::string& out) {
  const auto u = static_cast<std::uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((u >> shift) & 0xFF));
  }
}

void AppendString(std::string_view value, std::string& out) {
  AppendInt(static_cast<std::int64_t>(value.size()), out);
  out.append(value);
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // EVP_Digest with SHA-256 cannot fail on in-memory input short of memory exhaustion.
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    std::abort();
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0x0F]);
  }
  return hex;
}

}  // namespace

std::string CanonicalForm(const AccessLogRecord& record) {
  std::string out;
  AppendString(kDomainTag, out);
  AppendString(record.patient, out);
  AppendInt(record.sequence, out);
  AppendString(record.principal, out);
  AppendString(record.role, out);
  AppendString(record.clinic, out);
  AppendInt(record.action, out);
  AppendString(record.method, out);
  AppendString(record.resource, out);
  AppendInt(record.purpose, out);
  AppendInt(record.outcome, out);
  AppendString(record.request_id, out);
  AppendInt(absl::ToUnixMicros(record.access_time), out);
  return out;
}

std::string ChainHash(std::string_view previous_hash, const AccessLogRecord& record) {
  std::string input;
  AppendString(previous_hash, input);
  input += CanonicalForm(record);
  return Sha256Hex(input);
}

void Seal(std::string_view previous_hash, AccessLogRecord& record) {
  record.previous_hash = std::string(previous_hash);
  record.hash = ChainHash(previous_hash, record);
}

std::optional<ChainBreak> VerifyChain(absl::Span<const AccessLogRecord> records,
                                      std::string_view previous_hash, std::int64_t first_sequence) {
  std::string expected_previous(previous_hash);
  std::int64_t expected_sequence = first_sequence;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const AccessLogRecord& r = records[i];
    const auto broken = [&](ChainBreak::Kind kind) { return ChainBreak{i, r.sequence, kind}; };
    if (r.patient != records[0].patient) return broken(ChainBreak::Kind::kWrongPatient);
    if (r.sequence != expected_sequence) return broken(ChainBreak::Kind::kSequenceGap);
    if (r.previous_hash != expected_previous) {
      return broken(ChainBreak::Kind::kPreviousHashMismatch);
    }
    if (r.hash != ChainHash(r.previous_hash, r)) return broken(ChainBreak::Kind::kHashMismatch);
    expected_previous = r.hash;
    ++expected_sequence;
  }
  return std::nullopt;
}

v1::AccessLogEntry ToProto(const AccessLogRecord& record, std::string name) {
  v1::AccessLogEntry entry;
  entry.set_name(std::move(name));
  entry.set_sequence(record.sequence);
  entry.set_principal(record.principal);
  entry.set_role(record.role);
  entry.set_clinic(record.clinic);
  entry.set_action(record.action);
  entry.set_method(record.method);
  entry.set_resource(record.resource);
  entry.set_purpose(record.purpose);
  entry.set_outcome(record.outcome);
  entry.set_request_id(record.request_id);
  *entry.mutable_access_time() = ToProtoTimestamp(record.access_time);
  entry.set_hash(record.hash);
  entry.set_previous_hash(record.previous_hash);
  return entry;
}

AccessLogRecord FromProto(const v1::AccessLogEntry& entry, std::string patient) {
  AccessLogRecord record;
  record.patient = std::move(patient);
  record.sequence = entry.sequence();
  record.principal = entry.principal();
  record.role = entry.role();
  record.clinic = entry.clinic();
  record.action = entry.action();
  record.method = entry.method();
  record.resource = entry.resource();
  record.purpose = entry.purpose();
  record.outcome = entry.outcome();
  record.request_id = entry.request_id();
  record.access_time = ToTime(entry.access_time()).value_or(absl::UnixEpoch());
  record.previous_hash = entry.previous_hash();
  record.hash = entry.hash();
  return record;
}

}  // namespace clinic::patient::domain
