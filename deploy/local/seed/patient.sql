-- Demo patients for the local run (fictional people; phone numbers from Ofcom's drama
-- range). Amelia is registered at clinic-north and shares her record with the whole
-- network; Tom, at clinic-south, shares nothing. The default laboratory and the standard
-- regimens come with the service's start-up. Idempotent. The *_key columns are the
-- comparison forms the service computes (services/patient/patient_store.h); each patient
-- gets an empty access log (its chain starts from the 64-zero genesis hash).
INSERT OR IGNORE INTO patients (patient_id, home_clinic_id, given_name, family_name, birth_year, birth_month,
                                birth_day, sex, phone_number, email, language_code, state, given_key, family_key,
                                birth_key, phone_key, email_key, sharing_scope, sharing_grant_time_us,
                                sharing_recorded_by, consent_update_time_us, create_time_us, update_time_us)
VALUES
  ('demo-amelia-hart', 'clinic-north', 'Amelia', 'Hart', 1972, 3, 14, 1, '+447700900101', 'amelia.hart@example.com',
   'en-GB', 1, 'amelia', 'hart', '1972-03-14', '+447700900101', 'amelia.hart@example.com', 3,
   CAST(strftime('%s','now') AS INTEGER) * 1000000, 'seed', CAST(strftime('%s','now') AS INTEGER) * 1000000,
   CAST(strftime('%s','now') AS INTEGER) * 1000000, CAST(strftime('%s','now') AS INTEGER) * 1000000),
  ('demo-tom-reid', 'clinic-south', 'Tom', 'Reid', 1990, 11, 2, 2, '+447700900202', '', 'en-GB', 1, 'tom', 'reid',
   '1990-11-02', '+447700900202', NULL, 1, NULL, '', CAST(strftime('%s','now') AS INTEGER) * 1000000,
   CAST(strftime('%s','now') AS INTEGER) * 1000000, CAST(strftime('%s','now') AS INTEGER) * 1000000);
INSERT OR IGNORE INTO access_log_heads (patient_id, last_sequence, last_hash)
VALUES ('demo-amelia-hart', 0, '0000000000000000000000000000000000000000000000000000000000000000'),
       ('demo-tom-reid', 0, '0000000000000000000000000000000000000000000000000000000000000000');
INSERT OR IGNORE INTO contact_consents (patient_id, channel, state, grant_time_us, preferred)
VALUES ('demo-amelia-hart', 1, 1, CAST(strftime('%s','now') AS INTEGER) * 1000000, TRUE),
       ('demo-tom-reid', 1, 1, CAST(strftime('%s','now') AS INTEGER) * 1000000, TRUE);
