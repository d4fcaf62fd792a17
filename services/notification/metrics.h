#pragma once

#include <string_view>

#include "clinic/type/v1/contact.pb.h"
#include "common/metrics/metrics.h"

namespace clinic::notification {

// The notification service's own metrics (the queue's are the queue's):
//   notification_queue_port_errors_total{operation}      a queue change that failed after
//                                                        its row committed ("enqueue",
//                                                        "remove"); the reconcile repairs it
//   notification_deliveries_total{outcome,channel}       one per Deliver call that ended:
//       outcome sent|skipped|expired|failed|cancelled|retry|deferred|dead|done,
//       channel sms|email|none
// Registers them, so make one per registry. Thread-safe.
class NotificationMetrics {
 public:
  explicit NotificationMetrics(metrics::Registry& registry);

  void QueuePortError(std::string_view operation);
  void Delivery(std::string_view outcome, type::v1::ContactChannel channel);

 private:
  metrics::Family<metrics::Counter>& queue_port_errors_;
  metrics::Family<metrics::Counter>& deliveries_;
};

}  // namespace clinic::notification
