#include "common/metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace clinic::metrics {
namespace {

std::string FormatValue(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return absl::StrCat(static_cast<int64_t>(v));
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

void AppendEscapedLabel(std::string& out, const std::string& value) {
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

// {a="x",b="y"} plus an optional extra label (the histogram's le).
std::string Labels(const std::vector<std::string>& names, const std::vector<std::string>& values,
                   const char* extra_name = nullptr, const std::string& extra_value = "") {
  if (names.empty() && extra_name == nullptr) return "";
  std::string out = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    absl::StrAppend(&out, names[i], "=\"");
    AppendEscapedLabel(out, values[i]);
    out += '"';
  }
  if (extra_name != nullptr) {
    if (!names.empty()) out += ',';
    absl::StrAppend(&out, extra_name, "=\"", extra_value, "\"");
  }
  out += '}';
  return out;
}

void Header(std::string& out, const std::string& name, const std::string& help, const char* type) {
  absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double value) {
  const size_t bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    out[i] = total;
  }
  return out;
}

std::vector<double> LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

void Registry::CheckNewName(const std::string& name) {
  if (std::find(names_.begin(), names_.end(), name) != names_.end()) {
    std::fprintf(stderr, "metric %s registered twice\n", name.c_str());
    std::abort();
  }
  names_.push_back(name);
}

Family<Counter>& Registry::AddCounter(std::string name, std::string help, std::vector<std::string> labels) {
  sync::MutexLock lock(&mu_);
  CheckNewName(name);
  counters_.push_back(std::make_unique<Family<Counter>>(std::move(name), std::move(help), std::move(labels),
                                                        [] { return std::make_unique<Counter>(); }));
  return *counters_.back();
}

Family<Gauge>& Registry::AddGauge(std::string name, std::string help, std::vector<std::string> labels) {
  sync::MutexLock lock(&mu_);
  CheckNewName(name);
  gauges_.push_back(std::make_unique<Family<Gauge>>(std::move(name), std::move(help), std::move(labels),
                                                    [] { return std::make_unique<Gauge>(); }));
  return *gauges_.back();
}

Family<Histogram>& Registry::AddHistogram(std::string name, std::string help, std::vector<std::string> labels,
                                          std::vector<double> bounds) {
  sync::MutexLock lock(&mu_);
  CheckNewName(name);
  histograms_.push_back(std::make_unique<Family<Histogram>>(
      std::move(name), std::move(help), std::move(labels),
      [bounds = std::move(bounds)] { return std::make_unique<Histogram>(bounds); }));
  return *histograms_.back();
}

void Registry::AddCallbackGauge(std::string name, std::string help, std::function<double()> read) {
  sync::MutexLock lock(&mu_);
  CheckNewName(name);
  callback_gauges_.push_back(
      std::make_unique<CallbackGauge>(CallbackGauge{std::move(name), std::move(help), std::move(read)}));
}

std::string Registry::Render() const {
  std::string out;
  std::vector<const CallbackGauge*> callbacks;
  {
    sync::MutexLock lock(&mu_);
    for (const auto& family : counters_) {
      Header(out, family->name(), family->help(), "counter");
      family->ForEach([&](const std::vector<std::string>& values, const Counter& c) {
        absl::StrAppend(&out, family->name(), Labels(family->label_names(), values), " ",
                        FormatValue(c.Value()), "\n");
      });
    }
    for (const auto& family : gauges_) {
      Header(out, family->name(), family->help(), "gauge");
      family->ForEach([&](const std::vector<std::string>& values, const Gauge& g) {
        absl::StrAppend(&out, family->name(), Labels(family->label_names(), values), " ",
                        FormatValue(g.Value()), "\n");
      });
    }
    for (const auto& family : histograms_) {
      Header(out, family->name(), family->help(), "histogram");
      family->ForEach([&](const std::vector<std::string>& values, const Histogram& h) {
        const std::vector<uint64_t> counts = h.CumulativeCounts();
        const auto& names = family->label_names();
        for (size_t i = 0; i < h.bounds().size(); ++i) {
          absl::StrAppend(&out, family->name(), "_bucket", Labels(names, values, "le", FormatValue(h.bounds()[i])),
                          " ", counts[i], "\n");
        }
        absl::StrAppend(&out, family->name(), "_bucket", Labels(names, values, "le", "+Inf"), " ",
                        counts.back(), "\n");
        absl::StrAppend(&out, family->name(), "_sum", Labels(names, values), " ", FormatValue(h.Sum()), "\n");
        absl::StrAppend(&out, family->name(), "_count", Labels(names, values), " ", counts.back(), "\n");
      });
    }
    for (const auto& g : callback_gauges_) callbacks.push_back(g.get());
  }
  // Callback gauges are never removed and live on the heap, so the pointers stay valid;
  // reading them outside the lock lets a callback take its own locks freely.
  for (const CallbackGauge* g : callbacks) {
    Header(out, g->name, g->help, "gauge");
    absl::StrAppend(&out, g->name, " ", FormatValue(g->read()), "\n");
  }
  return out;
}

}  // namespace clinic::metrics
