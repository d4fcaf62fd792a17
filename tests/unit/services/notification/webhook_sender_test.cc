#include "services/notification/webhook_sender.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/sync/mutex.h"
#include "common/sync/notification.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "tests/support/ports.h"

namespace clinic::notification {
namespace {

// A provider gateway on a free loopback port: records what it receives and answers
// with the statuses it is told.
class FakeGateway {
 public:
  struct Received {
    std::string path;
    std::string idempotency_key;
    std::string authorization;
    std::string content_type;
    std::string body;
  };

  FakeGateway() {
    const auto record = [this](const httplib::Request& req) {
      sync::MutexLock lock(&mu_);
      received_.push_back({req.path, req.get_header_value("Idempotency-Key"), req.get_header_value("Authorization"),
                           req.get_header_value("Content-Type"), req.body});
    };
    server_.Post("/ok", [record](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.status = 202;
    });
    server_.Post("/flaky", [this, record](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.status = flaky_calls_++ < 2 ? 503 : 200;
    });
    server_.Post("/down", [record](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.status = 500;
    });
    server_.Post("/throttled", [record](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.status = 429;
    });
    server_.Post("/rejects", [record](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.status = 400;
    });
    server_.Post("/hangs", [this, record](const httplib::Request& req, httplib::Response& res) {
      record(req);
      release_.WaitForNotification();
      res.status = 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }

  ~FakeGateway() {
    if (!release_.HasBeenNotified()) release_.Notify();
    server_.stop();
    thread_.join();
  }

  std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  int port() const { return port_; }

  std::vector<Received> received() {
    sync::MutexLock lock(&mu_);
    return received_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> flaky_calls_{0};
  sync::Notification release_;
  sync::Mutex mu_;
  std::vector<Received> received_ ABSL_GUARDED_BY(mu_);
};

OutgoingMessage Message() {
  OutgoingMessage m;
  m.channel = type::v1::CONTACT_CHANNEL_EMAIL;
  m.address = "a@example.org";
  m.subject = "Your appointment";
  m.body = "See you at Soho";
  m.idempotency_key = "r1-0123456789abcdef";
  m.reminder = "reminders/r1";
  return m;
}

std::unique_ptr<WebhookSender> Sender(const std::string& url, int max_attempts = 3,
                                      absl::Duration timeout = absl::Seconds(5)) {
  WebhookSender::Options options;
  options.url = url;
  options.max_attempts = max_attempts;
  options.initial_backoff = absl::Milliseconds(1);
  options.timeout = timeout;
  options.bearer_token = "gateway-secret";
  absl::StatusOr<std::unique_ptr<WebhookSender>> sender = WebhookSender::Create(options);
  EXPECT_TRUE(sender.ok()) << sender.status();
  return sender.ok() ? *std::move(sender) : nullptr;
}

TEST(WebhookSenderTest, PostsJsonWithTheIdempotencyKey) {
  FakeGateway gateway;
  const SendOutcome o = Sender(gateway.Url("/ok"))->Send(Message());
  EXPECT_EQ(o.kind, SendOutcome::Kind::kDelivered);
  const std::vector<FakeGateway::Received> received = gateway.received();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].idempotency_key, "r1-0123456789abcdef");
  EXPECT_EQ(received[0].authorization, "Bearer gateway-secret");
  EXPECT_EQ(received[0].content_type, "application/json");
  const nlohmann::json body = nlohmann::json::parse(received[0].body);
  EXPECT_EQ(body["channel"], "EMAIL");
  EXPECT_EQ(body["to"], "a@example.org");
  EXPECT_EQ(body["subject"], "Your appointment");
  EXPECT_EQ(body["body"], "See you at Soho");
  EXPECT_EQ(body["idempotency_key"], "r1-0123456789abcdef");
}

TEST(WebhookSenderTest, RetriesServerErrorsWithTheSameKey) {
  FakeGateway gateway;
  const SendOutcome o = Sender(gateway.Url("/flaky"), 3)->Send(Message());
  EXPECT_EQ(o.kind, SendOutcome::Kind::kDelivered);
  const std::vector<FakeGateway::Received> received = gateway.received();
  ASSERT_EQ(received.size(), 3u);
  for (const auto& r : received) EXPECT_EQ(r.idempotency_key, "r1-0123456789abcdef");
}

TEST(WebhookSenderTest, ServerErrorsAfterTheLastAttemptAreRetryable) {
  FakeGateway gateway;
  const SendOutcome o = Sender(gateway.Url("/down"), 2)->Send(Message());
  EXPECT_EQ(o.kind, SendOutcome::Kind::kRetryable);
  EXPECT_EQ(o.error_code, "HTTP_500");
  EXPECT_EQ(gateway.received().size(), 2u);
  const SendOutcome throttled = Sender(gateway.Url("/throttled"), 1)->Send(Message());
  EXPECT_EQ(throttled.kind, SendOutcome::Kind::kRetryable);
  EXPECT_EQ(throttled.error_code, "HTTP_429");
}

TEST(WebhookSenderTest, ClientErrorsArePermanentAndNotRetried) {
  FakeGateway gateway;
  const SendOutcome o = Sender(gateway.Url("/rejects"), 3)->Send(Message());
  EXPECT_EQ(o.kind, SendOutcome::Kind::kPermanent);
  EXPECT_EQ(o.error_code, "HTTP_400");
  EXPECT_EQ(gateway.received().size(), 1u);
}

TEST(WebhookSenderTest, TimeoutIsRetryable) {
  FakeGateway gateway;
  const SendOutcome o = Sender(gateway.Url("/hangs"), 1, absl::Milliseconds(200))->Send(Message());
  EXPECT_EQ(o.kind, SendOutcome::Kind::kRetryable);
  EXPECT_EQ(o.error_code, "TIMEOUT");
}

TEST(WebhookSenderTest, NobodyListeningIsRetryable) {
  const int port = clinic::testing::PickFreePort();
  const SendOutcome o = Sender("http://127.0.0.1:" + std::to_string(port) + "/x", 1)->Send(Message());
  EXPECT_EQ(o.kind, SendOutcome::Kind::kRetryable);
  EXPECT_EQ(o.error_code, "CONNECTION");
}

TEST(WebhookSenderTest, BadUrlsAreRefused) {
  for (const char* url : {"", "ftp://host/x", "http://", "gateway:8080/x"}) {
    WebhookSender::Options options;
    options.url = url;
    EXPECT_EQ(WebhookSender::Create(options).status().code(), absl::StatusCode::kInvalidArgument) << url;
  }
}

}  // namespace
}  // namespace clinic::notification
