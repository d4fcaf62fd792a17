#include "common/sql/value.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/sql/internal/strings.h"

namespace clinic::sql {
namespace {

using internal::AbslView;

// Reading a column as a type it cannot hold is a bug in the caller's SQL or code, not
// something the environment can cause: abort loudly (never printing the value).
[[noreturn]] void Fatal(const std::string& message) {
  std::fprintf(stderr, "clinic::sql: %s\n", message.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace

const std::string& Value::str() const {
  if (const auto* text = std::get_if<std::string>(&rep_)) return *text;
  if (const auto* bytes = std::get_if<BytesRep>(&rep_)) return bytes->data;
  Fatal(absl::StrCat("Value::str() on a ", AbslView(TypeName(type())), " value"));
}

std::string_view TypeName(Value::Type type) {
  switch (type) {
    case Value::Type::kNull: return "null";
    case Value::Type::kInt64: return "int64";
    case Value::Type::kDouble: return "double";
    case Value::Type::kBool: return "bool";
    case Value::Type::kText: return "text";
    case Value::Type::kBytes: return "bytes";
  }
  return "unknown";
}

int Row::ColumnIndex(std::string_view name) const {
  for (size_t i = 0; i < columns_->size(); ++i) {
    if ((*columns_)[i] == name) return static_cast<int>(i);
  }
  return -1;
}

int Row::Index(std::string_view name) const {
  int i = ColumnIndex(name);
  if (i < 0) Fatal(absl::StrCat("no column named '", AbslView(name), "' in the result"));
  return i;
}

const Value& Row::value(int col) const {
  if (col < 0 || col >= size()) {
    Fatal(absl::StrCat("column ", col, " out of range: the row has ", size(), " columns"));
  }
  return values_[static_cast<size_t>(col)];
}

namespace {

[[noreturn]] void BadType(const std::vector<std::string>& columns, int col, Value::Type have,
                          std::string_view wanted) {
  std::string name = static_cast<size_t>(col) < columns.size() ? columns[static_cast<size_t>(col)] : "?";
  Fatal(absl::StrCat("column ", col, " (", name, ") holds ", AbslView(TypeName(have)), ", read as ", AbslView(wanted)));
}

}  // namespace

int64_t Row::GetInt64(int col) const {
  const Value& v = value(col);
  switch (v.type()) {
    case Value::Type::kInt64: return v.int64();
    case Value::Type::kBool: return v.boolean() ? 1 : 0;
    default: BadType(*columns_, col, v.type(), "int64");
  }
}

double Row::GetDouble(int col) const {
  const Value& v = value(col);
  switch (v.type()) {
    case Value::Type::kDouble: return v.dbl();
    case Value::Type::kInt64: return static_cast<double>(v.int64());
    default: BadType(*columns_, col, v.type(), "double");
  }
}

bool Row::GetBool(int col) const {
  const Value& v = value(col);
  switch (v.type()) {
    case Value::Type::kBool: return v.boolean();
    case Value::Type::kInt64: return v.int64() != 0;
    default: BadType(*columns_, col, v.type(), "bool");
  }
}

const std::string& Row::GetString(int col, Value::Type wanted) const {
  const Value& v = value(col);
  if (v.type() != Value::Type::kText && v.type() != Value::Type::kBytes) {
    BadType(*columns_, col, v.type(), TypeName(wanted));
  }
  return v.str();
}

const std::string& Row::GetText(int col) const { return GetString(col, Value::Type::kText); }
const std::string& Row::GetBytes(int col) const { return GetString(col, Value::Type::kBytes); }

}  // namespace clinic::sql
