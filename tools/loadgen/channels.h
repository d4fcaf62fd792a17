#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>

#include <memory>
#include <string>
#include <vector>

namespace clinic::loadgen {

// Largest message either side accepts, as on the clinic servers (4 MiB).
inline constexpr int kMaxMessageBytes = 4 * 1024 * 1024;

// `count` channels to `target`, each with its own subchannel and so its own TCP
// connection (gRPC would otherwise share one connection between channels with equal
// arguments), which spreads the load over several HTTP/2 connections as a fleet of
// clients would.
std::vector<std::shared_ptr<grpc::Channel>> MakeChannels(
    const std::string& target, int count,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials);

}  // namespace clinic::loadgen
