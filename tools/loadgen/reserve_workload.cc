#include "tools/loadgen/reserve_workload.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace clinic::loadgen {
namespace {

namespace iv1 = clinic::inventory::v1;

// Everything one operation needs alive until its last callback.
struct ReserveCall {
  grpc::ClientContext reserve_context;
  iv1::ReserveDoseRequest reserve;
  iv1::Reservation reservation;
  grpc::ClientContext release_context;
  iv1::ReleaseReservationRequest release;
  iv1::Reservation released;
  Workload::DoneCallback done;
};

void Finish(std::unique_ptr<ReserveCall> call, const grpc::Status& status) {
  Workload::DoneCallback callback = std::move(call->done);
  call.reset();  // free the call before reporting: the run may end on this callback
  callback(status);
}

clinic::type::v1::Date ToDate(absl::CivilDay day) {
  clinic::type::v1::Date date;
  date.set_year(static_cast<int32_t>(day.year()));
  date.set_month(day.month());
  date.set_day(day.day());
  return date;
}

}  // namespace

ReserveWorkload::ReserveWorkload(const std::vector<std::shared_ptr<grpc::Channel>>& channels, std::string clinic_id,
                                 std::string product_id, absl::CivilDay use_day)
    : stubs_(channels),
      clinic_id_(std::move(clinic_id)),
      product_id_(std::move(product_id)),
      use_day_(use_day),
      run_id_(RandomRunId()) {}

absl::Status ReserveWorkload::Prepare(const CallSettings& settings) {
  iv1::InventoryService::Stub* stub = &stubs_.Next();
  {
    grpc::ClientContext context;
    settings.Apply(context);
    iv1::CreateClinicRequest request;
    request.set_request_id(absl::StrCat("loadgen-", run_id_, "-clinic"));
    request.set_clinic_id(clinic_id_);
    request.mutable_clinic()->set_time_zone("Europe/London");
    iv1::Clinic clinic;
    grpc::Status s = stub->CreateClinic(&context, request, &clinic);
    if (!s.ok() && s.error_code() != grpc::StatusCode::ALREADY_EXISTS) {
      return absl::Status(static_cast<absl::StatusCode>(s.error_code()), "CreateClinic: " + s.error_message());
    }
  }
  grpc::ClientContext context;
  settings.Apply(context);
  iv1::ReceiveStockRequest request;
  request.set_request_id(absl::StrCat("loadgen-", run_id_, "-receipt"));
  request.set_parent("clinics/" + clinic_id_);
  request.set_product("products/" + product_id_);
  request.set_lot_number(absl::StrCat("LOADGEN-", run_id_));
  *request.mutable_expiry_date() = ToDate(use_day_ + 365);
  request.set_quantity(1000000);
  iv1::ReceiveStockResponse response;
  grpc::Status s = stub->ReceiveStock(&context, request, &response);
  if (!s.ok()) return absl::Status(static_cast<absl::StatusCode>(s.error_code()), "ReceiveStock: " + s.error_message());
  return absl::OkStatus();
}

void ReserveWorkload::Start(const CallSettings& settings, DoneCallback done) {
  const uint64_t n = next_.fetch_add(1, std::memory_order_relaxed);
  auto call = std::make_unique<ReserveCall>();
  settings.Apply(call->reserve_context);
  call->reserve.set_request_id(absl::StrCat("lg-", run_id_, "-r", n));
  call->reserve.set_parent("clinics/" + clinic_id_);
  call->reserve.set_product("products/" + product_id_);
  call->reserve.set_quantity(1);
  *call->reserve.mutable_use_date() = ToDate(use_day_);
  call->reserve.set_appointment(absl::StrCat("clinics/", clinic_id_, "/appointments/lg-", run_id_, "-", n));
  call->reserve.set_patient("patients/loadgen");
  call->done = std::move(done);
  iv1::InventoryService::Stub* stub = &stubs_.Next();
  ReserveCall* raw = call.release();
  stub->async()->ReserveDose(
      &raw->reserve_context, &raw->reserve, &raw->reservation, [raw, stub, &settings, n, this](grpc::Status status) {
        std::unique_ptr<ReserveCall> owned(raw);
        if (!status.ok()) return Finish(std::move(owned), status);
        settings.Apply(owned->release_context);
        owned->release.set_request_id(absl::StrCat("lg-", run_id_, "-x", n));
        owned->release.set_name(owned->reservation.name());
        ReserveCall* again = owned.release();
        stub->async()->ReleaseReservation(&again->release_context, &again->release, &again->released,
                                          [again](grpc::Status released) {
                                            Finish(std::unique_ptr<ReserveCall>(again), released);
                                          });
      });
}

}  // namespace clinic::loadgen
