#pragma once

// Values bound to statement placeholders and read back from result columns.
//
// The portable value types are the ones that mean the same thing on SQLite and
// PostgreSQL: 64-bit integers (BIGINT), doubles (DOUBLE PRECISION / REAL), text (TEXT,
// UTF-8), bytes (BYTEA / BLOB, binary-safe), booleans (BOOLEAN; SQLite stores 0/1) and
// NULL. Times are stored as int64 microseconds since the Unix epoch by the caller.

#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace clinic::sql {

// One SQL value. Copyable; owns its text and bytes.
//
//   tx.Execute("INSERT INTO lots(id, expires_us, note, photo) VALUES ($1, $2, $3, $4)",
//              {lot_id, expires_us, Value(), Value::Bytes(jpeg)});
//
// Integers of any width become int64 (callers keep unsigned values below 2^63),
// const char*/std::string/std::string_view become text, std::optional<T> becomes NULL
// or T. Bytes must be made explicitly with Value::Bytes().
class Value {
 public:
  enum class Type { kNull, kInt64, kDouble, kBool, kText, kBytes };

  Value() = default;  // NULL
  Value(std::nullptr_t) {}  // NOLINT: implicit so that `nullptr` reads as NULL
  Value(bool v) : rep_(v) {}  // NOLINT
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  Value(T v) : rep_(static_cast<int64_t>(v)) {}  // NOLINT
  template <std::floating_point T>
  Value(T v) : rep_(static_cast<double>(v)) {}  // NOLINT
  Value(std::string v) : rep_(std::move(v)) {}  // NOLINT
  Value(std::string_view v) : rep_(std::string(v)) {}  // NOLINT
  Value(const char* v) : rep_(std::string(v)) {}  // NOLINT
  template <typename T>
  Value(const std::optional<T>& v) {  // NOLINT
    if (v.has_value()) *this = Value(*v);
  }

  // A BYTEA / BLOB value: arbitrary bytes, embedded zeros included.
  static Value Bytes(std::string data) {
    Value v;
    v.rep_ = BytesRep{std::move(data)};
    return v;
  }

  Type type() const { return static_cast<Type>(rep_.index()); }
  bool is_null() const { return type() == Type::kNull; }

  // Accessors for the exact type; calling one for another type is a programming error
  // and aborts. Row offers the converting getters most callers want.
  int64_t int64() const { return std::get<int64_t>(rep_); }
  double dbl() const { return std::get<double>(rep_); }
  bool boolean() const { return std::get<bool>(rep_); }
  // Text or bytes.
  const std::string& str() const;

  friend bool operator==(const Value&, const Value&) = default;

 private:
  struct BytesRep {
    std::string data;
    friend bool operator==(const BytesRep&, const BytesRep&) = default;
  };
  // The index order matches Type.
  std::variant<std::monostate, int64_t, double, bool, std::string, BytesRep> rep_;
};

// The name of a Value::Type, for messages ("int64", "text", ...).
std::string_view TypeName(Value::Type type);

// One result row: values by column index (0-based) or by column name.
//
// The typed getters convert where both backends need it: GetBool accepts an integer
// (SQLite has no boolean storage class), GetInt64 accepts a boolean, GetDouble accepts an
// integer, GetText and GetBytes accept either string kind. Anything else — NULL, a column
// out of range, an unknown name, an impossible conversion — is a programming error (check
// IsNull() for nullable columns first) and aborts with a message naming the column and
// the types, never the value.
class Row {
 public:
  Row(std::shared_ptr<const std::vector<std::string>> columns, std::vector<Value> values)
      : columns_(std::move(columns)), values_(std::move(values)) {}

  int size() const { return static_cast<int>(values_.size()); }
  const std::vector<std::string>& columns() const { return *columns_; }
  // The index of the first column called `name`, or -1.
  int ColumnIndex(std::string_view name) const;

  const Value& value(int col) const;
  bool IsNull(int col) const { return value(col).is_null(); }
  int64_t GetInt64(int col) const;
  double GetDouble(int col) const;
  bool GetBool(int col) const;
  const std::string& GetText(int col) const;
  const std::string& GetBytes(int col) const;

  const Value& value(std::string_view name) const { return value(Index(name)); }
  bool IsNull(std::string_view name) const { return IsNull(Index(name)); }
  int64_t GetInt64(std::string_view name) const { return GetInt64(Index(name)); }
  double GetDouble(std::string_view name) const { return GetDouble(Index(name)); }
  bool GetBool(std::string_view name) const { return GetBool(Index(name)); }
  const std::string& GetText(std::string_view name) const { return GetText(Index(name)); }
  const std::string& GetBytes(std::string_view name) const { return GetBytes(Index(name)); }

 private:
  int Index(std::string_view name) const;  // aborts if absent
  const std::string& GetString(int col, Value::Type wanted) const;

  std::shared_ptr<const std::vector<std::string>> columns_;
  std::vector<Value> values_;
};

// The rows a query returned, fully read into memory (bound your queries with LIMIT).
class ResultSet {
 public:
  ResultSet() : columns_(std::make_shared<const std::vector<std::string>>()) {}
  ResultSet(std::shared_ptr<const std::vector<std::string>> columns, std::vector<Row> rows)
      : columns_(std::move(columns)), rows_(std::move(rows)) {}

  const std::vector<std::string>& columns() const { return *columns_; }
  size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }
  const Row& operator[](size_t i) const { return rows_[i]; }
  std::vector<Row>::const_iterator begin() const { return rows_.begin(); }
  std::vector<Row>::const_iterator end() const { return rows_.end(); }

 private:
  std::shared_ptr<const std::vector<std::string>> columns_;
  std::vector<Row> rows_;
};

}  // namespace clinic::sql
