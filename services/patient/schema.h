#pragma once

#include <span>

#include "common/sql/migrations.h"

namespace clinic::patient {

// The patient service's schema, as versioned migrations applied at start-up.
std::span<const sql::Migration> Migrations();

}  // namespace clinic::patient
