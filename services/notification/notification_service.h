#pragma once

#include "clinic/notification/v1/notification_service.clinic.h"

namespace clinic::notification {

// The notification service: reminders queued in Redis and sent by SMS or email with consent.
//
// Every RPC of the contract is authenticated by the generated NotificationServiceBase; an RPC
// whose Handle method is not overridden here answers UNIMPLEMENTED.
class NotificationService final : public v1::NotificationServiceBase {
 public:
  using NotificationServiceBase::NotificationServiceBase;
};

}  // namespace clinic::notification
