#include "server/cli/table.h"

#include <algorithm>
#include <utility>

#include "common/inert_text.h"

namespace mdefleet::cli {
namespace {

void AppendLine(const std::vector<std::string>& cells,
                const std::vector<size_t>& widths,
                const std::vector<Table::Align>& align, std::string* out) {
  std::string line;
  for (size_t i = 0; i < widths.size(); ++i) {
    const std::string& cell = cells[i];
    const size_t pad = widths[i] - DisplayWidth(cell);
    const bool last = i + 1 == widths.size();
    if (i > 0) line.append("  ");
    if (align[i] == Table::Align::kRight) {
      line.append(pad, ' ');
      line.append(cell);
    } else {
      line.append(cell);
      if (!last) line.append(pad, ' ');
    }
  }
  // Trailing blanks come from empty last cells; drop them.
  while (!line.empty() && line.back() == ' ') line.pop_back();
  out->append(line);
  out->push_back('\n');
}

}  // namespace

size_t DisplayWidth(const std::string& text) {
  size_t width = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++width;
  }
  return width;
}

Table::Table(std::vector<std::string> headers)
    : headers_(std::move(headers)), align_(headers_.size(), Align::kLeft) {}

void Table::SetAlign(size_t column, Align align) {
  if (column < align_.size()) align_[column] = align;
}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  for (std::string& cell : cells) cell = InertText(cell);
  rows_.push_back(std::move(cells));
}

std::string Table::Render() const {
  std::vector<size_t> widths(headers_.size(), 0);
  for (size_t i = 0; i < headers_.size(); ++i) {
    widths[i] = DisplayWidth(headers_[i]);
  }
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth(row[i]));
    }
  }
  std::string out;
  AppendLine(headers_, widths, align_, &out);
  for (const auto& row : rows_) AppendLine(row, widths, align_, &out);
  return out;
}

}  // namespace mdefleet::cli
