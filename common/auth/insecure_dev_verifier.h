#pragma once

#include <memory>

#include "common/auth/token_verifier.h"
#include "common/clock/clock.h"

namespace clinic::auth {

// FOR EXPERIMENTS ONLY (--insecure_dev_auth). Believes a token's claims WITHOUT checking
// its signature (expiry, subject and role are still required and checked), and treats a
// call without any token as the development principal {subject "dev", role
// network_admin}. Anyone who can reach the port can act as anyone. The server logs a
// loud warning when it is in use.
std::unique_ptr<TokenVerifier> NewInsecureDevVerifier(const Clock& clock);

// The principal given to calls without a token under --insecure_dev_auth.
Principal DevPrincipal();

}  // namespace clinic::auth
