#include "tools/loadgen/get_patient_workload.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/sync/mutex.h"

namespace clinic::loadgen {
namespace {

namespace pv1 = clinic::patient::v1;

// Everything one GetPatient call needs alive until its callback.
struct GetCall {
  grpc::ClientContext context;
  pv1::GetPatientRequest request;
  pv1::Patient response;
  Workload::DoneCallback done;
};

absl::Status ToStatus(const grpc::Status& s, std::string_view what) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), absl::StrCat(std::string(what), ": ", s.error_message()));
}

// Runs fn(i) for i in [0, count) on `parallelism` threads; the first failure, if any.
template <typename Fn>
absl::Status ForEachParallel(int count, int parallelism, Fn fn) {
  std::atomic<int> next{0};
  sync::Mutex mu;
  absl::Status first;
  std::vector<std::thread> threads;
  for (int t = 0; t < std::max(1, parallelism); ++t) {
    threads.emplace_back([&] {
      for (int i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
        absl::Status s = fn(i);
        if (s.ok()) continue;
        sync::MutexLock lock(&mu);
        if (first.ok()) first = std::move(s);
        next.store(count);
        return;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  return first;
}

}  // namespace

GetPatientWorkload::GetPatientWorkload(const std::vector<std::shared_ptr<grpc::Channel>>& channels)
    : stubs_(channels), run_id_(RandomRunId()) {}

absl::Status GetPatientWorkload::Prepare(const CallSettings& settings, int count, int parallelism) {
  if (count < 1) return absl::InvalidArgumentError("at least one patient");
  CallSettings slow = settings;
  slow.deadline = std::max(settings.deadline, absl::Seconds(30));
  names_.assign(static_cast<size_t>(count), std::string());
  absl::Status created = ForEachParallel(count, parallelism, [&](int i) -> absl::Status {
    grpc::ClientContext context;
    slow.Apply(context);
    pv1::CreatePatientRequest request;
    request.set_request_id(absl::StrCat("loadgen-", run_id_, "-p", i));
    pv1::Patient* p = request.mutable_patient();
    p->set_given_name(absl::StrCat("Load", i));
    p->set_family_name(absl::StrCat("Gen", run_id_));
    p->mutable_birth_date()->set_year(1950 + i % 50);
    p->mutable_birth_date()->set_month(1 + i % 12);
    p->mutable_birth_date()->set_day(1 + i % 28);
    p->set_phone_number(absl::StrCat("+4477", 10000000 + i % 90000000));
    p->set_language_code("en-GB");
    pv1::Patient patient;
    grpc::Status s = stubs_.Next().CreatePatient(&context, request, &patient);
    if (!s.ok()) return ToStatus(s, "CreatePatient");
    names_[static_cast<size_t>(i)] = patient.name();
    return absl::OkStatus();
  });
  if (!created.ok()) return created;
  return ForEachParallel(count, parallelism, [&](int i) -> absl::Status {
    grpc::ClientContext context;
    slow.Apply(context);
    pv1::GetPatientRequest request;
    request.set_name(names_[static_cast<size_t>(i)]);
    pv1::Patient patient;
    grpc::Status s = stubs_.Next().GetPatient(&context, request, &patient);
    return s.ok() ? absl::OkStatus() : ToStatus(s, "GetPatient");
  });
}

void GetPatientWorkload::Start(const CallSettings& settings, DoneCallback done) {
  const uint64_t n = next_.fetch_add(1, std::memory_order_relaxed);
  auto call = std::make_unique<GetCall>();
  settings.Apply(call->context);
  call->request.set_name(names_[n % names_.size()]);
  call->done = std::move(done);
  GetCall* raw = call.release();
  stubs_.Next().async()->GetPatient(&raw->context, &raw->request, &raw->response, [raw](grpc::Status status) {
    std::unique_ptr<GetCall> owned(raw);
    if (status.ok() && owned->response.name() != owned->request.name()) {
      status = grpc::Status(grpc::StatusCode::INTERNAL, "GetPatient returned another record");
    }
    DoneCallback callback = std::move(owned->done);
    owned.reset();  // free the call before reporting: the run may end on this callback
    callback(status);
  });
}

}  // namespace clinic::loadgen
