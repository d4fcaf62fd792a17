#pragma once

#include "clinic/scheduling/v1/scheduling_service.clinic.h"

namespace clinic::scheduling {

// The scheduling service: clinics, practitioners, appointment types, appointments and injection courses.
//
// Every RPC of the contract is authenticated by the generated SchedulingServiceBase; an RPC
// whose Handle method is not overridden here answers UNIMPLEMENTED.
class SchedulingService final : public v1::SchedulingServiceBase {
 public:
  using SchedulingServiceBase::SchedulingServiceBase;
};

}  // namespace clinic::scheduling
