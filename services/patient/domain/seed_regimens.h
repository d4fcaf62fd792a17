#pragma once

// The regimens the server seeds (clinic.patient.v1.Regimen), as data. Every one gives
// 1 mg (the hydroxocobalamin 1 mg/1 mL ampoule) intramuscularly:
//
//   regimens/clinic-standard      loading: 1 a week, 4 doses
//                                 maintenance: 1 a month, indefinitely
//   regimens/bnf-no-neurological  loading: 3 a week, 6 doses (BNF: "three times a week
//                                 for 2 weeks", as a count so that a missed visit is made
//                                 up rather than dropped)
//                                 maintenance: 1 every 2 months, every_max 3 (BNF: "every
//                                 2-3 months"; scheduling uses 2, the clinician may
//                                 stretch to 3), indefinitely
//   regimens/bnf-neurological     loading: 1 every 2 days (alternate days), until the
//                                 clinician's review finds no further improvement
//                                 maintenance: 1 every 2 months, indefinitely
//
// Each passes ValidateRegimen (treatment_validation.h).

#include <string_view>
#include <vector>

#include "clinic/patient/v1/treatment.pb.h"

namespace clinic::patient::domain {

inline constexpr std::string_view kClinicStandardRegimen = "regimens/clinic-standard";
inline constexpr std::string_view kBnfNoNeurologicalRegimen = "regimens/bnf-no-neurological";
inline constexpr std::string_view kBnfNeurologicalRegimen = "regimens/bnf-neurological";

// The seeded regimens, in the order above, with name, display_name, description, dose,
// route, phases and state ACTIVE set (times and etag left to the store).
std::vector<v1::Regimen> SeedRegimens();

}  // namespace clinic::patient::domain
