#pragma once

// Prometheus metrics: counters, gauges and histograms with labels, rendered in the
// text exposition format (version 0.0.4) by Registry::Render().
//
// Hot-path use: look a series up once (Family::WithLabels) and keep the reference;
// updating a series is lock-free. Label values must never hold personal data or
// unbounded ids (no patient ids): they create one series per distinct value.
//
// Thread-safe throughout. A Registry must outlive every reference it handed out.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "common/sync/mutex.h"

namespace clinic::metrics {

class Counter {
 public:
  void Increment(double amount = 1) { value_.fetch_add(amount, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double amount) { value_.fetch_add(amount, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `bounds`: strictly increasing upper bounds of the buckets; +Inf is implicit.
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);

  const std::vector<double>& bounds() const { return bounds_; }
  // Count of observations <= bounds()[i] (cumulative), i < bounds().size(); the last
  // element (index bounds().size()) is the total count.
  std::vector<uint64_t> CumulativeCounts() const;
  double Sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1 buckets
  std::atomic<double> sum_{0};
};

// Latency buckets in seconds, from 100 µs to 10 s.
std::vector<double> LatencyBuckets();

// A metric name with its label names; one series per distinct label-value tuple.
template <typename T>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::function<std::unique_ptr<T>()> make)
      : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)),
        make_(std::move(make)) {}

  // The series for these label values (as many as label names), created on first use.
  // The reference stays valid for the registry's lifetime.
  T& WithLabels(const std::vector<std::string>& values) {
    sync::MutexLock lock(&mu_);
    auto& slot = series_[values];
    if (slot == nullptr) slot = make_();
    return *slot;
  }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

  // Calls fn(label_values, series) for every series, in label order.
  void ForEach(const std::function<void(const std::vector<std::string>&, const T&)>& fn) const {
    sync::MutexLock lock(&mu_);
    for (const auto& [values, series] : series_) fn(values, *series);
  }

 private:
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const std::function<std::unique_ptr<T>()> make_;
  mutable sync::Mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> series_ ABSL_GUARDED_BY(mu_);
};

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Each name may be registered once (a second registration is a programming error
  // and aborts). Names follow Prometheus conventions: snake_case, unit suffix.
  Family<Counter>& AddCounter(std::string name, std::string help, std::vector<std::string> labels = {});
  Family<Gauge>& AddGauge(std::string name, std::string help, std::vector<std::string> labels = {});
  Family<Histogram>& AddHistogram(std::string name, std::string help,
                                  std::vector<std::string> labels, std::vector<double> bounds);
  // A gauge whose value is read by `read` at every scrape (e.g. a queue depth). `read`
  // is called without registry locks held, from the scraping thread; it must be quick.
  void AddCallbackGauge(std::string name, std::string help, std::function<double()> read);

  // The text exposition format of every metric.
  std::string Render() const;

 private:
  void CheckNewName(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  struct CallbackGauge {
    std::string name;
    std::string help;
    std::function<double()> read;
  };
  mutable sync::Mutex mu_;
  std::vector<std::string> names_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Family<Counter>>> counters_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Family<Gauge>>> gauges_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Family<Histogram>>> histograms_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<CallbackGauge>> callback_gauges_ ABSL_GUARDED_BY(mu_);
};

}  // namespace clinic::metrics
