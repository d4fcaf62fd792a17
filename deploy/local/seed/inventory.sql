-- Demo catalogue and clinics for the local run. Idempotent.
INSERT OR IGNORE INTO clinics (clinic_id, display_name, time_zone, create_time_us, update_time_us)
VALUES
  ('clinic-north', 'North Clinic (Leeds)', 'Europe/London', CAST(strftime('%s','now') AS INTEGER) * 1000000, CAST(strftime('%s','now') AS INTEGER) * 1000000),
  ('clinic-south', 'South Clinic (Brighton)', 'Europe/London', CAST(strftime('%s','now') AS INTEGER) * 1000000, CAST(strftime('%s','now') AS INTEGER) * 1000000);

INSERT OR IGNORE INTO products (product_id, sku, display_name, category, substance, form, stock_unit, prescription_only, create_time_us, update_time_us)
VALUES
  ('hydroxocobalamin-1mg', 'HYDROXO-1MG-1ML', 'Hydroxocobalamin 1 mg/1 mL ampoule', 'MEDICINE', 'HYDROXOCOBALAMIN', 'AMPOULE', 'ampoule', TRUE, CAST(strftime('%s','now') AS INTEGER) * 1000000, CAST(strftime('%s','now') AS INTEGER) * 1000000),
  ('cyanocobalamin-1mg', 'CYANO-1MG-1ML', 'Cyanocobalamin 1 mg/1 mL ampoule', 'MEDICINE', 'CYANOCOBALAMIN', 'AMPOULE', 'ampoule', TRUE, CAST(strftime('%s','now') AS INTEGER) * 1000000, CAST(strftime('%s','now') AS INTEGER) * 1000000),
  ('methylcobalamin-1mg', 'METHYL-1MG-1ML', 'Methylcobalamin 1 mg/1 mL vial', 'MEDICINE', 'METHYLCOBALAMIN', 'VIAL', 'vial', TRUE, CAST(strftime('%s','now') AS INTEGER) * 1000000, CAST(strftime('%s','now') AS INTEGER) * 1000000),
  ('biotin-5mg', 'BIOTIN-5MG-1ML', 'Biotin 5 mg/1 mL ampoule', 'ADD_ON', 'BIOTIN', 'AMPOULE', 'ampoule', FALSE, CAST(strftime('%s','now') AS INTEGER) * 1000000, CAST(strftime('%s','now') AS INTEGER) * 1000000),
  ('folic-acid-5mg', 'FOLIC-5MG-TAB', 'Folic acid 5 mg tablet', 'ADD_ON', 'FOLIC_ACID', 'TABLET', 'tablet', TRUE, CAST(strftime('%s','now') AS INTEGER) * 1000000, CAST(strftime('%s','now') AS INTEGER) * 1000000),
  ('syringe-1ml', 'SYR-1ML', 'Syringe 1 mL', 'CONSUMABLE', '', 'DEVICE', 'piece', FALSE, CAST(strftime('%s','now') AS INTEGER) * 1000000, CAST(strftime('%s','now') AS INTEGER) * 1000000),
  ('needle-23g', 'NDL-23G-25MM', 'Needle 23G 25 mm', 'CONSUMABLE', '', 'DEVICE', 'piece', FALSE, CAST(strftime('%s','now') AS INTEGER) * 1000000, CAST(strftime('%s','now') AS INTEGER) * 1000000),
  ('alcohol-swab', 'SWAB-IPA', 'Alcohol swab', 'CONSUMABLE', '', 'DEVICE', 'piece', FALSE, CAST(strftime('%s','now') AS INTEGER) * 1000000, CAST(strftime('%s','now') AS INTEGER) * 1000000);
