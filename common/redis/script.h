#pragma once

#include <string>

namespace clinic::redis {

// A Lua script and its SHA1, run with Client::RunScript (EVALSHA, falling back to EVAL
// when Redis answers NOSCRIPT, e.g. after a restart or SCRIPT FLUSH).
//
// Immutable after construction, so one Script may be shared by any number of threads.
// Hold scripts as members of the component that uses them, not as globals.
class Script {
 public:
  explicit Script(std::string source);

  const std::string& source() const { return source_; }
  // 40 lowercase hex digits, as SCRIPT LOAD would answer.
  const std::string& sha1() const { return sha1_; }

 private:
  std::string source_;
  std::string sha1_;
};

}  // namespace clinic::redis
