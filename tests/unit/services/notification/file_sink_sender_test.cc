#include "services/notification/file_sink_sender.h"

#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nlohmann/json.hpp"
#include "tests/support/fake_clock.h"
#include "tests/support/temp_dir.h"

namespace clinic::notification {
namespace {

using ::clinic::testing::FakeClock;
using ::clinic::testing::TempDir;

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

OutgoingMessage Message(std::string key) {
  OutgoingMessage m;
  m.channel = type::v1::CONTACT_CHANNEL_SMS;
  m.address = "+447700900123";
  m.body = "See you at Soho on Tue 4 Jun at 09:30";
  m.idempotency_key = std::move(key);
  m.reminder = "reminders/r1";
  return m;
}

std::unique_ptr<FileSinkSender> Open(const std::string& path, const Clock& clock) {
  absl::StatusOr<std::unique_ptr<FileSinkSender>> sink = FileSinkSender::Open(path, clock, {});
  EXPECT_TRUE(sink.ok()) << sink.status();
  return sink.ok() ? *std::move(sink) : nullptr;
}

TEST(FileSinkSenderTest, AppendsOneJsonLinePerMessage) {
  TempDir dir;
  FakeClock clock;
  auto sink = Open(dir.File("sink.jsonl"), clock);
  ASSERT_NE(sink, nullptr);
  EXPECT_EQ(sink->Send(Message("k1")).kind, SendOutcome::Kind::kDelivered);
  OutgoingMessage email = Message("k2");
  email.channel = type::v1::CONTACT_CHANNEL_EMAIL;
  email.address = "a@example.org";
  email.subject = "Your appointment";
  EXPECT_EQ(sink->Send(email).kind, SendOutcome::Kind::kDelivered);
  const std::vector<std::string> lines = Lines(dir.File("sink.jsonl"));
  ASSERT_EQ(lines.size(), 2u);
  const nlohmann::json first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["idempotency_key"], "k1");
  EXPECT_EQ(first["channel"], "SMS");
  EXPECT_EQ(first["to"], "+447700900123");
  EXPECT_EQ(first["body"], "See you at Soho on Tue 4 Jun at 09:30");
  EXPECT_EQ(first["reminder"], "reminders/r1");
  const nlohmann::json second = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(second["channel"], "EMAIL");
  EXPECT_EQ(second["subject"], "Your appointment");
}

TEST(FileSinkSenderTest, SameKeyTwiceReachesTheFileOnce) {
  TempDir dir;
  FakeClock clock;
  auto sink = Open(dir.File("sink.jsonl"), clock);
  ASSERT_NE(sink, nullptr);
  EXPECT_EQ(sink->Send(Message("k1")).kind, SendOutcome::Kind::kDelivered);
  EXPECT_EQ(sink->Send(Message("k1")).kind, SendOutcome::Kind::kDelivered);
  EXPECT_EQ(Lines(dir.File("sink.jsonl")).size(), 1u);
}

TEST(FileSinkSenderTest, ABatchAppendsTheMessagesNotYetInTheFileOnceEach) {
  TempDir dir;
  FakeClock clock;
  auto sink = Open(dir.File("sink.jsonl"), clock);
  auto other = Open(dir.File("sink.jsonl"), clock);  // another process on the same file
  ASSERT_NE(sink, nullptr);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(sink->Send(Message("k1")).kind, SendOutcome::Kind::kDelivered);
  const std::vector<OutgoingMessage> batch = {Message("k1"), Message("k2"), Message("k2"), Message("k3")};
  const std::vector<SendOutcome> outcomes = sink->SendBatch(batch);
  ASSERT_EQ(outcomes.size(), batch.size());
  for (const SendOutcome& o : outcomes) EXPECT_EQ(o.kind, SendOutcome::Kind::kDelivered);
  const std::vector<OutgoingMessage> overlapping = {Message("k3"), Message("k4")};
  for (const SendOutcome& o : other->SendBatch(overlapping)) EXPECT_EQ(o.kind, SendOutcome::Kind::kDelivered);
  EXPECT_TRUE(sink->SendBatch({}).empty());

  std::vector<std::string> keys;
  for (const std::string& line : Lines(dir.File("sink.jsonl"))) {
    keys.push_back(nlohmann::json::parse(line)["idempotency_key"].get<std::string>());
  }
  EXPECT_THAT(keys, ::testing::ElementsAre("k1", "k2", "k3", "k4"));
}

TEST(FileSinkSenderTest, KeysSurviveARestart) {
  TempDir dir;
  FakeClock clock;
  {
    auto sink = Open(dir.File("sink.jsonl"), clock);
    ASSERT_NE(sink, nullptr);
    sink->Send(Message("k1"));
  }
  auto restarted = Open(dir.File("sink.jsonl"), clock);
  ASSERT_NE(restarted, nullptr);
  EXPECT_EQ(restarted->Send(Message("k1")).kind, SendOutcome::Kind::kDelivered);
  EXPECT_EQ(restarted->Send(Message("k2")).kind, SendOutcome::Kind::kDelivered);
  EXPECT_EQ(Lines(dir.File("sink.jsonl")).size(), 2u);
}

TEST(FileSinkSenderTest, TwoSendersOnOneFileShareTheirKeys) {
  TempDir dir;
  FakeClock clock;
  auto a = Open(dir.File("sink.jsonl"), clock);
  auto b = Open(dir.File("sink.jsonl"), clock);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  a->Send(Message("k1"));
  b->Send(Message("k1"));
  b->Send(Message("k2"));
  a->Send(Message("k2"));
  EXPECT_EQ(Lines(dir.File("sink.jsonl")).size(), 2u);
}

TEST(FileSinkSenderTest, TornLastLineIsIgnoredAndTheNextLineStandsAlone) {
  TempDir dir;
  FakeClock clock;
  {
    std::ofstream out(dir.File("sink.jsonl"));
    out << R"({"idempotency_key":"k0","body":"x"})" << "\n" << R"({"idempotency_key":"k1","bo)";
  }
  auto sink = Open(dir.File("sink.jsonl"), clock);
  ASSERT_NE(sink, nullptr);
  sink->Send(Message("k0"));  // already there
  sink->Send(Message("k1"));  // torn: never delivered
  const std::vector<std::string> lines = Lines(dir.File("sink.jsonl"));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(lines[2])["idempotency_key"], "k1");
}

TEST(FileSinkSenderTest, ConcurrentSendsOfTheSameKeysWriteEachOnce) {
  TempDir dir;
  FakeClock clock;
  auto sink = Open(dir.File("sink.jsonl"), clock);
  ASSERT_NE(sink, nullptr);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) sink->Send(Message("k" + std::to_string(i)));
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(Lines(dir.File("sink.jsonl")).size(), 50u);
}

TEST(FileSinkSenderTest, UnopenablePathIsUnavailable) {
  FakeClock clock;
  EXPECT_EQ(FileSinkSender::Open("/nonexistent-dir/sink.jsonl", clock, {}).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace clinic::notification
