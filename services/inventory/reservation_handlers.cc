// The reservation RPCs: a dose held for an appointment until it is given.
#include <optional>
#include <string>
#include <vector>

#include "common/api/convert.h"
#include "common/api/idempotency.h"
#include "common/api/resource_name.h"
#include "common/status/status.h"
#include "services/inventory/catalogue_store.h"
#include "services/inventory/domain/access.h"
#include "services/inventory/domain/expiry.h"
#include "services/inventory/handler_support.h"
#include "services/inventory/inventory_service.h"
#include "services/inventory/reservation_store.h"

namespace clinic::inventory {
namespace {

constexpr std::string_view kReservationPattern = "clinics/{clinic}/reservations/{reservation}";

// A state change of one reservation named by request.name(): checks the name and the
// request_id, authorises `action` at its clinic, and runs `change` once per request_id
// with the clinic's settings.
template <typename Request>
absl::Status ChangeReservation(sql::Database& db, const Clock& clock, const server::Call& call, std::string_view method,
                               const Request& request, Action action, status::FieldViolations& bad,
                               v1::Reservation* response,
                               absl::FunctionRef<absl::Status(sql::Transaction&, const store::ClinicSettings&,
                                                              const std::string& reservation_id, absl::Time now)>
                                   change) {
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::vector<std::string>> ids = api::ParseName(kReservationPattern, request.name(), "name", bad);
  if (!bad.empty()) return bad.ToStatus();
  if (absl::Status s = Authorize(call.principal(), action, (*ids)[0]); !s.ok()) return s;
  const absl::Time now = clock.Now();
  return MutateStock(db, method, request, now, response,
                     [&](sql::Transaction& tx, TouchedClinics& touched) -> absl::Status {
    absl::StatusOr<store::ClinicSettings> clinic = store::GetClinicSettings(tx, (*ids)[0]);
    if (!clinic.ok()) return AboutField("name", clinic.status());
    touched.Add((*ids)[0]);
    return AboutField("name", change(tx, *clinic, (*ids)[1], now));
  });
}

}  // namespace

absl::Status InventoryService::HandleReserveDose(const server::Call& call, const v1::ReserveDoseRequest& request,
                                                 v1::Reservation* response) {
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::string> clinic_id = api::ParseId("clinics/{clinic}", request.parent(), "parent", bad);
  std::optional<std::string> product_id = api::ParseId("products/{product}", request.product(), "product", bad);
  if (request.quantity() < 1 || request.quantity() > 10) bad.Add("quantity", "1 to 10");
  std::optional<absl::CivilDay> use_day = api::ParseDate(request.use_date(), request.has_use_date(), "use_date", bad);
  std::optional<std::vector<std::string>> appointment = api::ParseName(
      "clinics/{clinic}/appointments/{appointment}", request.appointment(), "appointment", bad);
  if (clinic_id && appointment && (*appointment)[0] != *clinic_id) {
    bad.Add("appointment", "must be an appointment of the clinic in parent");
  }
  api::ParseId("patients/{patient}", request.patient(), "patient", bad);
  if (!bad.empty()) return bad.ToStatus();
  if (absl::Status s = Authorize(call.principal(), Action::kReserve, *clinic_id); !s.ok()) return s;
  const absl::Time now = clock_.Now();
  return MutateStock(db_, "ReserveDose", request, now, response,
                     [&](sql::Transaction& tx, TouchedClinics& touched) -> absl::Status {
    absl::StatusOr<store::ClinicSettings> clinic = store::GetClinicSettings(tx, *clinic_id);
    if (!clinic.ok()) return AboutField("parent", clinic.status());
    touched.Add(*clinic_id);
    if (absl::StatusOr<v1::Product> p = store::GetProduct(tx, *product_id); !p.ok()) return AboutField("product", p.status());
    if (*use_day < LocalDay(now, clinic->zone)) {
      return status::InvalidField("use_date", "already past in the clinic's time zone");
    }
    store::ReserveInput in;
    in.product_id = *product_id;
    in.quantity = request.quantity();
    in.use_day = *use_day;
    in.appointment = request.appointment();
    in.patient = request.patient();
    return store::Reserve(tx, *clinic, in, now, response);
  });
}

absl::Status InventoryService::HandleConfirmReservation(const server::Call& call,
                                                        const v1::ConfirmReservationRequest& request,
                                                        v1::Reservation* response) {
  status::FieldViolations bad;
  return ChangeReservation(db_, clock_, call, "ConfirmReservation", request, Action::kReserve, bad, response,
                           [&](sql::Transaction& tx, const store::ClinicSettings& clinic, const std::string& id, absl::Time now) {
                             return store::Confirm(tx, clinic, id, now, response);
                           });
}

absl::Status InventoryService::HandleReleaseReservation(const server::Call& call,
                                                        const v1::ReleaseReservationRequest& request,
                                                        v1::Reservation* response) {
  status::FieldViolations bad;
  if (!v1::ReleaseReason_IsValid(request.reason())) bad.Add("reason", "unknown value");
  return ChangeReservation(db_, clock_, call, "ReleaseReservation", request, Action::kReserve, bad, response,
                           [&](sql::Transaction& tx, const store::ClinicSettings& clinic, const std::string& id, absl::Time now) {
                             return store::Release(tx, clinic, id, request.reason(), now, response);
                           });
}

absl::Status InventoryService::HandleConsumeReservation(const server::Call& call,
                                                        const v1::ConsumeReservationRequest& request,
                                                        v1::Reservation* response) {
  status::FieldViolations bad;
  const absl::Time now = clock_.Now();
  const absl::Time consume_time = request.has_consume_time() ? api::FromTimestamp(request.consume_time()) : now;
  // A little leeway for the clocks of the caller and of this server.
  if (consume_time > now + absl::Minutes(5)) bad.Add("consume_time", "must not be in the future");
  if (!request.lot_number().empty() && request.lot_number().size() > 64) bad.Add("lot_number", "at most 64 characters");
  return ChangeReservation(db_, clock_, call, "ConsumeReservation", request, Action::kConsume, bad, response,
                           [&](sql::Transaction& tx, const store::ClinicSettings& clinic, const std::string& id, absl::Time t) {
                             store::ConsumeInput in;
                             in.consume_time = consume_time;
                             in.lot_number = request.lot_number();
                             in.request_id = request.request_id();
                             in.principal = call.principal().subject;
                             return store::Consume(tx, clinic, id, in, t, response);
                           });
}

absl::Status InventoryService::HandleRescheduleReservation(const server::Call& call,
                                                           const v1::RescheduleReservationRequest& request,
                                                           v1::Reservation* response) {
  status::FieldViolations bad;
  std::optional<absl::CivilDay> use_day = api::ParseDate(request.use_date(), request.has_use_date(), "use_date", bad);
  return ChangeReservation(db_, clock_, call, "RescheduleReservation", request, Action::kReserve, bad, response,
                           [&](sql::Transaction& tx, const store::ClinicSettings& clinic, const std::string& id,
                               absl::Time now) -> absl::Status {
                             if (*use_day < LocalDay(now, clinic.zone)) {
                               return status::InvalidField("use_date", "already past in the clinic's time zone");
                             }
                             return store::Reschedule(tx, clinic, id, *use_day, now, response);
                           });
}

absl::Status InventoryService::HandleGetReservation(const server::Call& call, const v1::GetReservationRequest& request,
                                                    v1::Reservation* response) {
  status::FieldViolations bad;
  std::optional<std::vector<std::string>> ids = api::ParseName(kReservationPattern, request.name(), "name", bad);
  if (!bad.empty()) return bad.ToStatus();
  if (absl::Status s = Authorize(call.principal(), Action::kReserve, (*ids)[0]); !s.ok()) return s;
  return db_.Transact(ReadOptions(), [&](sql::Transaction& tx) -> absl::Status {
    absl::StatusOr<v1::Reservation> r = store::GetReservation(tx, (*ids)[0], (*ids)[1]);
    if (!r.ok()) return AboutField("name", r.status());
    *response = *std::move(r);
    return absl::OkStatus();
  });
}

absl::Status InventoryService::HandleListReservations(const server::Call& call,
                                                      const v1::ListReservationsRequest& request,
                                                      v1::ListReservationsResponse* response) {
  status::FieldViolations bad;
  store::ReservationQuery query;
  query.clinic_id = api::ParseId("clinics/{clinic}", request.parent(), "parent", bad, {.allow_wildcard = true}).value_or("");
  if (!request.appointment().empty()) {
    api::ParseName("clinics/{clinic}/appointments/{appointment}", request.appointment(), "appointment", bad);
    query.appointment = request.appointment();
  }
  if (!request.lot().empty()) {
    std::optional<std::vector<std::string>> lot =
        api::ParseName("products/{product}/lots/{lot}", request.lot(), "lot", bad);
    if (lot.has_value()) query.lot_id = (*lot)[1];
  }
  query.state_mask = EnumMask(request.states(), v1::Reservation::State_IsValid, "states", bad);
  const uint64_t filters = api::FiltersOf(request);
  store::PageRequest page;
  if (!ReadPage(request.page_size(), request.page_token(), filters, 50, 500, &page, bad)) return bad.ToStatus();
  if (absl::Status s = Authorize(call.principal(), Action::kReserve, query.clinic_id); !s.ok()) return s;
  return db_.Transact(ReadOptions(), [&](sql::Transaction& tx) -> absl::Status {
    response->Clear();
    std::vector<v1::Reservation> reservations;
    std::vector<std::string> next;
    if (absl::Status s = store::ListReservations(tx, query, page, &reservations, &next); !s.ok()) return s;
    for (v1::Reservation& r : reservations) *response->add_reservations() = std::move(r);
    response->set_next_page_token(NextToken(filters, next));
    return absl::OkStatus();
  });
}

}  // namespace clinic::inventory
