#include "common/outbox/outbox.h"

#include <utility>

#include "common/api/resource_name.h"

namespace clinic::outbox {

absl::StatusOr<std::string> Enqueue(sql::Transaction& tx, std::string_view topic, std::string payload,
                                    std::string_view key, absl::Time now) {
  std::string id = api::NewId();
  const int64_t now_us = absl::ToUnixMicros(now);
  absl::StatusOr<int64_t> inserted = tx.Execute(
      "INSERT INTO outbox_messages (message_id, topic, message_key, payload, state, attempts, next_attempt_us, "
      "create_time_us) VALUES ($1, $2, $3, $4, 1, 0, $5, $5)",
      {id, topic, key, sql::Value::Bytes(std::move(payload)), now_us});
  if (!inserted.ok()) return inserted.status();
  return id;
}

}  // namespace clinic::outbox
