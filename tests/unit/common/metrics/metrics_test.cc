#include "common/metrics/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "common/metrics/http_exporter.h"
#include "httplib.h"

namespace clinic::metrics {
namespace {

using ::testing::HasSubstr;

TEST(RegistryTest, RendersCountersWithLabels) {
  Registry registry;
  auto& handled = registry.AddCounter("grpc_server_handled_total", "RPCs completed.", {"grpc_method", "grpc_code"});
  handled.WithLabels({"Echo", "OK"}).Increment();
  handled.WithLabels({"Echo", "OK"}).Increment(2);
  handled.WithLabels({"Echo", "INTERNAL"}).Increment();
  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE grpc_server_handled_total counter\n"));
  EXPECT_THAT(text, HasSubstr("grpc_server_handled_total{grpc_method=\"Echo\",grpc_code=\"OK\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("grpc_server_handled_total{grpc_method=\"Echo\",grpc_code=\"INTERNAL\"} 1\n"));
}

TEST(RegistryTest, HistogramBucketsAreCumulative) {
  Registry registry;
  auto& h = registry.AddHistogram("latency_seconds", "Latency.", {}, {0.1, 1});
  h.WithLabels({}).Observe(0.05);
  h.WithLabels({}).Observe(0.5);
  h.WithLabels({}).Observe(0.1);  // on the bound: counted in le="0.1"
  h.WithLabels({}).Observe(7);
  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("latency_seconds_bucket{le=\"0.1\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("latency_seconds_bucket{le=\"1\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("latency_seconds_bucket{le=\"+Inf\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("latency_seconds_count 4\n"));
  EXPECT_THAT(text, HasSubstr("latency_seconds_sum 7.65\n"));
}

TEST(RegistryTest, GaugesAndCallbackGauges) {
  Registry registry;
  registry.AddGauge("queue_in_flight", "In flight.").WithLabels({}).Set(4);
  int depth = 17;
  registry.AddCallbackGauge("queue_depth", "Depth.", [&] { return depth; });
  EXPECT_THAT(registry.Render(), HasSubstr("queue_in_flight 4\n"));
  EXPECT_THAT(registry.Render(), HasSubstr("queue_depth 17\n"));
  depth = 3;
  EXPECT_THAT(registry.Render(), HasSubstr("queue_depth 3\n"));
}

TEST(RegistryTest, LabelValuesAreEscaped) {
  Registry registry;
  registry.AddCounter("c_total", "C.", {"l"}).WithLabels({"a\"b\\c\nd"}).Increment();
  EXPECT_THAT(registry.Render(), HasSubstr("c_total{l=\"a\\\"b\\\\c\\nd\"} 1\n"));
}

TEST(RegistryTest, ConcurrentIncrementsAllCount) {
  Registry registry;
  auto& family = registry.AddCounter("c_total", "C.", {"t"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) family.WithLabels({"x"}).Increment();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(family.WithLabels({"x"}).Value(), 40000);
}

TEST(HttpExporterTest, ServesMetricsOnItsPort) {
  Registry registry;
  registry.AddCounter("served_total", "S.").WithLabels({}).Increment(5);
  auto exporter = HttpExporter::Start("127.0.0.1", 0, registry);
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  httplib::Client client("127.0.0.1", (*exporter)->port());
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(res->body, HasSubstr("served_total 5\n"));
  EXPECT_THAT(res->get_header_value("Content-Type"), HasSubstr("text/plain"));
}

TEST(HttpExporterTest, ServesExtraRoutesWithTheirStatusAndContentType) {
  Registry registry;
  std::atomic<int> calls{0};
  std::vector<HttpRoute> routes;
  routes.push_back({"/healthz", [&calls] {
                      ++calls;
                      return HttpResponse{.status = 503, .content_type = "application/json", .body = "{}"};
                    }});
  auto exporter = HttpExporter::Start("127.0.0.1", 0, registry, std::move(routes));
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  httplib::Client client("127.0.0.1", (*exporter)->port());
  auto res = client.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->body, "{}");
  EXPECT_THAT(res->get_header_value("Content-Type"), HasSubstr("application/json"));
  EXPECT_EQ(calls.load(), 1);
  auto metrics = client.Get("/metrics");  // still served
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  auto unknown = client.Get("/nothing");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
}

TEST(HttpExporterTest, PortInUseIsUnavailable) {
  Registry registry;
  auto first = HttpExporter::Start("127.0.0.1", 0, registry);
  ASSERT_TRUE(first.ok());
  auto second = HttpExporter::Start("127.0.0.1", (*first)->port(), registry);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace clinic::metrics
