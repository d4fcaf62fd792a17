-- Demo network for the local run: two clinics and their practitioners. Idempotent.
INSERT OR IGNORE INTO clinics (clinic_id, display_name, time_zone, phone_number, language_code, create_time_us, update_time_us)
VALUES
  ('clinic-north', 'North Clinic (Leeds)', 'Europe/London', '+441130000001', 'en', CAST(strftime('%s','now') AS INTEGER) * 1000000, CAST(strftime('%s','now') AS INTEGER) * 1000000),
  ('clinic-south', 'South Clinic (Brighton)', 'Europe/London', '+441273000002', 'en', CAST(strftime('%s','now') AS INTEGER) * 1000000, CAST(strftime('%s','now') AS INTEGER) * 1000000);

INSERT OR IGNORE INTO practitioners (clinic_id, practitioner_id, display_name, principal, profession, can_prescribe, create_time_us, update_time_us)
VALUES
  ('clinic-north', 'dr-amara', 'Dr Amara (demo)', 'dr-amara', 'DOCTOR', TRUE, CAST(strftime('%s','now') AS INTEGER) * 1000000, CAST(strftime('%s','now') AS INTEGER) * 1000000),
  ('clinic-north', 'nurse-ben', 'Nurse Ben (demo)', 'nurse-ben', 'NURSE', FALSE, CAST(strftime('%s','now') AS INTEGER) * 1000000, CAST(strftime('%s','now') AS INTEGER) * 1000000),
  ('clinic-south', 'np-chloe', 'Chloe, nurse prescriber (demo)', 'np-chloe', 'NURSE', TRUE, CAST(strftime('%s','now') AS INTEGER) * 1000000, CAST(strftime('%s','now') AS INTEGER) * 1000000),
  ('clinic-south', 'nurse-dev', 'Nurse Dev (demo)', 'nurse-dev', 'NURSE', FALSE, CAST(strftime('%s','now') AS INTEGER) * 1000000, CAST(strftime('%s','now') AS INTEGER) * 1000000);
