//===- local_transport.cc - An in-process Transport for tests -------------===//

#include "comm/local_transport.h"

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <tuple>

namespace cleave {
namespace testing {

namespace {
/// What the ranks share.
struct Hub {
  explicit Hub(int size) : size(size), statuses(size) {}

  /// Blocks until all ranks arrived; the caller holds `lock`.
  void arrive(std::unique_lock<std::mutex> &lock) {
    long generation = barrierGeneration;
    if (++arrived == size) {
      arrived = 0;
      ++barrierGeneration;
      changed.notify_all();
      return;
    }
    changed.wait(lock, [&] { return barrierGeneration != generation; });
  }

  const int size;
  std::mutex mutex;
  std::condition_variable changed;
  /// (from, to, tag) -> messages in send order.
  std::map<std::tuple<int, int, int>, std::deque<std::vector<uint8_t>>> mail;
  int arrived = 0;
  long barrierGeneration = 0;
  std::vector<Status> statuses;
  /// Each rank's contribution to the current allReduceSum() or allGather().
  std::vector<std::vector<uint8_t>> contributions;
  /// Each rank's (color, key) in the current split().
  std::vector<std::pair<int, int>> splits;
  /// The groups split() made: (the split's sequence number, color) -> hub.
  std::map<std::pair<long, int>, std::shared_ptr<Hub>> groups;
};

/// out[i] = sum over `parts` of part[i], for `count` elements of T.
template <typename T>
void sumInto(void *out, const std::vector<std::vector<uint8_t>> &parts,
             size_t count) {
  T *o = static_cast<T *>(out);
  for (size_t i = 0; i < count; ++i) {
    T sum = T();
    for (const std::vector<uint8_t> &part : parts)
      sum += reinterpret_cast<const T *>(part.data())[i];
    o[i] = sum;
  }
}

class LocalTransport final : public Transport {
public:
  LocalTransport(std::shared_ptr<Hub> hub, int rank)
      : hub_(std::move(hub)), rank_(rank) {}

  int rank() const override { return rank_; }
  int size() const override { return hub_->size; }
  int maxTag() const override { return 1 << 30; }

  StatusOr<TransportRequest> send(const void *data, size_t bytes, int peer,
                                  int tag) override {
    if (peer < 0 || peer >= hub_->size || peer == rank_)
      return invalidArgumentError("send to rank " + std::to_string(peer));
    const uint8_t *begin = static_cast<const uint8_t *>(data);
    {
      std::lock_guard<std::mutex> lock(hub_->mutex);
      hub_->mail[{rank_, peer, tag}].emplace_back(begin, begin + bytes);
    }
    hub_->changed.notify_all();
    return add({false, nullptr, bytes, peer, tag});
  }

  StatusOr<TransportRequest> recv(void *data, size_t bytes, int peer,
                                  int tag) override {
    if (peer < 0 || peer >= hub_->size || peer == rank_)
      return invalidArgumentError("recv from rank " + std::to_string(peer));
    return add({true, data, bytes, peer, tag});
  }

  Status wait(TransportRequest request) override {
    auto found = pending_.find(request);
    if (found == pending_.end())
      return internalError("wait on an unknown transport request");
    Pending p = found->second;
    pending_.erase(found);
    if (!p.isRecv)
      return Status();
    std::unique_lock<std::mutex> lock(hub_->mutex);
    auto &queue = hub_->mail[{p.peer, rank_, p.tag}];
    hub_->changed.wait(lock, [&] { return !queue.empty(); });
    std::vector<uint8_t> message = std::move(queue.front());
    queue.pop_front();
    if (message.size() != p.bytes)
      return internalError("recv of " + std::to_string(p.bytes) +
                           " bytes from rank " + std::to_string(p.peer) +
                           " got " + std::to_string(message.size()) + " bytes");
    std::memcpy(p.data, message.data(), message.size());
    return Status();
  }

  Status barrier() override {
    std::unique_lock<std::mutex> lock(hub_->mutex);
    hub_->arrive(lock);
    return Status();
  }

  Status allReduceSum(const void *in, void *out, size_t count,
                      DType dtype) override {
    if (!allReduceSupports(dtype))
      return unimplementedError(std::string("all-reduce of ") +
                                dtypeName(dtype) + " is not supported");
    std::unique_lock<std::mutex> lock(hub_->mutex);
    if (hub_->contributions.size() != static_cast<size_t>(hub_->size))
      hub_->contributions.resize(hub_->size);
    const uint8_t *begin = static_cast<const uint8_t *>(in);
    hub_->contributions[rank_].assign(begin, begin + count * dtypeSize(dtype));
    hub_->arrive(lock);
    for (const std::vector<uint8_t> &part : hub_->contributions)
      if (part.size() != count * dtypeSize(dtype)) {
        hub_->arrive(lock);
        return internalError("all-reduce: ranks passed different counts");
      }
    switch (dtype) {
    case DType::Float32:
      sumInto<float>(out, hub_->contributions, count);
      break;
    case DType::Float64:
      sumInto<double>(out, hub_->contributions, count);
      break;
    case DType::Int32:
      sumInto<int32_t>(out, hub_->contributions, count);
      break;
    default:
      sumInto<int64_t>(out, hub_->contributions, count);
      break;
    }
    // Nobody may overwrite a contribution before everyone has summed them.
    hub_->arrive(lock);
    return Status();
  }

  Status allGather(const void *in, void *out, size_t bytes) override {
    std::unique_lock<std::mutex> lock(hub_->mutex);
    if (hub_->contributions.size() != static_cast<size_t>(hub_->size))
      hub_->contributions.resize(hub_->size);
    const uint8_t *begin = static_cast<const uint8_t *>(in);
    hub_->contributions[rank_].assign(begin, begin + bytes);
    hub_->arrive(lock);
    bool same = true;
    for (const std::vector<uint8_t> &part : hub_->contributions)
      same = same && part.size() == bytes;
    if (same)
      for (int r = 0; r < hub_->size; ++r)
        if (bytes)
          std::memcpy(static_cast<uint8_t *>(out) + r * bytes,
                      hub_->contributions[r].data(), bytes);
    // Nobody may overwrite a contribution before everyone has copied them.
    hub_->arrive(lock);
    if (!same)
      return internalError("all-gather: ranks passed different sizes");
    return Status();
  }

  StatusOr<std::shared_ptr<Transport>> split(int color, int key) override {
    if (color < 0)
      return invalidArgumentError("split with a negative color " +
                                  std::to_string(color));
    long sequence = splits_++;
    std::unique_lock<std::mutex> lock(hub_->mutex);
    hub_->splits.resize(hub_->size);
    hub_->splits[rank_] = {color, key};
    hub_->arrive(lock);
    // The group: ranks of this color ordered by (key, rank).
    std::vector<std::pair<int, int>> members;
    for (int r = 0; r < hub_->size; ++r)
      if (hub_->splits[r].first == color)
        members.push_back({hub_->splits[r].second, r});
    std::sort(members.begin(), members.end());
    int groupRank = 0;
    while (members[groupRank].second != rank_)
      ++groupRank;
    std::shared_ptr<Hub> &group = hub_->groups[{sequence, color}];
    if (!group)
      group = std::make_shared<Hub>(static_cast<int>(members.size()));
    std::shared_ptr<Hub> mine = group;
    // Nobody may overwrite a color before everyone has read them.
    hub_->arrive(lock);
    return std::shared_ptr<Transport>(
        std::make_shared<LocalTransport>(std::move(mine), groupRank));
  }

  Status agree(const Status &local) override {
    std::unique_lock<std::mutex> lock(hub_->mutex);
    hub_->statuses[rank_] = local;
    hub_->arrive(lock);
    Status result;
    for (int r = 0; r < hub_->size && result.ok(); ++r)
      if (!hub_->statuses[r].ok())
        result = Status(hub_->statuses[r].code(),
                        "rank " + std::to_string(r) + ": " +
                            hub_->statuses[r].message());
    // Nobody may overwrite a status before everyone has read them.
    hub_->arrive(lock);
    return result;
  }

  [[noreturn]] void abort(int exitCode) override { std::_Exit(exitCode); }

private:
  struct Pending {
    bool isRecv;
    void *data;
    size_t bytes;
    int peer;
    int tag;
  };

  TransportRequest add(Pending pending) {
    TransportRequest id = next_++;
    pending_.emplace(id, pending);
    return id;
  }

  std::shared_ptr<Hub> hub_;
  int rank_;
  TransportRequest next_ = 0;
  std::map<TransportRequest, Pending> pending_;
  long splits_ = 0; ///< split() calls so far (the same on every rank)
};
} // namespace

std::vector<std::shared_ptr<Transport>> createLocalTransports(int size) {
  auto hub = std::make_shared<Hub>(size);
  std::vector<std::shared_ptr<Transport>> transports;
  for (int r = 0; r < size; ++r)
    transports.push_back(std::make_shared<LocalTransport>(hub, r));
  return transports;
}

} // namespace testing
} // namespace cleave
