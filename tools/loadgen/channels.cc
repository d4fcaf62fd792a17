#include "tools/loadgen/channels.h"

#include <grpc/grpc.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/support/channel_arguments.h>

namespace clinic::loadgen {

std::vector<std::shared_ptr<grpc::Channel>> MakeChannels(
    const std::string& target, int count,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  channels.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    grpc::ChannelArguments args;
    // Both make the subchannel distinct: a local pool, and an argument unique per
    // channel (subchannels are keyed by their arguments).
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("clinic.loadgen.channel_index", i);
    args.SetMaxReceiveMessageSize(kMaxMessageBytes);
    args.SetMaxSendMessageSize(kMaxMessageBytes);
    channels.push_back(grpc::CreateCustomChannel(target, credentials, args));
  }
  return channels;
}

}  // namespace clinic::loadgen
