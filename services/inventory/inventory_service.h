#pragma once

#include "clinic/inventory/v1/inventory_service.clinic.h"

namespace clinic::inventory {

// The inventory service: products, lots with expiry, stock per clinic, reservations, recalls and alerts.
//
// Every RPC of the contract is authenticated by the generated InventoryServiceBase; an RPC
// whose Handle method is not overridden here answers UNIMPLEMENTED.
class InventoryService final : public v1::InventoryServiceBase {
 public:
  using InventoryServiceBase::InventoryServiceBase;
};

}  // namespace clinic::inventory
