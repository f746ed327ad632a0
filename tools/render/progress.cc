#include "render/progress.h"

#include <cstdio>

#include "render/text_render.h"

namespace shardtool {

ProgressBar::ProgressBar(std::ostream* out, bool enabled, std::string label)
    : out_(out),
      enabled_(enabled),
      label_(std::move(label)),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { Finish(); }

void ProgressBar::Update(uint64_t done, uint64_t total) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_ < std::chrono::milliseconds(100) && done < total) return;
  last_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double frac = total ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  const int width = 30;
  const int fill = static_cast<int>(frac * width);
  std::string bar(static_cast<size_t>(fill), '#');
  bar.resize(width, '.');
  char pct[16];
  std::snprintf(pct, sizeof pct, "%3.0f%%", frac * 100);
  std::string line = "\r" + label_ + " [" + bar + "] " + pct + " " + HumanBytes(done) + "/" +
                     HumanBytes(total) + "  " + HumanBytes(static_cast<uint64_t>(rate)) + "/s";
  if (rate > 0 && done < total)
    line += "  ETA " + HumanDuration(static_cast<double>(total - done) / rate);
  line += "   ";
  *out_ << line << std::flush;
  drawn_ = true;
}

void ProgressBar::Finish() {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (drawn_) *out_ << "\r\033[K" << std::flush;
  drawn_ = false;
}

}  // namespace shardtool
