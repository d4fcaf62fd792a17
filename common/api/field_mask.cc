#include "common/api/field_mask.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace clinic::api {

std::set<std::string> CheckUpdateMask(const google::protobuf::FieldMask& mask,
                                      std::initializer_list<std::string_view> allowed, status::FieldViolations& bad) {
  std::set<std::string> paths;
  if (mask.paths_size() == 0) {
    bad.Add("update_mask", "required: name the fields to change");
    return paths;
  }
  for (const std::string& path : mask.paths()) {
    if (std::find(allowed.begin(), allowed.end(), path) == allowed.end()) {
      bad.Add("update_mask", absl::StrCat("path \"", path, "\" cannot be updated; allowed: ",
                                          absl::StrJoin(std::vector<std::string>(allowed.begin(), allowed.end()), ", ")));
      continue;
    }
    paths.insert(path);
  }
  return paths;
}

}  // namespace clinic::api
