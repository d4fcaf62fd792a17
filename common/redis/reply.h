#pragma once

// A Redis reply as a plain value.
//
// The hiredis client converts each redisReply into a Reply and frees the original at
// once, so no hiredis memory outlives the call that produced it and a Reply (or any of
// its elements) can be kept, copied and moved freely. Values are small next to the
// network round trip that produced them, so the copy is not a concern.
//
// Fakes of redis::Client build replies with the static constructors.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace clinic::redis {

class Reply {
 public:
  enum class Type {
    kNil,      // a missing value (e.g. GET of an absent key)
    kString,   // a bulk string (binary-safe)
    kInteger,  // a signed 64-bit integer
    kArray,    // a list of replies (may nest)
    kStatus,   // a simple status such as "OK" or "QUEUED"
    kError,    // an error nested inside an array (e.g. in an EXEC result); a
               // top-level error reply is returned as an absl::Status instead
  };

  // A nil reply.
  Reply() = default;

  static Reply Nil() { return Reply(); }
  static Reply String(std::string value) { return Reply(Type::kString, std::move(value)); }
  static Reply Status(std::string value) { return Reply(Type::kStatus, std::move(value)); }
  static Reply Error(std::string value) { return Reply(Type::kError, std::move(value)); }
  static Reply Integer(int64_t value);
  static Reply Array(std::vector<Reply> elements);

  Type type() const { return type_; }
  bool is_nil() const { return type_ == Type::kNil; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_integer() const { return type_ == Type::kInteger; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_status() const { return type_ == Type::kStatus; }
  bool is_error() const { return type_ == Type::kError; }

  // The bytes of a string, status or error reply. Precondition: one of those types
  // (checked: the process aborts otherwise — test the type first when unsure).
  const std::string& str() const;
  // The value of an integer reply. Precondition: is_integer() (checked).
  int64_t integer() const;
  // The elements of an array reply. Precondition: is_array() (checked).
  const std::vector<Reply>& elements() const;
  // elements().size(); 0 for anything but an array.
  size_t size() const { return elements_.size(); }
  // elements()[i]. Precondition: is_array() and i < size() (checked).
  const Reply& operator[](size_t i) const;

  // Lenient accessors for replies whose type depends on the data:
  // the string of a string or status reply, nullopt for anything else (e.g. nil).
  std::optional<std::string_view> AsString() const;
  // The integer of an integer reply, nullopt for anything else.
  std::optional<int64_t> AsInteger() const;

  // Moves the string out (precondition as for str()); the reply is left nil.
  std::string TakeString() &&;

  friend bool operator==(const Reply& a, const Reply& b);
  friend bool operator!=(const Reply& a, const Reply& b) { return !(a == b); }

 private:
  Reply(Type type, std::string value) : type_(type), str_(std::move(value)) {}

  Type type_ = Type::kNil;
  std::string str_;
  int64_t integer_ = 0;
  std::vector<Reply> elements_;
};

// "nil", "string", "integer", "array", "status" or "error".
std::string_view TypeName(Reply::Type type);

}  // namespace clinic::redis
