#include "services/inventory/catalogue_store.h"

#include <utility>

#include "common/api/convert.h"
#include "google/protobuf/util/field_mask_util.h"
#include "common/status/status.h"

namespace clinic::inventory::store {
namespace {

constexpr std::string_view kProductColumns =
    "product_id, sku, display_name, category, substance, form, stock_unit, prescription_only, active, "
    "create_time_us, update_time_us, version, strength_value, strength_unit, volume_value, volume_unit";

type::v1::Quantity QuantityOf(const std::string& value, int64_t unit) {
  type::v1::Quantity q;
  q.mutable_value()->set_value(value);
  q.set_unit(static_cast<type::v1::QuantityUnit>(unit));
  return q;
}

v1::Product ProductFromRow(const sql::Row& row) {
  v1::Product p;
  p.set_name("products/" + row.GetText(0));
  p.set_sku(row.GetText(1));
  p.set_display_name(row.GetText(2));
  v1::ProductCategory category = v1::PRODUCT_CATEGORY_UNSPECIFIED;
  v1::ProductCategory_Parse(row.GetText(3), &category);
  p.set_category(category);
  v1::ActiveSubstance substance = v1::ACTIVE_SUBSTANCE_UNSPECIFIED;
  v1::ActiveSubstance_Parse(row.GetText(4), &substance);
  p.set_substance(substance);
  v1::ProductForm form = v1::PRODUCT_FORM_UNSPECIFIED;
  v1::ProductForm_Parse(row.GetText(5), &form);
  p.set_form(form);
  p.set_stock_unit(row.GetText(6));
  p.set_prescription_only(row.GetBool(7));
  p.set_state(row.GetBool(8) ? v1::Product::STATE_ACTIVE : v1::Product::STATE_DISCONTINUED);
  *p.mutable_create_time() = api::TimestampFromMicros(row.GetInt64(9));
  *p.mutable_update_time() = api::TimestampFromMicros(row.GetInt64(10));
  p.set_etag(api::Etag(row.GetInt64(11)));
  if (!row.GetText(12).empty()) *p.mutable_strength() = QuantityOf(row.GetText(12), row.GetInt64(13));
  if (!row.GetText(14).empty()) *p.mutable_volume() = QuantityOf(row.GetText(14), row.GetInt64(15));
  return p;
}

// The stored (text) form of the enums: their proto names, e.g. "PRODUCT_CATEGORY_MEDICINE".
std::vector<sql::Value> ProductValues(const v1::Product& p) {
  std::vector<sql::Value> values;
  values.reserve(14);
  values.emplace_back(p.sku());
  values.emplace_back(p.display_name());
  values.emplace_back(v1::ProductCategory_Name(p.category()));
  values.emplace_back(v1::ActiveSubstance_Name(p.substance()));
  values.emplace_back(v1::ProductForm_Name(p.form()));
  values.emplace_back(p.stock_unit());
  values.emplace_back(p.prescription_only());
  values.emplace_back(p.state() != v1::Product::STATE_DISCONTINUED);
  values.emplace_back(p.strength().value().value());  // "" when unset
  values.emplace_back(static_cast<int64_t>(p.strength().unit()));
  values.emplace_back(p.volume().value().value());
  values.emplace_back(static_cast<int64_t>(p.volume().unit()));
  return values;
}

absl::Status StaleEtag(std::string_view what) {
  return absl::AbortedError(std::string(what) + " changed since it was read (stale etag); read it again");
}

constexpr std::string_view kClinicColumns =
    "clinic_id, time_zone, expiry_warning_days, reservation_hold_us, alert_role, state, create_time_us, "
    "update_time_us, version";

v1::Clinic ClinicFromRow(const sql::Row& row) {
  v1::Clinic c;
  c.set_name("clinics/" + row.GetText(0));
  c.set_time_zone(row.GetText(1));
  c.set_expiry_warning_days(static_cast<int32_t>(row.GetInt64(2)));
  *c.mutable_reservation_hold() = api::ToDuration(absl::Microseconds(row.GetInt64(3)));
  c.set_alert_role(row.GetText(4));
  c.set_state(static_cast<v1::Clinic::State>(row.GetInt64(5)));
  *c.mutable_create_time() = api::TimestampFromMicros(row.GetInt64(6));
  *c.mutable_update_time() = api::TimestampFromMicros(row.GetInt64(7));
  c.set_etag(api::Etag(row.GetInt64(8)));
  return c;
}

constexpr std::string_view kLevelColumns = "clinic_id, product_id, level, reorder_quantity, update_time_us, version";

v1::ReorderLevel LevelFromRow(const sql::Row& row) {
  v1::ReorderLevel l;
  l.set_name("clinics/" + row.GetText(0) + "/reorderLevels/" + row.GetText(1));
  l.set_product("products/" + row.GetText(1));
  l.set_level(row.GetInt64(2));
  l.set_reorder_quantity(row.GetInt64(3));
  *l.mutable_update_time() = api::TimestampFromMicros(row.GetInt64(4));
  l.set_etag(api::Etag(row.GetInt64(5)));
  return l;
}

// Copies the fields named by `paths` (top-level field names) from `from` into `to`; a
// message field named but unset in `from` is cleared (AIP-134).
void MergeFields(const google::protobuf::Message& from, const std::set<std::string>& paths,
                 google::protobuf::Message* to) {
  google::protobuf::FieldMask mask;
  for (const std::string& path : paths) mask.add_paths(path);
  google::protobuf::util::FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(from, mask, options, to);
}

absl::StatusOr<std::optional<sql::Row>> QueryOne(sql::Transaction& tx, const std::string& query,
                                                 std::initializer_list<sql::Value> params) {
  absl::StatusOr<sql::ResultSet> rows = tx.Query(query, params);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::nullopt;
  return (*rows)[0];
}

}  // namespace

absl::Status InsertProduct(sql::Transaction& tx, const std::string& product_id, const v1::Product& product,
                           absl::Time now, v1::Product* out) {
  std::vector<sql::Value> values = ProductValues(product);
  values[7] = true;  // a new product is active
  values.emplace_back(absl::ToUnixMicros(now));
  values.emplace_back(product_id);
  absl::StatusOr<int64_t> inserted = tx.Execute(
      "INSERT INTO products (product_id, sku, display_name, category, substance, form, stock_unit, "
      "prescription_only, active, strength_value, strength_unit, volume_value, volume_unit, create_time_us, "
      "update_time_us) VALUES ($14, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) "
      "ON CONFLICT DO NOTHING",
      values);
  if (!inserted.ok()) return inserted.status();
  if (*inserted == 0) {
    absl::StatusOr<std::optional<sql::Row>> existing = QueryOne(
        tx, "SELECT product_id FROM products WHERE product_id = $1 OR sku = $2", {product_id, product.sku()});
    if (!existing.ok()) return existing.status();
    const std::string name = existing->has_value() ? "products/" + (*existing)->GetText(0) : "";
    return status::AlreadyExists("clinic.inventory.v1.Product", name, "a product with this id or sku exists");
  }
  absl::StatusOr<v1::Product> stored = GetProduct(tx, product_id);
  if (!stored.ok()) return stored.status();
  *out = *std::move(stored);
  return absl::OkStatus();
}

absl::StatusOr<v1::Product> GetProduct(sql::Transaction& tx, std::string_view product_id) {
  absl::StatusOr<std::optional<sql::Row>> row =
      QueryOne(tx, "SELECT " + std::string(kProductColumns) + " FROM products WHERE product_id = $1",
               {std::string(product_id)});
  if (!row.ok()) return row.status();
  if (!row->has_value()) return absl::NotFoundError("no such product");
  return ProductFromRow(**row);
}

absl::Status ListProducts(sql::Transaction& tx, v1::ProductCategory category, bool show_discontinued,
                          const PageRequest& page, std::vector<v1::Product>* out) {
  const bool first = page.after.size() != 2;
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      "SELECT " + std::string(kProductColumns) +
          " FROM products WHERE ($1 = '' OR category = $1) AND ($2 OR active) "
          "AND ($3 OR display_name > $4 OR (display_name = $4 AND product_id > $5)) "
          "ORDER BY display_name, product_id LIMIT $6",
      {category == v1::PRODUCT_CATEGORY_UNSPECIFIED ? std::string() : v1::ProductCategory_Name(category),
       show_discontinued, first, first ? std::string() : page.after[0], first ? std::string() : page.after[1],
       page.limit});
  if (!rows.ok()) return rows.status();
  for (const sql::Row& row : *rows) out->push_back(ProductFromRow(row));
  return absl::OkStatus();
}

absl::Status UpdateProduct(sql::Transaction& tx, std::string_view product_id, const v1::Product& product,
                           const std::set<std::string>& paths, std::optional<int64_t> expected_version,
                           absl::Time now, v1::Product* out) {
  absl::StatusOr<v1::Product> current = GetProduct(tx, product_id);
  if (!current.ok()) return current.status();
  if (expected_version.has_value() && api::Etag(*expected_version) != current->etag()) return StaleEtag("the product");
  MergeFields(product, paths, &*current);
  std::vector<sql::Value> values = ProductValues(*current);
  values.emplace_back(absl::ToUnixMicros(now));
  values.emplace_back(std::string(product_id));
  absl::StatusOr<int64_t> updated = tx.Execute(
      "UPDATE products SET sku = $1, display_name = $2, category = $3, substance = $4, form = $5, stock_unit = $6, "
      "prescription_only = $7, active = $8, strength_value = $9, strength_unit = $10, volume_value = $11, "
      "volume_unit = $12, update_time_us = $13, version = version + 1 WHERE product_id = $14",
      values);
  if (!updated.ok()) return updated.status();
  absl::StatusOr<v1::Product> stored = GetProduct(tx, product_id);
  if (!stored.ok()) return stored.status();
  *out = *std::move(stored);
  return absl::OkStatus();
}

absl::Status InsertClinic(sql::Transaction& tx, const std::string& clinic_id, const v1::Clinic& clinic,
                          absl::Time now, v1::Clinic* out) {
  const int64_t hold_us = clinic.has_reservation_hold()
                              ? absl::ToInt64Microseconds(api::FromDuration(clinic.reservation_hold()))
                              : absl::ToInt64Microseconds(absl::Minutes(15));
  absl::StatusOr<int64_t> inserted = tx.Execute(
      "INSERT INTO clinics (clinic_id, display_name, time_zone, expiry_warning_days, reservation_hold_us, "
      "alert_role, state, create_time_us, update_time_us) VALUES ($1, '', $2, $3, $4, $5, $6, $7, $7) "
      "ON CONFLICT DO NOTHING",
      {clinic_id, clinic.time_zone(), clinic.expiry_warning_days() == 0 ? 30 : clinic.expiry_warning_days(),
       hold_us, clinic.alert_role().empty() ? std::string("clinic_manager") : clinic.alert_role(),
       static_cast<int64_t>(v1::Clinic::STATE_ACTIVE), absl::ToUnixMicros(now)});
  if (!inserted.ok()) return inserted.status();
  if (*inserted == 0) {
    return status::AlreadyExists("clinic.inventory.v1.Clinic", "clinics/" + clinic_id, "the clinic is registered");
  }
  absl::StatusOr<v1::Clinic> stored = GetClinic(tx, clinic_id);
  if (!stored.ok()) return stored.status();
  *out = *std::move(stored);
  return absl::OkStatus();
}

absl::StatusOr<v1::Clinic> GetClinic(sql::Transaction& tx, std::string_view clinic_id) {
  absl::StatusOr<std::optional<sql::Row>> row = QueryOne(
      tx, "SELECT " + std::string(kClinicColumns) + " FROM clinics WHERE clinic_id = $1", {std::string(clinic_id)});
  if (!row.ok()) return row.status();
  if (!row->has_value()) return absl::NotFoundError("no such clinic");
  return ClinicFromRow(**row);
}

absl::StatusOr<ClinicSettings> GetClinicSettings(sql::Transaction& tx, std::string_view clinic_id) {
  absl::StatusOr<v1::Clinic> clinic = GetClinic(tx, clinic_id);
  if (!clinic.ok()) return clinic.status();
  ClinicSettings settings;
  settings.clinic_id = std::string(clinic_id);
  if (!absl::LoadTimeZone(clinic->time_zone(), &settings.zone)) {
    return absl::InternalError("the clinic's stored time zone is unknown to this host (is tzdata installed?)");
  }
  settings.reservation_hold = api::FromDuration(clinic->reservation_hold());
  settings.expiry_warning_days = clinic->expiry_warning_days();
  settings.alert_role = clinic->alert_role();
  settings.active = clinic->state() == v1::Clinic::STATE_ACTIVE;
  return settings;
}

absl::Status ListClinics(sql::Transaction& tx, const PageRequest& page, std::vector<v1::Clinic>* out) {
  absl::StatusOr<sql::ResultSet> rows =
      tx.Query("SELECT " + std::string(kClinicColumns) + " FROM clinics WHERE clinic_id > $1 ORDER BY clinic_id LIMIT $2",
               {page.after.empty() ? std::string() : page.after[0], page.limit});
  if (!rows.ok()) return rows.status();
  for (const sql::Row& row : *rows) out->push_back(ClinicFromRow(row));
  return absl::OkStatus();
}

absl::Status UpdateClinic(sql::Transaction& tx, std::string_view clinic_id, const v1::Clinic& clinic,
                          const std::set<std::string>& paths, std::optional<int64_t> expected_version,
                          absl::Time now, v1::Clinic* out) {
  absl::StatusOr<v1::Clinic> current = GetClinic(tx, clinic_id);
  if (!current.ok()) return current.status();
  if (expected_version.has_value() && api::Etag(*expected_version) != current->etag()) return StaleEtag("the clinic");
  MergeFields(clinic, paths, &*current);
  absl::StatusOr<int64_t> updated = tx.Execute(
      "UPDATE clinics SET time_zone = $1, expiry_warning_days = $2, reservation_hold_us = $3, alert_role = $4, "
      "state = $5, update_time_us = $6, version = version + 1 WHERE clinic_id = $7",
      {current->time_zone(), current->expiry_warning_days(),
       absl::ToInt64Microseconds(api::FromDuration(current->reservation_hold())), current->alert_role(),
       static_cast<int64_t>(current->state()), absl::ToUnixMicros(now), std::string(clinic_id)});
  if (!updated.ok()) return updated.status();
  absl::StatusOr<v1::Clinic> stored = GetClinic(tx, clinic_id);
  if (!stored.ok()) return stored.status();
  *out = *std::move(stored);
  return absl::OkStatus();
}

absl::Status UpsertReorderLevel(sql::Transaction& tx, const std::string& clinic_id, const std::string& product_id,
                                const v1::ReorderLevel& level, const std::set<std::string>& paths,
                                std::optional<int64_t> expected_version, bool allow_missing, absl::Time now,
                                v1::ReorderLevel* out) {
  if (absl::StatusOr<v1::Clinic> c = GetClinic(tx, clinic_id); !c.ok()) return c.status();
  if (absl::StatusOr<v1::Product> p = GetProduct(tx, product_id); !p.ok()) return p.status();
  const std::string select =
      "SELECT " + std::string(kLevelColumns) + " FROM reorder_levels WHERE clinic_id = $1 AND product_id = $2";
  absl::StatusOr<std::optional<sql::Row>> row = QueryOne(tx, select, {clinic_id, product_id});
  if (!row.ok()) return row.status();
  v1::ReorderLevel merged;
  if (row->has_value()) {
    merged = LevelFromRow(**row);
    if (expected_version.has_value() && api::Etag(*expected_version) != merged.etag()) {
      return StaleEtag("the reorder level");
    }
  } else if (!allow_missing) {
    return absl::NotFoundError("no reorder level for this product at the clinic (set allow_missing to create it)");
  }
  MergeFields(level, paths, &merged);
  absl::StatusOr<int64_t> written = tx.Execute(
      "INSERT INTO reorder_levels (clinic_id, product_id, level, reorder_quantity, update_time_us) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (clinic_id, product_id) DO UPDATE SET level = excluded.level, "
      "reorder_quantity = excluded.reorder_quantity, update_time_us = excluded.update_time_us, "
      "version = reorder_levels.version + 1",
      {clinic_id, product_id, merged.level(), merged.reorder_quantity(), absl::ToUnixMicros(now)});
  if (!written.ok()) return written.status();
  row = QueryOne(tx, select, {clinic_id, product_id});
  if (!row.ok()) return row.status();
  *out = LevelFromRow(**row);
  return absl::OkStatus();
}

absl::Status ListReorderLevels(sql::Transaction& tx, std::string_view clinic_id, const PageRequest& page,
                               std::vector<v1::ReorderLevel>* out) {
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      "SELECT " + std::string(kLevelColumns) +
          " FROM reorder_levels WHERE clinic_id = $1 AND product_id > $2 ORDER BY product_id LIMIT $3",
      {std::string(clinic_id), page.after.empty() ? std::string() : page.after[0], page.limit});
  if (!rows.ok()) return rows.status();
  for (const sql::Row& row : *rows) out->push_back(LevelFromRow(row));
  return absl::OkStatus();
}

}  // namespace clinic::inventory::store
