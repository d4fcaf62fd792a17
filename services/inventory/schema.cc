#include "services/inventory/schema.h"

namespace clinic::inventory {
namespace {

// Times are int64 microseconds since the Unix epoch (UTC).
constexpr sql::Migration kMigrations[] = {
    {.version = 1,
     .name = "catalogue",
     .sql = R"sql(
CREATE TABLE products (
  product_id TEXT PRIMARY KEY,
  sku TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  category TEXT NOT NULL,
  substance TEXT NOT NULL DEFAULT '',
  form TEXT NOT NULL,
  stock_unit TEXT NOT NULL,
  prescription_only BOOLEAN NOT NULL DEFAULT FALSE,
  active BOOLEAN NOT NULL DEFAULT TRUE,
  create_time_us BIGINT NOT NULL,
  update_time_us BIGINT NOT NULL,
  version BIGINT NOT NULL DEFAULT 1
);
CREATE TABLE clinics (
  clinic_id TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  time_zone TEXT NOT NULL,
  create_time_us BIGINT NOT NULL,
  update_time_us BIGINT NOT NULL,
  version BIGINT NOT NULL DEFAULT 1
);
)sql"},
};

}  // namespace

std::span<const sql::Migration> Migrations() { return kMigrations; }

}  // namespace clinic::inventory
