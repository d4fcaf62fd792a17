#pragma once

#include "clinic/patient/v1/patient_service.clinic.h"

namespace clinic::patient {

// The patient service: patient records shared under consent, labs, eligibility, treatment plans, administrations, check-ins and the access audit log.
//
// Every RPC of the contract is authenticated by the generated PatientServiceBase; an RPC
// whose Handle method is not overridden here answers UNIMPLEMENTED.
class PatientService final : public v1::PatientServiceBase {
 public:
  using PatientServiceBase::PatientServiceBase;
};

}  // namespace clinic::patient
