#pragma once

// Update masks (AIP-134): which fields an Update request changes.

#include <initializer_list>
#include <set>
#include <string>
#include <string_view>

#include "common/status/status.h"
#include "google/protobuf/field_mask.pb.h"

namespace clinic::api {

// The paths of `mask`, each checked against `allowed`. An empty mask, "*", or a path not
// in `allowed` adds a violation for "update_mask". Returns the valid paths.
std::set<std::string> CheckUpdateMask(const google::protobuf::FieldMask& mask,
                                      std::initializer_list<std::string_view> allowed, status::FieldViolations& bad);

}  // namespace clinic::api
