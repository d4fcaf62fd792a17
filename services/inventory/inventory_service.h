#pragma once

#include "common/clock/clock.h"
#include "common/sql/database.h"
#include "clinic/inventory/v1/inventory_service.clinic.h"

namespace clinic::inventory {

// The inventory service's gRPC layer: products, lots with expiry, stock per clinic,
// reservations, recalls, alerts.
//
// Each handler checks the request's fields (validation.h), authorises the caller
// (domain/access.h), and runs the stores (catalogue_store.h, stock_store.h,
// reservation_store.h, alert_store.h) in one transaction; mutations go through
// api::RunOnce so that a retry with the same request_id returns the first outcome, and
// those that change stock end by syncing the clinics' alerts (MutateStock in
// handler_support.h), which enqueue their notifications in the same transaction. Every RPC is authenticated
// by the generated InventoryServiceBase; an RPC whose Handle method is not overridden
// answers UNIMPLEMENTED.
//
// Thread-safe: handlers run concurrently on gRPC's threads; `db` and `clock` must be
// thread-safe and outlive the service.
class InventoryService final : public v1::InventoryServiceBase {
 public:
  InventoryService(const server::CallRunner& calls, sql::Database& db, const Clock& clock)
      : InventoryServiceBase(calls), db_(db), clock_(clock) {}

 protected:
  // Catalogue (catalogue_handlers.cc).
  absl::Status HandleCreateProduct(const server::Call& call, const v1::CreateProductRequest& request,
                                   v1::Product* response) override;
  absl::Status HandleGetProduct(const server::Call& call, const v1::GetProductRequest& request,
                                v1::Product* response) override;
  absl::Status HandleListProducts(const server::Call& call, const v1::ListProductsRequest& request,
                                  v1::ListProductsResponse* response) override;
  absl::Status HandleUpdateProduct(const server::Call& call, const v1::UpdateProductRequest& request,
                                   v1::Product* response) override;
  absl::Status HandleCreateClinic(const server::Call& call, const v1::CreateClinicRequest& request,
                                  v1::Clinic* response) override;
  absl::Status HandleGetClinic(const server::Call& call, const v1::GetClinicRequest& request,
                               v1::Clinic* response) override;
  absl::Status HandleListClinics(const server::Call& call, const v1::ListClinicsRequest& request,
                                 v1::ListClinicsResponse* response) override;
  absl::Status HandleUpdateClinic(const server::Call& call, const v1::UpdateClinicRequest& request,
                                  v1::Clinic* response) override;
  absl::Status HandleUpdateReorderLevel(const server::Call& call, const v1::UpdateReorderLevelRequest& request,
                                        v1::ReorderLevel* response) override;
  absl::Status HandleListReorderLevels(const server::Call& call, const v1::ListReorderLevelsRequest& request,
                                       v1::ListReorderLevelsResponse* response) override;

  // Stock and the ledger (stock_handlers.cc).
  absl::Status HandleReceiveStock(const server::Call& call, const v1::ReceiveStockRequest& request,
                                  v1::ReceiveStockResponse* response) override;
  absl::Status HandleAdjustStock(const server::Call& call, const v1::AdjustStockRequest& request,
                                 v1::AdjustStockResponse* response) override;
  absl::Status HandleListStockLevels(const server::Call& call, const v1::ListStockLevelsRequest& request,
                                     v1::ListStockLevelsResponse* response) override;
  absl::Status HandleListMovements(const server::Call& call, const v1::ListMovementsRequest& request,
                                   v1::ListMovementsResponse* response) override;
  absl::Status HandleGetLot(const server::Call& call, const v1::GetLotRequest& request, v1::Lot* response) override;
  absl::Status HandleListLots(const server::Call& call, const v1::ListLotsRequest& request,
                              v1::ListLotsResponse* response) override;
  absl::Status HandleListExpiringLots(const server::Call& call, const v1::ListExpiringLotsRequest& request,
                                      v1::ListExpiringLotsResponse* response) override;
  absl::Status HandleRecallLot(const server::Call& call, const v1::RecallLotRequest& request,
                               v1::RecallLotResponse* response) override;
  absl::Status HandleListLotRecipients(const server::Call& call, const v1::ListLotRecipientsRequest& request,
                                       v1::ListLotRecipientsResponse* response) override;

  // Transfers (transfer_handlers.cc).
  absl::Status HandleTransferStock(const server::Call& call, const v1::TransferStockRequest& request,
                                   v1::Transfer* response) override;
  absl::Status HandleReceiveTransfer(const server::Call& call, const v1::ReceiveTransferRequest& request,
                                     v1::Transfer* response) override;
  absl::Status HandleCancelTransfer(const server::Call& call, const v1::CancelTransferRequest& request,
                                    v1::Transfer* response) override;
  absl::Status HandleGetTransfer(const server::Call& call, const v1::GetTransferRequest& request,
                                 v1::Transfer* response) override;
  absl::Status HandleListTransfers(const server::Call& call, const v1::ListTransfersRequest& request,
                                   v1::ListTransfersResponse* response) override;

  // Reservations (reservation_handlers.cc).
  absl::Status HandleReserveDose(const server::Call& call, const v1::ReserveDoseRequest& request,
                                 v1::Reservation* response) override;
  absl::Status HandleConfirmReservation(const server::Call& call, const v1::ConfirmReservationRequest& request,
                                        v1::Reservation* response) override;
  absl::Status HandleReleaseReservation(const server::Call& call, const v1::ReleaseReservationRequest& request,
                                        v1::Reservation* response) override;
  absl::Status HandleConsumeReservation(const server::Call& call, const v1::ConsumeReservationRequest& request,
                                        v1::Reservation* response) override;
  absl::Status HandleRescheduleReservation(const server::Call& call, const v1::RescheduleReservationRequest& request,
                                           v1::Reservation* response) override;
  absl::Status HandleGetReservation(const server::Call& call, const v1::GetReservationRequest& request,
                                    v1::Reservation* response) override;
  absl::Status HandleListReservations(const server::Call& call, const v1::ListReservationsRequest& request,
                                      v1::ListReservationsResponse* response) override;

  // Alerts (alert_handlers.cc).
  absl::Status HandleListAlerts(const server::Call& call, const v1::ListAlertsRequest& request,
                                v1::ListAlertsResponse* response) override;
  absl::Status HandleAcknowledgeAlert(const server::Call& call, const v1::AcknowledgeAlertRequest& request,
                                      v1::Alert* response) override;

 private:
  sql::Database& db_;
  const Clock& clock_;
};

}  // namespace clinic::inventory
