#pragma once

namespace clinic::testing {

// Returns a TCP port on 127.0.0.1 that was free a moment ago (bound to port 0 and
// released). Another process may take it before the caller binds it, so callers that
// start a server retry with a new port when the bind fails.
int PickFreePort();

}  // namespace clinic::testing
