-- Demo clinics for the local run (the standard product catalogue comes with the
-- inventory service's migrations). Idempotent.
INSERT OR IGNORE INTO clinics (clinic_id, display_name, time_zone, create_time_us, update_time_us)
VALUES
  ('clinic-north', 'North Clinic (Leeds)', 'Europe/London', CAST(strftime('%s','now') AS INTEGER) * 1000000, CAST(strftime('%s','now') AS INTEGER) * 1000000),
  ('clinic-south', 'South Clinic (Brighton)', 'Europe/London', CAST(strftime('%s','now') AS INTEGER) * 1000000, CAST(strftime('%s','now') AS INTEGER) * 1000000);
