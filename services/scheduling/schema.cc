#include "services/scheduling/schema.h"

namespace clinic::scheduling {
namespace {

// Times are int64 microseconds since the Unix epoch (UTC); wall-clock hours are stored
// with the clinic's IANA time zone.
constexpr sql::Migration kMigrations[] = {
    {.version = 1,
     .name = "clinics_and_practitioners",
     .sql = R"sql(
CREATE TABLE clinics (
  clinic_id TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  time_zone TEXT NOT NULL,
  phone_number TEXT NOT NULL DEFAULT '',
  language_code TEXT NOT NULL DEFAULT 'en',
  create_time_us BIGINT NOT NULL,
  update_time_us BIGINT NOT NULL,
  version BIGINT NOT NULL DEFAULT 1
);
CREATE TABLE practitioners (
  clinic_id TEXT NOT NULL REFERENCES clinics (clinic_id),
  practitioner_id TEXT NOT NULL,
  display_name TEXT NOT NULL,
  principal TEXT NOT NULL DEFAULT '',
  profession TEXT NOT NULL,
  can_prescribe BOOLEAN NOT NULL DEFAULT FALSE,
  active BOOLEAN NOT NULL DEFAULT TRUE,
  create_time_us BIGINT NOT NULL,
  update_time_us BIGINT NOT NULL,
  version BIGINT NOT NULL DEFAULT 1,
  PRIMARY KEY (clinic_id, practitioner_id)
);
)sql"},
};

}  // namespace

std::span<const sql::Migration> Migrations() { return kMigrations; }

}  // namespace clinic::scheduling
