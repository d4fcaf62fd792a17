#include "common/redis/reply.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

namespace clinic::redis {
namespace {

// A reply of the wrong type is a programming error in the caller, not something the
// environment can cause: stop loudly rather than return a made-up value.
[[noreturn]] void WrongType(const char* accessor, Reply::Type type) {
  std::fprintf(stderr, "clinic::redis::Reply::%s called on a %s reply\n", accessor,
               std::string(TypeName(type)).c_str());
  std::abort();
}

}  // namespace

Reply Reply::Integer(int64_t value) {
  Reply reply;
  reply.type_ = Type::kInteger;
  reply.integer_ = value;
  return reply;
}

Reply Reply::Array(std::vector<Reply> elements) {
  Reply reply;
  reply.type_ = Type::kArray;
  reply.elements_ = std::move(elements);
  return reply;
}

const std::string& Reply::str() const {
  if (type_ != Type::kString && type_ != Type::kStatus && type_ != Type::kError) {
    WrongType("str", type_);
  }
  return str_;
}

int64_t Reply::integer() const {
  if (type_ != Type::kInteger) WrongType("integer", type_);
  return integer_;
}

const std::vector<Reply>& Reply::elements() const {
  if (type_ != Type::kArray) WrongType("elements", type_);
  return elements_;
}

const Reply& Reply::operator[](size_t i) const {
  if (type_ != Type::kArray) WrongType("operator[]", type_);
  if (i >= elements_.size()) {
    std::fprintf(stderr, "clinic::redis::Reply::operator[]: index %zu of %zu elements\n", i,
                 elements_.size());
    std::abort();
  }
  return elements_[i];
}

std::optional<std::string_view> Reply::AsString() const {
  if (type_ != Type::kString && type_ != Type::kStatus) return std::nullopt;
  return std::string_view(str_);
}

std::optional<int64_t> Reply::AsInteger() const {
  if (type_ != Type::kInteger) return std::nullopt;
  return integer_;
}

std::string Reply::TakeString() && {
  if (type_ != Type::kString && type_ != Type::kStatus && type_ != Type::kError) {
    WrongType("TakeString", type_);
  }
  std::string out = std::move(str_);
  *this = Reply();
  return out;
}

bool operator==(const Reply& a, const Reply& b) {
  if (a.type_ != b.type_) return false;
  switch (a.type_) {
    case Reply::Type::kNil:
      return true;
    case Reply::Type::kInteger:
      return a.integer_ == b.integer_;
    case Reply::Type::kArray:
      return a.elements_ == b.elements_;
    case Reply::Type::kString:
    case Reply::Type::kStatus:
    case Reply::Type::kError:
      return a.str_ == b.str_;
  }
  return false;
}

std::string_view TypeName(Reply::Type type) {
  switch (type) {
    case Reply::Type::kNil:
      return "nil";
    case Reply::Type::kString:
      return "string";
    case Reply::Type::kInteger:
      return "integer";
    case Reply::Type::kArray:
      return "array";
    case Reply::Type::kStatus:
      return "status";
    case Reply::Type::kError:
      return "error";
  }
  return "unknown";
}

}  // namespace clinic::redis
