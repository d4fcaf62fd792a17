// The check-in RPCs: outcome scores and their trend, part of the patient record (audited).
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/api/idempotency.h"
#include "common/api/resource_name.h"
#include "services/patient/domain/check_in_trend.h"
#include "services/patient/domain/check_in_validation.h"
#include "services/patient/domain/proto_time.h"
#include "services/patient/domain/text.h"
#include "services/patient/handler_support.h"
#include "services/patient/patient_service.h"
#include "services/patient/treatment_store.h"

namespace clinic::patient {
namespace {

using domain::PatientAction;

// Who reported it: as given, or the portal when the portal calls, staff otherwise.
v1::CheckInSource SourceOf(v1::CheckInSource given, const auth::Principal& principal) {
  if (given != v1::CHECK_IN_SOURCE_UNSPECIFIED) return given;
  return principal.role == auth::Role::kService && principal.subject == domain::kPortalService
             ? v1::CHECK_IN_SOURCE_PATIENT_PORTAL
             : v1::CHECK_IN_SOURCE_STAFF;
}

// One end of the range: nullopt when open; a violation when set but not a real date.
std::optional<absl::CivilDay> RangeEnd(bool present, const type::v1::Date& date, const char* field,
                                       status::FieldViolations& bad) {
  if (!present) return std::nullopt;
  std::optional<absl::CivilDay> day = domain::ToCivilDay(date);
  if (!day.has_value()) bad.Add(field, "must be a real calendar date");
  return day;
}

}  // namespace

absl::Status PatientService::HandleCreateCheckIn(const server::Call& call, const v1::CreateCheckInRequest& request,
                                                 v1::CheckIn* response) {
  const absl::Time now = clock_.Now();
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::string> id = api::ParseId("patients/{patient}", request.parent(), "parent", bad);
  if (!request.has_check_in()) bad.Add("check_in", "required");
  domain::ValidateCheckInInput(request.check_in(), LatestToday(now), "check_in", bad);
  if (!bad.empty()) return bad.ToStatus();
  const std::string check_in_id = api::NewId();
  const std::string name = absl::StrCat(request.parent(), "/checkIns/", check_in_id);
  return AuditedOnce(call, "CreateCheckIn", request, request.request_id(), response,
                     [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
                       absl::StatusOr<store::PatientRecord> record =
                           LoadAuthorized(tx, audit, *id, PatientAction::kRecordCheckIn, v1::ACCESS_ACTION_CREATE,
                                          name, request.parent());
                       if (!record.ok()) return record.status();
                       v1::CheckIn check_in = request.check_in();
                       check_in.set_note(std::string(domain::TrimSpace(check_in.note())));
                       check_in.set_source(SourceOf(check_in.source(), call.principal()));
                       check_in.set_recorded_by(call.principal().subject);
                       absl::StatusOr<v1::CheckIn> stored =
                           store::InsertCheckIn(tx, *id, check_in_id, std::move(check_in), now);
                       if (!stored.ok()) return stored.status();
                       *response = *std::move(stored);
                       return absl::OkStatus();
                     });
}

absl::Status PatientService::HandleListCheckIns(const server::Call& call, const v1::ListCheckInsRequest& request,
                                                v1::ListCheckInsResponse* response) {
  status::FieldViolations bad;
  std::optional<std::string> id = api::ParseId("patients/{patient}", request.parent(), "parent", bad);
  store::CheckInRange range;
  range.first = RangeEnd(request.date_range().has_start_date(), request.date_range().start_date(),
                         "date_range.start_date", bad);
  range.last =
      RangeEnd(request.date_range().has_end_date(), request.date_range().end_date(), "date_range.end_date", bad);
  if (range.first.has_value() && range.last.has_value() && *range.last < *range.first) {
    bad.Add("date_range.end_date", "must not be before start_date");
  }
  store::PageRequest page;
  const uint64_t filters = api::FiltersOf(request);
  ReadPage(request.page_size(), request.page_token(), filters, 50, 200, &page, bad);
  if (!bad.empty()) return bad.ToStatus();
  return AuditedRead(call, "ListCheckIns", [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
    response->Clear();
    absl::StatusOr<store::PatientRecord> record =
        LoadAuthorized(tx, audit, *id, PatientAction::kReadCheckIns, v1::ACCESS_ACTION_READ,
                       absl::StrCat(request.parent(), "/checkIns"), request.parent());
    if (!record.ok()) return record.status();
    std::vector<v1::CheckIn> check_ins;
    if (absl::Status s = store::ListCheckIns(tx, *id, range, page, &check_ins); !s.ok()) return s;
    if (static_cast<int>(check_ins.size()) == page.limit) {
      check_ins.pop_back();
      const v1::CheckIn& last = check_ins.back();
      const std::optional<absl::CivilDay> day = domain::ToCivilDay(last.check_in_date());
      response->set_next_page_token(api::EncodePageToken(
          filters, {absl::StrCat(day.has_value() ? api::DayNumber(*day) : 0),
                    absl::StrCat(absl::ToUnixMicros(api::FromTimestamp(last.create_time()))),
                    last.name().substr(last.name().rfind('/') + 1)}));
    }
    for (v1::CheckIn& c : check_ins) *response->add_check_ins() = std::move(c);
    // The trend covers the whole range, not only this page.
    std::vector<v1::CheckIn> all;
    if (absl::Status s = store::ListAllCheckInsOldestFirst(tx, *id, range, &all); !s.ok()) return s;
    std::vector<domain::CheckInScores> scores;
    scores.reserve(all.size());
    for (const v1::CheckIn& c : all) scores.push_back(domain::ToCheckInScores(c));
    *response->mutable_trend() = domain::ComputeCheckInTrend(scores);
    return absl::OkStatus();
  });
}

}  // namespace clinic::patient
