#include "services/patient/domain/access_log_chain.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace clinic::patient::domain {
namespace {

AccessLogRecord Entry(std::int64_t sequence) {
  AccessLogRecord r;
  r.patient = "patients/p1";
  r.sequence = sequence;
  r.principal = "dr-amara";
  r.role = "clinician";
  r.clinic = "clinics/clinic-north";
  r.action = v1::ACCESS_ACTION_READ;
  r.method = "clinic.patient.v1.PatientService/GetPatient";
  r.resource = "patients/p1";
  r.purpose = v1::ACCESS_PURPOSE_CARE;
  r.outcome = v1::ACCESS_OUTCOME_ALLOWED;
  r.request_id = "req-" + std::to_string(sequence);
  r.access_time = absl::FromUnixMicros(1718445600000000 + sequence);
  return r;
}

std::vector<AccessLogRecord> Chain(int n) {
  std::vector<AccessLogRecord> chain;
  std::string previous(kGenesisHash);
  for (int i = 1; i <= n; ++i) {
    AccessLogRecord r = Entry(i);
    Seal(previous, r);
    previous = r.hash;
    chain.push_back(r);
  }
  return chain;
}

TEST(AccessLogChainTest, KnownAnswer) {
  // Computed independently (Python hashlib) from the format documented in the header.
  EXPECT_EQ(ChainHash(kGenesisHash, Entry(1)),
            "611caf862a54bab26da12652f42c736278a2973203e59d216eaa027b04e724c0");
  AccessLogRecord r = Entry(1);
  r.purpose = v1::ACCESS_PURPOSE_ADMINISTRATION;
  EXPECT_NE(ChainHash(kGenesisHash, r), ChainHash(kGenesisHash, Entry(1)));
  EXPECT_NE(ChainHash(std::string(64, '1'), Entry(1)), ChainHash(kGenesisHash, Entry(1)));
}

TEST(AccessLogChainTest, CanonicalFormIsLengthPrefixed) {
  // Moving a character between adjacent fields changes the canonical form.
  AccessLogRecord a = Entry(1);
  AccessLogRecord b = Entry(1);
  a.principal = "ab";
  a.role = "c";
  b.principal = "a";
  b.role = "bc";
  EXPECT_NE(CanonicalForm(a), CanonicalForm(b));
  EXPECT_NE(ChainHash(kGenesisHash, a), ChainHash(kGenesisHash, b));
  // Every field takes part.
  const std::string base = CanonicalForm(Entry(1));
  std::vector<AccessLogRecord> changed(12, Entry(1));
  changed[0].patient = "patients/p2";
  changed[1].sequence = 2;
  changed[2].principal = "x";
  changed[3].role = "x";
  changed[4].clinic = "";
  changed[5].action = v1::ACCESS_ACTION_UPDATE;
  changed[6].method = "x";
  changed[7].resource = "x";
  changed[8].purpose = v1::ACCESS_PURPOSE_RECALL;
  changed[9].outcome = v1::ACCESS_OUTCOME_DENIED;
  changed[10].request_id = "x";
  changed[11].access_time += absl::Microseconds(1);
  for (std::size_t i = 0; i < changed.size(); ++i) {
    EXPECT_NE(CanonicalForm(changed[i]), base) << i;
  }
  // previous_hash and hash are not part of the canonical form.
  AccessLogRecord sealed = Entry(1);
  Seal(kGenesisHash, sealed);
  EXPECT_EQ(CanonicalForm(sealed), base);
}

TEST(AccessLogChainTest, TimeIsHashedAtMicrosecondPrecision) {
  AccessLogRecord a = Entry(1);
  AccessLogRecord b = Entry(1);
  b.access_time += absl::Nanoseconds(999);  // lost by a store keeping microseconds
  EXPECT_EQ(ChainHash(kGenesisHash, a), ChainHash(kGenesisHash, b));
}

TEST(AccessLogChainTest, KnownAnswerOfTheCanonicalForm) {
  AccessLogRecord r;
  r.patient = "p";
  r.sequence = 1;
  r.access_time = absl::FromUnixMicros(2);
  const std::string tag = "clinic.patient.v1.AccessLogEntry/1";
  std::string expected;
  const auto u64 = [&](std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) expected.push_back(static_cast<char>(v >> shift));
  };
  const auto str = [&](const std::string& s) {
    u64(s.size());
    expected += s;
  };
  str(tag);
  str("p");
  u64(1);
  str("");  // principal
  str("");  // role
  str("");  // clinic
  u64(0);   // action
  str("");  // method
  str("");  // resource
  u64(0);   // purpose
  u64(0);   // outcome
  str("");  // request_id
  u64(2);   // access_time in microseconds
  EXPECT_EQ(CanonicalForm(r), expected);
  EXPECT_EQ(ChainHash(kGenesisHash, r),
            "cceb8eef77f749ab6daccefc495b32618ada1b38923914b47c9f56a2786aa047");
}

TEST(AccessLogChainTest, SealLinksEntries) {
  const std::vector<AccessLogRecord> chain = Chain(3);
  EXPECT_EQ(chain[0].previous_hash, kGenesisHash);
  EXPECT_EQ(chain[1].previous_hash, chain[0].hash);
  EXPECT_EQ(chain[2].previous_hash, chain[1].hash);
  EXPECT_EQ(VerifyChain(chain), std::nullopt);
  EXPECT_EQ(VerifyChain({}), std::nullopt);
}

TEST(AccessLogChainTest, VerifyReportsTheFirstBrokenLink) {
  using Kind = ChainBreak::Kind;
  std::vector<AccessLogRecord> chain = Chain(5);

  std::vector<AccessLogRecord> altered = chain;
  altered[2].principal = "intruder";
  EXPECT_EQ(VerifyChain(altered), (ChainBreak{2, 3, Kind::kHashMismatch}));

  std::vector<AccessLogRecord> removed = chain;
  removed.erase(removed.begin() + 1);
  EXPECT_EQ(VerifyChain(removed), (ChainBreak{1, 3, Kind::kSequenceGap}));

  // Removal with renumbering: the previous hash no longer matches.
  for (std::size_t i = 1; i < removed.size(); ++i)
    removed[i].sequence = static_cast<std::int64_t>(i + 1);
  EXPECT_EQ(VerifyChain(removed), (ChainBreak{1, 2, Kind::kPreviousHashMismatch}));

  // Rewriting an entry and re-sealing it breaks the next link.
  std::vector<AccessLogRecord> resealed = chain;
  resealed[1].resource = "patients/p1/labResults/9";
  Seal(resealed[0].hash, resealed[1]);
  EXPECT_EQ(VerifyChain(resealed), (ChainBreak{2, 3, Kind::kPreviousHashMismatch}));

  std::vector<AccessLogRecord> reordered = chain;
  std::swap(reordered[3], reordered[4]);
  EXPECT_EQ(VerifyChain(reordered), (ChainBreak{3, 5, Kind::kSequenceGap}));

  std::vector<AccessLogRecord> moved = chain;
  moved[4].patient = "patients/p2";
  EXPECT_EQ(VerifyChain(moved), (ChainBreak{4, 5, Kind::kWrongPatient}));

  std::vector<AccessLogRecord> bad_genesis = chain;
  bad_genesis[0].previous_hash = std::string(64, 'f');
  EXPECT_EQ(VerifyChain(bad_genesis), (ChainBreak{0, 1, Kind::kPreviousHashMismatch}));
}

TEST(AccessLogChainTest, VerifiesAContinuation) {
  const std::vector<AccessLogRecord> chain = Chain(5);
  const absl::Span<const AccessLogRecord> tail(chain.data() + 2, 3);
  EXPECT_EQ(VerifyChain(tail, chain[1].hash, 3), std::nullopt);
  EXPECT_NE(VerifyChain(tail), std::nullopt);  // not from the start
  EXPECT_EQ(VerifyChain(tail, chain[0].hash, 3),
            (ChainBreak{0, 3, ChainBreak::Kind::kPreviousHashMismatch}));
}

TEST(AccessLogChainTest, ProtoRoundTripKeepsTheChainVerifiable) {
  const std::vector<AccessLogRecord> chain = Chain(3);
  std::vector<AccessLogRecord> back;
  for (const AccessLogRecord& r : chain) {
    const v1::AccessLogEntry entry =
        ToProto(r, "patients/p1/accessLogEntries/" + std::to_string(r.sequence));
    EXPECT_EQ(entry.hash(), r.hash);
    EXPECT_EQ(entry.previous_hash(), r.previous_hash);
    EXPECT_EQ(entry.sequence(), r.sequence);
    back.push_back(FromProto(entry, "patients/p1"));
  }
  EXPECT_EQ(VerifyChain(back), std::nullopt);
}

}  // namespace
}  // namespace clinic::patient::domain
