#pragma once

#include <span>

#include "common/sql/migrations.h"

namespace clinic::scheduling {

// The scheduling service's schema, as versioned migrations applied at start-up.
std::span<const sql::Migration> Migrations();

}  // namespace clinic::scheduling
