#include "services/inventory/schema.h"

#include "common/api/idempotency.h"
#include "common/outbox/outbox.h"

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
    {.version = 2,
     .name = "stock",
     .sql = R"sql(
ALTER TABLE products ADD COLUMN strength_value TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN strength_unit BIGINT NOT NULL DEFAULT 0;
ALTER TABLE products ADD COLUMN volume_value TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN volume_unit BIGINT NOT NULL DEFAULT 0;
ALTER TABLE clinics ADD COLUMN expiry_warning_days BIGINT NOT NULL DEFAULT 30;
ALTER TABLE clinics ADD COLUMN reservation_hold_us BIGINT NOT NULL DEFAULT 900000000;
ALTER TABLE clinics ADD COLUMN alert_role TEXT NOT NULL DEFAULT 'clinic_manager';
ALTER TABLE clinics ADD COLUMN state BIGINT NOT NULL DEFAULT 1;
-- The last ledger sequence number used at the clinic (movements are numbered 1, 2, ...).
ALTER TABLE clinics ADD COLUMN movement_seq BIGINT NOT NULL DEFAULT 0;

-- A lot of a product, the same in every clinic. expiry_day: days since 1970-01-01.
-- lot_key: the lot number upper-cased (lot numbers are unique per product regardless of
-- case).
CREATE TABLE lots (
  lot_id TEXT PRIMARY KEY,
  product_id TEXT NOT NULL REFERENCES products (product_id),
  lot_number TEXT NOT NULL,
  lot_key TEXT NOT NULL,
  expiry_day BIGINT NOT NULL,
  manufacturer TEXT NOT NULL DEFAULT '',
  recalled BOOLEAN NOT NULL DEFAULT FALSE,
  recall_reason TEXT NOT NULL DEFAULT '',
  recall_reference TEXT NOT NULL DEFAULT '',
  recall_time_us BIGINT,
  create_time_us BIGINT NOT NULL,
  UNIQUE (product_id, lot_key)
);
CREATE INDEX lots_by_expiry ON lots (product_id, expiry_day);

-- What a clinic holds of a lot. on_hand is the sum of the lot's ledger at the clinic;
-- reserved the units of its open (held or confirmed) reservations; in_transit the units
-- shipped to the clinic and not yet received. The checks are the last line of defence
-- of the invariants: never negative, never more reserved than on hand.
CREATE TABLE stock (
  clinic_id TEXT NOT NULL REFERENCES clinics (clinic_id),
  lot_id TEXT NOT NULL REFERENCES lots (lot_id),
  product_id TEXT NOT NULL REFERENCES products (product_id),
  on_hand BIGINT NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
  reserved BIGINT NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  in_transit BIGINT NOT NULL DEFAULT 0 CHECK (in_transit >= 0),
  PRIMARY KEY (clinic_id, lot_id),
  CHECK (reserved <= on_hand)
);
CREATE INDEX stock_by_product ON stock (clinic_id, product_id);

-- The append-only ledger. type, adjustment_reason: MovementType, AdjustmentReason.
CREATE TABLE movements (
  movement_id TEXT PRIMARY KEY,
  clinic_id TEXT NOT NULL REFERENCES clinics (clinic_id),
  sequence BIGINT NOT NULL,
  type BIGINT NOT NULL,
  product_id TEXT NOT NULL,
  lot_id TEXT NOT NULL REFERENCES lots (lot_id),
  quantity_delta BIGINT NOT NULL,
  on_hand_after BIGINT NOT NULL,
  adjustment_reason BIGINT NOT NULL DEFAULT 0,
  note TEXT NOT NULL DEFAULT '',
  supplier TEXT NOT NULL DEFAULT '',
  supplier_reference TEXT NOT NULL DEFAULT '',
  transfer_id TEXT NOT NULL DEFAULT '',
  reservation_id TEXT NOT NULL DEFAULT '',
  appointment TEXT NOT NULL DEFAULT '',
  patient TEXT NOT NULL DEFAULT '',
  request_id TEXT NOT NULL DEFAULT '',
  principal TEXT NOT NULL DEFAULT '',
  create_time_us BIGINT NOT NULL,
  UNIQUE (clinic_id, sequence)
);
CREATE INDEX movements_by_lot ON movements (lot_id, clinic_id);

-- Reorder level per clinic and product. below: available stock is under the level (set
-- when it crosses under, cleared when it is back at or above: one alert per crossing).
CREATE TABLE reorder_levels (
  clinic_id TEXT NOT NULL REFERENCES clinics (clinic_id),
  product_id TEXT NOT NULL REFERENCES products (product_id),
  level BIGINT NOT NULL,
  reorder_quantity BIGINT NOT NULL DEFAULT 0,
  below BOOLEAN NOT NULL DEFAULT FALSE,
  update_time_us BIGINT NOT NULL,
  version BIGINT NOT NULL DEFAULT 1,
  PRIMARY KEY (clinic_id, product_id)
);

-- Dose reservations. state, release_reason: Reservation.State, ReleaseReason. lot_id is
-- NULL while UNSERVED. use_day: days since 1970-01-01. consume_request_id: the
-- request_id of the consumption (a second one under another id is refused).
CREATE TABLE reservations (
  reservation_id TEXT PRIMARY KEY,
  clinic_id TEXT NOT NULL REFERENCES clinics (clinic_id),
  product_id TEXT NOT NULL REFERENCES products (product_id),
  quantity BIGINT NOT NULL CHECK (quantity > 0),
  use_day BIGINT NOT NULL,
  appointment TEXT NOT NULL,
  patient TEXT NOT NULL,
  lot_id TEXT REFERENCES lots (lot_id),
  state BIGINT NOT NULL,
  expire_time_us BIGINT,
  repick_count BIGINT NOT NULL DEFAULT 0,
  release_reason BIGINT NOT NULL DEFAULT 0,
  consume_time_us BIGINT,
  consume_request_id TEXT,
  create_time_us BIGINT NOT NULL,
  update_time_us BIGINT NOT NULL,
  version BIGINT NOT NULL DEFAULT 1
);
-- At most one open (held, confirmed or unserved) reservation per appointment and product.
CREATE UNIQUE INDEX reservations_open_per_appointment ON reservations (appointment, product_id)
  WHERE state IN (1, 2, 3);
CREATE INDEX reservations_by_clinic ON reservations (clinic_id, use_day);
CREATE INDEX reservations_by_lot ON reservations (lot_id, state);
CREATE INDEX reservations_held ON reservations (state, expire_time_us);

-- Transfers between clinics; items carry lot and expiry. state: Transfer.State.
CREATE TABLE transfers (
  transfer_id TEXT PRIMARY KEY,
  source_clinic_id TEXT NOT NULL REFERENCES clinics (clinic_id),
  destination_clinic_id TEXT NOT NULL REFERENCES clinics (clinic_id),
  note TEXT NOT NULL DEFAULT '',
  state BIGINT NOT NULL,
  ship_time_us BIGINT NOT NULL,
  shipped_by TEXT NOT NULL,
  close_time_us BIGINT,
  closed_by TEXT NOT NULL DEFAULT '',
  version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX transfers_by_source ON transfers (source_clinic_id, ship_time_us);
CREATE INDEX transfers_by_destination ON transfers (destination_clinic_id, ship_time_us);
CREATE TABLE transfer_items (
  transfer_id TEXT NOT NULL REFERENCES transfers (transfer_id),
  lot_id TEXT NOT NULL REFERENCES lots (lot_id),
  quantity BIGINT NOT NULL CHECK (quantity > 0),
  received_quantity BIGINT NOT NULL DEFAULT 0 CHECK (received_quantity >= 0),
  PRIMARY KEY (transfer_id, lot_id)
);

-- Alerts for staff. kind, state: AlertKind, Alert.State. dedupe_key: what makes one
-- alert per crossing (e.g. the lot for an expiry alert); one open alert per key.
CREATE TABLE alerts (
  alert_id TEXT PRIMARY KEY,
  clinic_id TEXT NOT NULL REFERENCES clinics (clinic_id),
  kind BIGINT NOT NULL,
  dedupe_key TEXT NOT NULL,
  product_id TEXT NOT NULL DEFAULT '',
  lot_id TEXT NOT NULL DEFAULT '',
  reservation_id TEXT NOT NULL DEFAULT '',
  available BIGINT NOT NULL DEFAULT 0,
  reorder_level BIGINT NOT NULL DEFAULT 0,
  state BIGINT NOT NULL,
  create_time_us BIGINT NOT NULL,
  acknowledge_time_us BIGINT,
  acknowledged_by TEXT NOT NULL DEFAULT '',
  resolve_time_us BIGINT
);
CREATE INDEX alerts_by_clinic ON alerts (clinic_id, create_time_us);
CREATE UNIQUE INDEX alerts_open_per_key ON alerts (clinic_id, kind, dedupe_key) WHERE state IN (1, 2);
)sql"},
    {.version = 3,
     .name = "idempotency_keys",
     .sqlite_sql = api::kIdempotencySqliteSql,
     .postgres_sql = api::kIdempotencyPostgresSql},
    // The standard catalogue every network starts with (DOMAIN.md): the B12 forms, the
    // add-ons, and what an injection consumes. Created at 2026-11-25T00:00:00Z, when this
    // migration was written; networks change it with UpdateProduct.
    {.version = 4,
     .name = "standard_catalogue",
     .sql = R"sql(
INSERT INTO products (product_id, sku, display_name, category, substance, form, stock_unit, prescription_only,
                      strength_value, strength_unit, volume_value, volume_unit, create_time_us, update_time_us)
VALUES
  ('hydroxocobalamin-1mg-1ml', 'HYDROXO-1MG-1ML', 'Hydroxocobalamin 1 mg/1 mL ampoule', 'PRODUCT_CATEGORY_MEDICINE',
   'ACTIVE_SUBSTANCE_HYDROXOCOBALAMIN', 'PRODUCT_FORM_AMPOULE', 'ampoule', TRUE, '1', 1, '1', 4, 1795564800000000, 1795564800000000),
  ('cyanocobalamin-1mg-1ml', 'CYANO-1MG-1ML', 'Cyanocobalamin 1 mg/1 mL ampoule', 'PRODUCT_CATEGORY_MEDICINE',
   'ACTIVE_SUBSTANCE_CYANOCOBALAMIN', 'PRODUCT_FORM_AMPOULE', 'ampoule', TRUE, '1', 1, '1', 4, 1795564800000000, 1795564800000000),
  ('methylcobalamin-1mg-1ml', 'METHYL-1MG-1ML', 'Methylcobalamin 1 mg/1 mL vial', 'PRODUCT_CATEGORY_MEDICINE',
   'ACTIVE_SUBSTANCE_METHYLCOBALAMIN', 'PRODUCT_FORM_VIAL', 'vial', TRUE, '1', 1, '1', 4, 1795564800000000, 1795564800000000),
  ('biotin-5mg-1ml', 'BIOTIN-5MG-1ML', 'Biotin 5 mg/1 mL ampoule', 'PRODUCT_CATEGORY_ADD_ON',
   'ACTIVE_SUBSTANCE_BIOTIN', 'PRODUCT_FORM_AMPOULE', 'ampoule', FALSE, '5', 1, '1', 4, 1795564800000000, 1795564800000000),
  ('folic-acid-5mg', 'FOLIC-5MG-TAB', 'Folic acid 5 mg tablet', 'PRODUCT_CATEGORY_ADD_ON',
   'ACTIVE_SUBSTANCE_FOLIC_ACID', 'PRODUCT_FORM_TABLET', 'tablet', TRUE, '5', 1, '', 0, 1795564800000000, 1795564800000000),
  ('syringe-1ml', 'SYR-1ML', 'Syringe 1 mL', 'PRODUCT_CATEGORY_CONSUMABLE',
   'ACTIVE_SUBSTANCE_NONE', 'PRODUCT_FORM_SYRINGE', 'piece', FALSE, '', 0, '1', 4, 1795564800000000, 1795564800000000),
  ('needle-23g-25mm', 'NDL-23G-25MM', 'Needle 23G 25 mm', 'PRODUCT_CATEGORY_CONSUMABLE',
   'ACTIVE_SUBSTANCE_NONE', 'PRODUCT_FORM_NEEDLE', 'piece', FALSE, '', 0, '', 0, 1795564800000000, 1795564800000000),
  ('alcohol-swab', 'SWAB-IPA', 'Alcohol swab', 'PRODUCT_CATEGORY_CONSUMABLE',
   'ACTIVE_SUBSTANCE_NONE', 'PRODUCT_FORM_SWAB', 'piece', FALSE, '', 0, '', 0, 1795564800000000, 1795564800000000)
ON CONFLICT DO NOTHING;
)sql"},
    // Staff alerts go to the notification service through the outbox (alert_store.h).
    {.version = 5,
     .name = "outbox",
     .sqlite_sql = outbox::kOutboxSqliteSql,
     .postgres_sql = outbox::kOutboxPostgresSql},
    // Every stock write looks up the clinic's UNSERVED reservations (alert_store.h).
    {.version = 6,
     .name = "reservations_by_state",
     .sql = "CREATE INDEX reservations_by_state ON reservations (clinic_id, state);"},
    // The latest clinic-local day (days since 1970-01-01) a low-stock check of the clinic
    // counted with: a check that read the clock earlier counts with it too (alert_store.cc).
    {.version = 7,
     .name = "reorder_levels_checked_day",
     .sql = "ALTER TABLE reorder_levels ADD COLUMN checked_day BIGINT NOT NULL DEFAULT 0;"},
    // The UNSERVED lookup of every stock write, in its own order: with (clinic_id, state)
    // alone SQLite preferred reservations_by_clinic for the ORDER BY and scanned every
    // reservation of the clinic (a fifth of a ReserveDose's instructions after 3k
    // reservations).
    {.version = 8,
     .name = "reservations_by_state_ordered",
     .sql = "DROP INDEX reservations_by_state;\n"
            "CREATE INDEX reservations_by_state ON reservations (clinic_id, state, use_day, reservation_id);"},
};

}  // namespace

std::span<const sql::Migration> Migrations() { return kMigrations; }

}  // namespace clinic::inventory
