// The hiredis client against a real redis-server, one per test.

#include <signal.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/redis/client.h"
#include "common/redis/eviction_policy.h"
#include "common/redis/hiredis_client.h"
#include "tests/integration/redis/reply_printer.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/redis_server.h"
#include "tests/support/status_matchers.h"

namespace clinic::redis {
namespace {

using ::clinic::testing::IsOk;
using ::clinic::testing::RedisServer;
using ::clinic::testing::StatusIs;
using ::clinic::testing::WaitFor;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr auto kRecoveryTimeout = std::chrono::seconds(20);

class RedisClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<HiredisClient> MakeClient(ClientOptions options = {}) {
    if (options.url == ClientOptions().url) options.url = server_.url();
    absl::StatusOr<std::unique_ptr<HiredisClient>> client = HiredisClient::Create(options);
    EXPECT_THAT(client, IsOk());
    return client.ok() ? *std::move(client) : nullptr;
  }

  // A reply that must be OK; its value.
  static Reply Must(absl::StatusOr<Reply> reply) {
    EXPECT_THAT(reply, IsOk());
    return reply.ok() ? *std::move(reply) : Reply::Error("call failed");
  }

  // A field of INFO <section>, e.g. InfoField("clients", "blocked_clients").
  static std::string InfoField(Client& client, std::string_view section, std::string_view field) {
    absl::StatusOr<Reply> info = client.Command({"INFO", section});
    if (!info.ok() || !info->is_string()) return "";
    const std::string prefix = std::string(field) + ":";
    const std::string& text = info->str();
    const size_t pos = text.find(prefix);
    if (pos == std::string::npos) return "";
    const size_t end = text.find("\r\n", pos);
    return text.substr(pos + prefix.size(), end - pos - prefix.size());
  }

  RedisServer server_;
};

TEST_F(RedisClientTest, BasicCommandsAndReplyTypes) {
  auto client = MakeClient();
  ASSERT_NE(client, nullptr);

  EXPECT_EQ(Must(client->Command({"PING"})), Reply::Status("PONG"));
  EXPECT_EQ(Must(client->Command({"SET", "greeting", "hello"})), Reply::Status("OK"));
  EXPECT_EQ(Must(client->Command({"GET", "greeting"})), Reply::String("hello"));
  EXPECT_TRUE(Must(client->Command({"GET", "absent"})).is_nil());
  EXPECT_EQ(Must(client->Command({"INCRBY", "counter", "41"})).integer(), 41);
  EXPECT_EQ(Must(client->Command({"INCR", "counter"})).AsInteger(), 42);
  EXPECT_EQ(Must(client->Command({"RPUSH", "list", "a", "b", "c"})).integer(), 3);
  EXPECT_EQ(Must(client->Command({"LRANGE", "list", "0", "-1"})),
            Reply::Array({Reply::String("a"), Reply::String("b"), Reply::String("c")}));
  EXPECT_EQ(Must(client->Command({"LRANGE", "absent", "0", "-1"})), Reply::Array({}));
}

TEST_F(RedisClientTest, ArgumentsAndValuesAreBinarySafe) {
  auto client = MakeClient();
  ASSERT_NE(client, nullptr);

  const std::string key("patient\0:\r\n1", 12);
  std::string value("\0\r\n$3\r\n\xff\xfe", 10);
  // And a large value, crossing hiredis's buffer sizes.
  for (int i = 0; i < 256 * 1024; ++i) value.push_back(static_cast<char>(i % 256));

  EXPECT_EQ(Must(client->Command({"SET", key, value})), Reply::Status("OK"));
  const Reply got = Must(client->Command({"GET", key}));
  ASSERT_TRUE(got.is_string());
  EXPECT_EQ(got.str().size(), value.size());
  EXPECT_TRUE(got.str() == value);
  // The key with the zero byte is a different key from its prefix.
  EXPECT_TRUE(Must(client->Command({"GET", "patient"})).is_nil());
  EXPECT_EQ(Must(client->Command({"STRLEN", key})).integer(), static_cast<int64_t>(value.size()));
}

TEST_F(RedisClientTest, ErrorRepliesBecomeStatusesWithoutArguments) {
  auto client = MakeClient();
  ASSERT_NE(client, nullptr);

  ASSERT_THAT(client->Command({"SET", "patient-4711", "x"}), IsOk());
  EXPECT_THAT(client->Command({"LPUSH", "patient-4711", "y"}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("WRONGTYPE"), Not(HasSubstr("patient-4711")))));
  EXPECT_THAT(client->Command({"NOSUCHCOMMAND", "patient-4711", "more"}),
              StatusIs(absl::StatusCode::kInternal,
                       AllOf(HasSubstr("unknown command"), Not(HasSubstr("patient-4711")))));
  EXPECT_THAT(client->Command({}), StatusIs(absl::StatusCode::kInvalidArgument));
  // The connection is still good after error replies.
  EXPECT_EQ(Must(client->Command({"GET", "patient-4711"})), Reply::String("x"));
  EXPECT_EQ(client->stats().error_replies, 2u);
}

TEST_F(RedisClientTest, PipelineReturnsRepliesInOrder) {
  auto client = MakeClient();
  ASSERT_NE(client, nullptr);

  constexpr int kCommands = 500;
  Pipeline pipeline;
  for (int i = 0; i < kCommands; ++i) {
    const std::string n = absl::StrCat(i);
    pipeline.Add({"SET", absl::StrCat("key:", n), n});
  }
  for (int i = 0; i < kCommands; ++i) pipeline.Add({"INCR", "counter"});
  pipeline.Add({"INCR", "key:"});  // absent: 1
  pipeline.Add({"LPUSH", "key:1", "x"});  // an error in the middle
  for (int i = 0; i < kCommands; ++i) pipeline.Add({"GET", absl::StrCat("key:", i)});

  absl::StatusOr<std::vector<absl::StatusOr<Reply>>> replies = client->Execute(pipeline);
  ASSERT_THAT(replies, IsOk());
  ASSERT_EQ(replies->size(), pipeline.size());
  size_t r = 0;
  for (int i = 0; i < kCommands; ++i, ++r) EXPECT_EQ(Must((*replies)[r]), Reply::Status("OK"));
  for (int i = 0; i < kCommands; ++i, ++r) EXPECT_EQ(Must((*replies)[r]).integer(), i + 1);
  EXPECT_EQ(Must((*replies)[r++]).integer(), 1);
  EXPECT_THAT((*replies)[r++], StatusIs(absl::StatusCode::kFailedPrecondition));
  for (int i = 0; i < kCommands; ++i, ++r) {
    EXPECT_EQ(Must((*replies)[r]), Reply::String(absl::StrCat(i)));
  }
  EXPECT_EQ(client->stats().commands, pipeline.size());

  // An empty pipeline is no round trip and no error.
  absl::StatusOr<std::vector<absl::StatusOr<Reply>>> none = client->Execute(Pipeline());
  ASSERT_THAT(none, IsOk());
  EXPECT_TRUE(none->empty());
}

TEST_F(RedisClientTest, ScriptRunsBySha) {
  auto client = MakeClient();
  ASSERT_NE(client, nullptr);
  const Script script("return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3]}");

  // Our SHA1 is the one Redis computes.
  EXPECT_EQ(Must(client->Command({"SCRIPT", "LOAD", script.source()})), Reply::String(script.sha1()));
  ASSERT_THAT(client->Command({"CONFIG", "RESETSTAT"}), IsOk());

  const std::string binary("a\0b", 3);
  EXPECT_EQ(Must(client->RunScript(script, {"k1", "k2"}, {"a1", binary, ""})),
            Reply::Array({Reply::String("k1"), Reply::String("k2"), Reply::String("a1"),
                          Reply::String(binary), Reply::String("")}));
  // Run by EVALSHA alone: no EVAL was needed.
  EXPECT_EQ(InfoField(*client, "commandstats", "cmdstat_eval"), "");
  EXPECT_THAT(InfoField(*client, "commandstats", "cmdstat_evalsha"), HasSubstr("calls=1,"));
  EXPECT_THAT(InfoField(*client, "commandstats", "cmdstat_evalsha"), HasSubstr("failed_calls=0"));
}

TEST_F(RedisClientTest, ScriptIsLoadedAgainAfterFlush) {
  auto client = MakeClient();
  ASSERT_NE(client, nullptr);
  const Script script("return redis.call('INCRBY', KEYS[1], ARGV[1])");

  // Never loaded: NOSCRIPT, then EVAL.
  EXPECT_EQ(Must(client->RunScript(script, {"n"}, {"5"})).integer(), 5);
  EXPECT_EQ(Must(client->Command({"SCRIPT", "EXISTS", script.sha1()})), Reply::Array({Reply::Integer(1)}));
  EXPECT_EQ(Must(client->RunScript(script, {"n"}, {"5"})).integer(), 10);

  ASSERT_THAT(client->Command({"SCRIPT", "FLUSH"}), IsOk());
  EXPECT_EQ(Must(client->Command({"SCRIPT", "EXISTS", script.sha1()})), Reply::Array({Reply::Integer(0)}));
  ASSERT_THAT(client->Command({"CONFIG", "RESETSTAT"}), IsOk());
  EXPECT_EQ(Must(client->RunScript(script, {"n"}, {"5"})).integer(), 15);
  EXPECT_EQ(Must(client->Command({"SCRIPT", "EXISTS", script.sha1()})), Reply::Array({Reply::Integer(1)}));
  // Exactly one EVALSHA (NOSCRIPT) and one EVAL: the script ran once.
  EXPECT_THAT(InfoField(*client, "commandstats", "cmdstat_evalsha"), HasSubstr("calls=1,"));
  EXPECT_THAT(InfoField(*client, "commandstats", "cmdstat_eval"), HasSubstr("calls=1,"));
  EXPECT_EQ(client->stats().error_replies, 0u);
}

TEST_F(RedisClientTest, ScriptErrorsSurfaceAsStatuses) {
  auto client = MakeClient();
  ASSERT_NE(client, nullptr);

  const Script refuses("return redis.error_reply('QUEUE_EMPTY no job is due')");
  EXPECT_THAT(client->RunScript(refuses, {"q"}, {"patient-4711"}),
              StatusIs(absl::StatusCode::kInternal,
                       AllOf(HasSubstr("QUEUE_EMPTY no job is due"), Not(HasSubstr("patient-4711")))));

  ASSERT_THAT(client->Command({"SET", "str", "x"}), IsOk());
  const Script wrong_type("return redis.call('LPUSH', KEYS[1], ARGV[1])");
  EXPECT_THAT(client->RunScript(wrong_type, {"str"}, {"patient-4711"}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("WRONGTYPE"), Not(HasSubstr("patient-4711")))));

  const Script broken("this is not lua");
  EXPECT_THAT(client->RunScript(broken, {}, {}), StatusIs(absl::StatusCode::kInternal));
  // Still usable.
  EXPECT_EQ(Must(client->Command({"GET", "str"})), Reply::String("x"));
}

TEST_F(RedisClientTest, RedisKilledIsUnavailableThenTheSameClientRecovers) {
  ClientOptions options;
  options.pool_size = 3;
  auto client = MakeClient(options);
  ASSERT_NE(client, nullptr);
  // Warm up every pooled connection so that all of them go stale at the kill.
  {
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i) {
      threads.emplace_back([&] { EXPECT_THAT(client->Command({"SET", "before", "1"}), IsOk()); });
    }
    for (auto& t : threads) t.join();
  }

  server_.Kill();
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(client->Command({"GET", "before"}), StatusIs(absl::StatusCode::kUnavailable));
  }
  Pipeline pipeline;
  pipeline.Add({"PING"});
  EXPECT_THAT(client->Execute(pipeline), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(client->RunScript(Script("return 1"), {}, {}), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_GE(client->stats().unavailable, 7u);

  server_.Start();
  EXPECT_TRUE(WaitFor([&] { return client->Command({"PING"}).ok(); }, kRecoveryTimeout));
  // A fresh server without persistence: the old key is gone, new ones work.
  EXPECT_TRUE(Must(client->Command({"GET", "before"})).is_nil());
  EXPECT_EQ(Must(client->Command({"SET", "after", "2"})), Reply::Status("OK"));
  EXPECT_EQ(Must(client->Command({"GET", "after"})), Reply::String("2"));
  EXPECT_EQ(Must(client->RunScript(Script("return 7"), {}, {})).integer(), 7);
}

TEST_F(RedisClientTest, StaleConnectionsAreReplacedBeforeUse) {
  ClientOptions options;
  options.pool_size = 1;
  auto client = MakeClient(options);
  ASSERT_NE(client, nullptr);
  ASSERT_THAT(client->Command({"CLIENT", "SETNAME", "victim"}), IsOk());

  // Redis drops the idle connection (as after a restart or its idle timeout).
  auto admin = MakeClient();
  ASSERT_NE(admin, nullptr);
  EXPECT_EQ(Must(admin->Command({"CLIENT", "KILL", "SKIPME", "yes", "TYPE", "normal"})).integer(), 1);
  ASSERT_TRUE(WaitFor([&] { return InfoField(*admin, "clients", "connected_clients") == "1"; },
                      kRecoveryTimeout));

  // The next call notices before sending and reconnects: no UNAVAILABLE.
  EXPECT_EQ(Must(client->Command({"CLIENT", "GETNAME"})), Reply::Nil());
  EXPECT_EQ(client->stats().connects, 2u);
  EXPECT_EQ(client->stats().unavailable, 0u);
}

TEST_F(RedisClientTest, CommandTimeoutIsUnavailableAndTheConnectionIsNotReused) {
  ClientOptions options;
  options.pool_size = 1;
  options.command_timeout = absl::Milliseconds(100);
  auto client = MakeClient(options);
  ASSERT_NE(client, nullptr);

  EXPECT_THAT(client->Command({"DEBUG", "SLEEP", "1"}),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("timed out")));
  // Had the connection been reused, this would read DEBUG's late "+OK" as ECHO's reply.
  CallOptions patient;
  patient.timeout = absl::Seconds(10);
  EXPECT_EQ(Must(client->Command({"ECHO", "hello"}, patient)), Reply::String("hello"));
  EXPECT_EQ(Must(client->Command({"ECHO", "again"})), Reply::String("again"));
}

TEST_F(RedisClientTest, BlockedCommandTimesOutAndPerCallTimeoutOverrides) {
  ClientOptions options;
  options.pool_size = 1;
  options.command_timeout = absl::Milliseconds(100);
  auto client = MakeClient(options);
  auto admin = MakeClient();
  ASSERT_NE(client, nullptr);
  ASSERT_NE(admin, nullptr);

  EXPECT_THAT(client->Command({"BLPOP", "jobs", "30"}),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("timed out")));
  ASSERT_THAT(admin->Command({"RPUSH", "jobs", "late"}), IsOk());
  // A reused connection would now read the abandoned BLPOP's ["jobs", "late"].
  EXPECT_EQ(Must(client->Command({"PING"})), Reply::Status("PONG"));

  // A per-call timeout longer than the default lets a blocking command wait.
  ASSERT_THAT(admin->Command({"DEL", "jobs"}), IsOk());
  absl::StatusOr<Reply> popped;
  std::thread waiter([&] {
    CallOptions call;
    call.timeout = absl::Seconds(30);
    popped = client->Command({"BLPOP", "jobs", "0"}, call);
  });
  EXPECT_TRUE(WaitFor([&] { return InfoField(*admin, "clients", "blocked_clients") == "1"; },
                      kRecoveryTimeout));
  ASSERT_THAT(admin->Command({"RPUSH", "jobs", "job-1"}), IsOk());
  waiter.join();
  EXPECT_EQ(Must(popped), Reply::Array({Reply::String("jobs"), Reply::String("job-1")}));
}

TEST_F(RedisClientTest, PoolWaitExceededIsUnavailable) {
  ClientOptions options;
  options.pool_size = 1;
  options.pool_wait_timeout = absl::Milliseconds(50);
  auto client = MakeClient(options);
  auto admin = MakeClient();
  ASSERT_NE(client, nullptr);
  ASSERT_NE(admin, nullptr);

  absl::StatusOr<Reply> popped;
  std::thread holder([&] {
    CallOptions call;
    call.timeout = absl::Seconds(30);
    popped = client->Command({"BLPOP", "jobs", "0"}, call);
  });
  // The only connection is busy in BLPOP.
  EXPECT_TRUE(WaitFor([&] { return InfoField(*admin, "clients", "blocked_clients") == "1"; },
                      kRecoveryTimeout));
  EXPECT_THAT(client->Command({"PING"}), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("pool")));
  EXPECT_EQ(client->stats().pool_timeouts, 1u);

  ASSERT_THAT(admin->Command({"RPUSH", "jobs", "job-1"}), IsOk());
  holder.join();
  EXPECT_THAT(popped, IsOk());
  EXPECT_EQ(Must(client->Command({"PING"})), Reply::Status("PONG"));
}

TEST_F(RedisClientTest, ClosedPortIsUnavailableButCreateSucceeds) {
  ClientOptions options;
  options.url = absl::StrCat("redis://127.0.0.1:", ::clinic::testing::PickFreePort());
  absl::StatusOr<std::unique_ptr<HiredisClient>> client = HiredisClient::Create(options);
  ASSERT_THAT(client, IsOk());  // services start while Redis is down
  // A reset connection must not kill the process: SIGPIPE is no longer fatal.
  struct sigaction sigpipe {};
  ASSERT_EQ(::sigaction(SIGPIPE, nullptr, &sigpipe), 0);
  EXPECT_EQ(sigpipe.sa_handler, SIG_IGN);
  EXPECT_THAT((*client)->Command({"PING"}),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("connection refused")));
  EXPECT_THAT((*client)->Command({"PING"}), StatusIs(absl::StatusCode::kUnavailable));
  const EvictionPolicyCheck check = WarnUnlessNoEviction(**client);
  EXPECT_EQ(check.verdict, EvictionPolicyCheck::Verdict::kUnknown);
  EXPECT_THAT(check.error, StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(RedisClientTest, ConcurrentIncrementsLandExactly) {
  ClientOptions options;
  options.pool_size = 3;  // fewer connections than threads: calls wait for each other
  options.pool_wait_timeout = absl::Seconds(30);
  options.command_timeout = absl::Seconds(30);
  auto client = MakeClient(options);
  ASSERT_NE(client, nullptr);

  constexpr int kThreads = 8;
  constexpr int kPerThread = 300;
  const Script incr("return redis.call('INCR', KEYS[1])");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        absl::StatusOr<Reply> r = (i % 3 == 0) ? client->RunScript(incr, {"counter"}, {})
                                               : client->Command({"INCR", "counter"});
        if (!r.ok() || !r->is_integer()) failures.fetch_add(1);
        if (i % 50 == 0) {
          Pipeline p;
          p.Add({"SET", absl::StrCat("thread:", t), absl::StrCat(i)}).Add({"GET", absl::StrCat("thread:", t)});
          absl::StatusOr<std::vector<absl::StatusOr<Reply>>> both = client->Execute(p);
          if (!both.ok() || !(*both)[1].ok() || (*both)[1]->str() != absl::StrCat(i)) failures.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Must(client->Command({"GET", "counter"})), Reply::String(absl::StrCat(kThreads * kPerThread)));
  EXPECT_LE(client->stats().connects, 3u);
}

TEST_F(RedisClientTest, EvictionPolicyCheck) {
  auto client = MakeClient();
  ASSERT_NE(client, nullptr);

  ASSERT_THAT(client->Command({"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"}), IsOk());
  EvictionPolicyCheck check = WarnUnlessNoEviction(*client);
  EXPECT_EQ(check.verdict, EvictionPolicyCheck::Verdict::kMayEvict);
  EXPECT_EQ(check.policy, "allkeys-lru");
  EXPECT_THAT(check.error, IsOk());

  ASSERT_THAT(client->Command({"CONFIG", "SET", "maxmemory-policy", "noeviction"}), IsOk());
  check = WarnUnlessNoEviction(*client);
  EXPECT_EQ(check.verdict, EvictionPolicyCheck::Verdict::kNoEviction);
  EXPECT_EQ(check.policy, "noeviction");

  // A user without CONFIG, as on managed Redis: the policy cannot be checked.
  ASSERT_THAT(client->Command({"ACL", "SETUSER", "app", "on", ">app-pass", "~*", "&*", "+@all", "-config"}),
              IsOk());
  ClientOptions limited;
  limited.url = absl::StrCat("redis://app:app-pass@127.0.0.1:", server_.port());
  auto app = MakeClient(limited);
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(Must(app->Command({"SET", "k", "v"})), Reply::Status("OK"));  // AUTH as "app" worked
  check = WarnUnlessNoEviction(*app);
  EXPECT_EQ(check.verdict, EvictionPolicyCheck::Verdict::kUnknown);
  EXPECT_THAT(check.error, StatusIs(absl::StatusCode::kInternal, HasSubstr("NOPERM")));
  EXPECT_TRUE(check.policy.empty());
}

TEST_F(RedisClientTest, PasswordAndDatabaseFromTheUrl) {
  auto admin = MakeClient();
  ASSERT_NE(admin, nullptr);
  ASSERT_THAT(admin->Command({"CONFIG", "SET", "requirepass", "s3cret"}), IsOk());

  ClientOptions options;
  options.url = absl::StrCat("redis://:s3cret@127.0.0.1:", server_.port(), "/3");
  auto db3 = MakeClient(options);
  ASSERT_NE(db3, nullptr);
  EXPECT_EQ(Must(db3->Command({"SET", "where", "db3"})), Reply::Status("OK"));
  options.url = absl::StrCat("redis://:s3cret@127.0.0.1:", server_.port());
  auto db0 = MakeClient(options);
  ASSERT_NE(db0, nullptr);
  EXPECT_TRUE(Must(db0->Command({"GET", "where"})).is_nil());
  EXPECT_EQ(Must(db3->Command({"GET", "where"})), Reply::String("db3"));

  options.url = absl::StrCat("redis://:wrong@127.0.0.1:", server_.port());
  auto wrong = MakeClient(options);
  ASSERT_NE(wrong, nullptr);
  EXPECT_THAT(wrong->Command({"PING"}),
              StatusIs(absl::StatusCode::kInternal, AllOf(HasSubstr("AUTH failed"), Not(HasSubstr("wrong")))));
}

TEST_F(RedisClientTest, BadOptionsAreInvalidArgument) {
  ClientOptions options;
  options.url = "redis://:s3cret@127.0.0.1:notaport";
  EXPECT_THAT(HiredisClient::Create(options),
              StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr("s3cret"))));
  options.url = "http://127.0.0.1:6379";
  EXPECT_THAT(HiredisClient::Create(options), StatusIs(absl::StatusCode::kInvalidArgument));

  options.url = server_.url();
  options.pool_size = 0;
  EXPECT_THAT(HiredisClient::Create(options), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pool_size")));
  options.pool_size = 1;
  options.command_timeout = absl::ZeroDuration();
  EXPECT_THAT(HiredisClient::Create(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("command_timeout")));
}

}  // namespace
}  // namespace clinic::redis
