#pragma once

// Readable gtest output for redis::Reply (test-only: replies may hold personal data,
// so production code has no printer).

#include <ostream>

#include "common/redis/reply.h"

namespace clinic::redis {

inline void PrintTo(const Reply& reply, std::ostream* os) {
  switch (reply.type()) {
    case Reply::Type::kNil:
      *os << "nil";
      return;
    case Reply::Type::kInteger:
      *os << "(integer) " << reply.integer();
      return;
    case Reply::Type::kArray:
      *os << "[";
      for (size_t i = 0; i < reply.size(); ++i) {
        if (i > 0) *os << ", ";
        PrintTo(reply[i], os);
      }
      *os << "]";
      return;
    default:
      *os << "(" << TypeName(reply.type()) << ") \"" << reply.str().substr(0, 200) << "\"";
  }
}

}  // namespace clinic::redis
