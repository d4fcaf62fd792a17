#include "services/notification/metrics.h"

#include <string>

namespace clinic::notification {
namespace {

std::string ChannelLabel(type::v1::ContactChannel channel) {
  switch (channel) {
    case type::v1::CONTACT_CHANNEL_SMS:
      return "sms";
    case type::v1::CONTACT_CHANNEL_EMAIL:
      return "email";
    default:
      return "none";
  }
}

}  // namespace

NotificationMetrics::NotificationMetrics(metrics::Registry& registry)
    : queue_port_errors_(registry.AddCounter(
          "notification_queue_port_errors_total",
          "Queue changes that failed after their reminder was committed (the reconcile re-enqueues).", {"operation"})),
      deliveries_(registry.AddCounter("notification_deliveries_total",
                                      "Reminder deliveries by how they ended and the channel used.",
                                      {"outcome", "channel"})) {}

void NotificationMetrics::QueuePortError(std::string_view operation) {
  queue_port_errors_.WithLabels({std::string(operation)}).Increment();
}

void NotificationMetrics::Delivery(std::string_view outcome, type::v1::ContactChannel channel) {
  deliveries_.WithLabels({std::string(outcome), ChannelLabel(channel)}).Increment();
}

}  // namespace clinic::notification
