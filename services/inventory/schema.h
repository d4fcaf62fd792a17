#pragma once

#include <span>

#include "common/sql/migrations.h"

namespace clinic::inventory {

// The inventory service's schema, as versioned migrations applied at start-up.
std::span<const sql::Migration> Migrations();

}  // namespace clinic::inventory
