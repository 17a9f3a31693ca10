//===- batcher.h - Forms batches from queued inference requests -----------===//
//
// Requests wait in one queue; a worker takes the oldest and, until the batch
// holds `maxRows` rows or the oldest has waited `maxDelay`, waits for more,
// then takes as many whole requests from the front as fit.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_SERVE_BATCHER_H
#define CLEAVE_RUNTIME_SERVE_BATCHER_H

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace cleave::serve {

/// A queue of requests of type `Item` (which has `int64_t rows` and
/// `std::chrono::steady_clock::time_point arrival`).
template <typename Item> class Batcher {
public:
  using Clock = std::chrono::steady_clock;

  /// Queues `item`; false once close() was called.
  bool push(std::shared_ptr<Item> item) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (closed_)
        return false;
      rows_ += item->rows;
      queue_.push_back(std::move(item));
    }
    ready_.notify_all();
    return true;
  }

  /// The next batch: at least one request, at most `maxRows` rows unless the
  /// oldest request alone has more. Empty when nothing arrived within `poll`,
  /// or when the queue is closed and empty.
  std::vector<std::shared_ptr<Item>> next(int64_t maxRows,
                                          Clock::duration maxDelay,
                                          Clock::duration poll) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!ready_.wait_for(lock, poll,
                         [&] { return !queue_.empty() || closed_; }) ||
        queue_.empty())
      return {};
    Clock::time_point deadline = queue_.front()->arrival + maxDelay;
    ready_.wait_until(lock, deadline,
                      [&] { return rows_ >= maxRows || closed_; });
    std::vector<std::shared_ptr<Item>> batch;
    int64_t rows = 0;
    while (!queue_.empty() &&
           (batch.empty() || rows + queue_.front()->rows <= maxRows)) {
      rows += queue_.front()->rows;
      rows_ -= queue_.front()->rows;
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    return batch;
  }

  /// Refuses further requests; those queued are still handed out.
  void close() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();
  }

  /// True once closed with nothing left.
  bool drained() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return closed_ && queue_.empty();
  }

  /// Requests waiting.
  size_t depth() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return queue_.size();
  }

private:
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::shared_ptr<Item>> queue_;
  int64_t rows_ = 0;
  bool closed_ = false;
};

} // namespace cleave::serve

#endif // CLEAVE_RUNTIME_SERVE_BATCHER_H
