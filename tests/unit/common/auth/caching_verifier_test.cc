#include "common/auth/caching_verifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tests/support/fake_clock.h"
#include "tests/support/status_matchers.h"

namespace clinic::auth {
namespace {

using ::clinic::testing::FakeClock;
using ::clinic::testing::IsOk;
using ::clinic::testing::StatusIs;

// Accepts tokens starting with "good" (expiring at `expiry`), rejects everything else,
// and counts its calls so tests can tell hits from misses. Applies no time check of its
// own unless told to, so the tests see what the cache alone does.
class CountingVerifier final : public TokenVerifier {
 public:
  CountingVerifier(const Clock& clock, absl::Time expiry) : clock_(clock), expiry_(expiry) {}

  absl::StatusOr<Principal> Verify(std::string_view token) const override {
    calls_.fetch_add(1);
    if (token.substr(0, 4) != "good") return absl::UnauthenticatedError("bad token");
    if (check_time_ && clock_.Now() >= expiry_) return absl::UnauthenticatedError("expired");
    Principal p;
    p.subject = "alice";
    p.clinic = "clinic-north";
    p.role = Role::kClinician;
    p.expiry = expiry_;
    p.token = std::string(token);
    return p;
  }

  int calls() const { return calls_.load(); }
  void set_check_time(bool check) { check_time_ = check; }

 private:
  const Clock& clock_;
  const absl::Time expiry_;
  bool check_time_ = true;
  mutable std::atomic<int> calls_{0};
};

class CachingVerifierTest : public ::testing::Test {
 protected:
  explicit CachingVerifierTest(size_t capacity = 100) {
    auto inner = std::make_unique<CountingVerifier>(clock_, clock_.Now() + absl::Minutes(10));
    inner_ = inner.get();
    cache_ = std::make_unique<CachingTokenVerifier>(std::move(inner), clock_, capacity);
  }

  FakeClock clock_;
  CountingVerifier* inner_;
  std::unique_ptr<CachingTokenVerifier> cache_;
};

TEST_F(CachingVerifierTest, SecondVerifyIsServedFromTheCache) {
  auto first = cache_->Verify("good-1");
  auto second = cache_->Verify("good-1");
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(inner_->calls(), 1);
  EXPECT_EQ(second->subject, "alice");
  EXPECT_EQ(second->token, "good-1");
  EXPECT_EQ(second->role, Role::kClinician);
  EXPECT_EQ(cache_->size(), 1u);
}

TEST_F(CachingVerifierTest, DistinctTokensAreDistinctEntries) {
  ASSERT_THAT(cache_->Verify("good-1"), IsOk());
  ASSERT_THAT(cache_->Verify("good-2"), IsOk());
  EXPECT_EQ(inner_->calls(), 2);
  auto again = cache_->Verify("good-2");
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->token, "good-2");
  EXPECT_EQ(inner_->calls(), 2);
}

TEST_F(CachingVerifierTest, RejectionsAreNotCached) {
  EXPECT_THAT(cache_->Verify("bad"), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(cache_->Verify("bad"), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(inner_->calls(), 2);
  EXPECT_EQ(cache_->size(), 0u);
}

TEST_F(CachingVerifierTest, AHitPastExpiryGoesBackToTheInnerVerifier) {
  ASSERT_THAT(cache_->Verify("good-1"), IsOk());
  clock_.Advance(absl::Minutes(10));
  EXPECT_THAT(cache_->Verify("good-1"), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(inner_->calls(), 2);
  EXPECT_EQ(cache_->size(), 0u);  // The stale entry is dropped.
}

TEST_F(CachingVerifierTest, NeverServesAnExpiredEntryEvenIfTheInnerVerifierWould) {
  // An inner verifier with leeway may still accept just after expiry; the cache must
  // neither answer from the entry nor store the re-accepted token.
  inner_->set_check_time(false);
  ASSERT_THAT(cache_->Verify("good-1"), IsOk());
  clock_.Advance(absl::Minutes(10) + absl::Seconds(1));
  ASSERT_THAT(cache_->Verify("good-1"), IsOk());
  ASSERT_THAT(cache_->Verify("good-1"), IsOk());
  EXPECT_EQ(inner_->calls(), 3);
  EXPECT_EQ(cache_->size(), 0u);
}

class SmallCacheTest : public CachingVerifierTest {
 protected:
  SmallCacheTest() : CachingVerifierTest(/*capacity=*/8) {}
};

TEST_F(SmallCacheTest, SizeNeverExceedsTheCapacity) {
  for (int i = 0; i < 100; ++i) {
    ASSERT_THAT(cache_->Verify(absl::StrCat("good-", i)), IsOk());
    ASSERT_LE(cache_->size(), 8u);
  }
  EXPECT_GE(cache_->size(), 1u);
  // A token just inserted is a hit.
  int calls = inner_->calls();
  ASSERT_THAT(cache_->Verify("good-99"), IsOk());
  EXPECT_EQ(inner_->calls(), calls);
}

TEST(CachingVerifierCapacityTest, CapacityOneHoldsTheLatestToken) {
  FakeClock clock;
  auto inner = std::make_unique<CountingVerifier>(clock, clock.Now() + absl::Minutes(1));
  CountingVerifier* counting = inner.get();
  CachingTokenVerifier cache(std::move(inner), clock, 1);
  ASSERT_THAT(cache.Verify("good-a"), IsOk());
  ASSERT_THAT(cache.Verify("good-b"), IsOk());
  ASSERT_THAT(cache.Verify("good-b"), IsOk());
  EXPECT_EQ(counting->calls(), 2);
  EXPECT_EQ(cache.size(), 1u);
}

TEST_F(CachingVerifierTest, ConcurrentCallersAgree) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        std::string token = absl::StrCat("good-", (t + i) % 16);
        auto p = cache_->Verify(token);
        if (!p.ok() || p->token != token) failures.fetch_add(1);
        if (cache_->Verify("bad").ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(cache_->size(), 16u);
}

}  // namespace
}  // namespace clinic::auth
