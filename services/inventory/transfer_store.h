#pragma once

// Transfers of stock between clinics: shipped units leave the source's on-hand at once
// (TRANSFER_OUT) and are in transit at the destination until received (TRANSFER_IN, a
// shortfall then adjusted out as LOST_IN_TRANSIT) or cancelled (TRANSFER_RETURN at the
// source). Lot and expiry travel with the stock. Functions run inside the caller's
// transaction, as in catalogue_store.h; a transfer is locked before its state is read.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clinic/inventory/v1/stock.pb.h"
#include "common/sql/database.h"
#include "services/inventory/catalogue_store.h"

namespace clinic::inventory::store {

struct TransferLine {
  std::string product_id;
  std::string lot_id;
  int64_t quantity = 0;
};

// Ships the lines from `source` to `destination`. FAILED_PRECONDITION (type "LOT") for a
// recalled or expired lot, (type "STOCK") when a line exceeds the source's available
// units; NOT_FOUND ("items[i].lot") for an unknown lot.
absl::Status ShipTransfer(sql::Transaction& tx, const ClinicSettings& source, const ClinicSettings& destination,
                          const std::vector<TransferLine>& lines, const std::string& note,
                          const std::string& principal, const std::string& request_id, absl::Time now,
                          v1::Transfer* out);

absl::StatusOr<v1::Transfer> GetTransfer(sql::Transaction& tx, std::string_view transfer_id);

// Receives a transfer in transit: `received` maps a lot id to the units that arrived
// (a lot not listed arrived in full). INVALID_ARGUMENT for more than shipped or a lot not
// in the transfer; ABORTED on a stale version; FAILED_PRECONDITION when not in transit.
absl::Status ReceiveTransfer(sql::Transaction& tx, std::string_view transfer_id,
                             const std::map<std::string, int64_t>& received, std::optional<int64_t> expected_version,
                             const std::string& principal, const std::string& request_id, absl::Time now,
                             v1::Transfer* out);

// Cancels a transfer in transit: the stock returns to the source.
absl::Status CancelTransfer(sql::Transaction& tx, std::string_view transfer_id,
                            std::optional<int64_t> expected_version, const std::string& principal,
                            const std::string& request_id, absl::Time now, v1::Transfer* out);

// Transfers from or to a clinic ("-" for all), newest first; cursor {ship_time_us, transfer_id}.
absl::Status ListTransfers(sql::Transaction& tx, std::string_view clinic_id, uint64_t state_mask,
                           const PageRequest& page, std::vector<v1::Transfer>* out,
                           std::vector<std::string>* next_cursor);

}  // namespace clinic::inventory::store
