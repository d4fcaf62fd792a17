#include "common/log/log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "nlohmann/json.hpp"

namespace clinic::log {
namespace {

// Captures what the logger writes to stdout (fd 1) while alive.
class StdoutCapture {
 public:
  StdoutCapture() {
    std::fflush(stdout);
    saved_ = ::dup(1);
    file_ = std::tmpfile();
    ::dup2(::fileno(file_), 1);
  }
  std::string Take() {
    std::fflush(stdout);
    ::dup2(saved_, 1);
    ::close(saved_);
    std::rewind(file_);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), file_)) > 0) out.append(buf, n);
    std::fclose(file_);
    return out;
  }

 private:
  int saved_;
  FILE* file_;
};

nlohmann::json LastLine(const std::string& text) {
  std::istringstream in(text);
  std::string line, last;
  while (std::getline(in, line)) if (!line.empty()) last = line;
  return nlohmann::json::parse(last);
}

TEST(LogTest, WritesOneJsonObjectPerLineWithEscaping) {
  Init("patient", Level::kInfo);
  StdoutCapture capture;
  Info("quote \" backslash \\ newline \n brace {} tab \t", {{"reminder_id", "r-1"}});
  nlohmann::json line = LastLine(capture.Take());
  EXPECT_EQ(line["msg"], "quote \" backslash \\ newline \n brace {} tab \t");
  EXPECT_EQ(line["level"], "info");
  EXPECT_EQ(line["service"], "patient");
  EXPECT_EQ(line["reminder_id"], "r-1");
  EXPECT_TRUE(line.contains("ts"));
}

TEST(LogTest, CarriesTheCallIdsOfTheThread) {
  Init("patient", Level::kInfo);
  StdoutCapture capture;
  {
    const CallIds ids{"req-1", "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"};
    ScopedCallContext call(ids);
    Warn("inside");
  }
  Warn("outside");
  std::string out = capture.Take();
  std::istringstream in(out);
  std::string first, second;
  std::getline(in, first);
  std::getline(in, second);
  auto inside = nlohmann::json::parse(first);
  auto outside = nlohmann::json::parse(second);
  EXPECT_EQ(inside["request_id"], "req-1");
  EXPECT_EQ(inside["trace_id"], "0af7651916cd43dd8448eb211c80319c");
  EXPECT_FALSE(outside.contains("request_id"));
}

TEST(LogTest, LevelFilters) {
  Init("patient", Level::kWarn);
  EXPECT_FALSE(Enabled(Level::kInfo));
  EXPECT_TRUE(Enabled(Level::kError));
  Level level;
  EXPECT_TRUE(ParseLevel("debug", &level));
  EXPECT_EQ(level, Level::kDebug);
  EXPECT_FALSE(ParseLevel("verbose", &level));
}

}  // namespace
}  // namespace clinic::log
