// A small text table for human output: a header row and aligned columns
// separated by two spaces; the last column is not padded.
#ifndef MDEFLEET_SERVER_CLI_TABLE_H_
#define MDEFLEET_SERVER_CLI_TABLE_H_

#include <string>
#include <vector>

namespace mdefleet::cli {

class Table {
 public:
  enum class Align { kLeft, kRight };

  // `headers` fixes the number of columns. Headers print as given.
  explicit Table(std::vector<std::string> headers);

  // Right-aligns column `column` (numbers). Out-of-range columns are ignored.
  void SetAlign(size_t column, Align align);

  // Adds a row; missing cells print empty, extra cells are dropped. Cells
  // often hold what devices report: each goes through InertText
  // (common/inert_text.h), so line breaks, tabs, ESC and other controls,
  // C1, U+2028/U+2029 and bidi characters print as visible escapes ("\n",
  // "\x1b", "\u202e") and a row is always one line.
  void AddRow(std::vector<std::string> cells);

  size_t rows() const { return rows_.size(); }

  // The whole table, one line per row, each ending in '\n'. Widths count
  // UTF-8 code points, so non-ASCII host names stay aligned.
  std::string Render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<Align> align_;
  std::vector<std::vector<std::string>> rows_;
};

// Display width of `text` in UTF-8 code points.
size_t DisplayWidth(const std::string& text);

}  // namespace mdefleet::cli

#endif  // MDEFLEET_SERVER_CLI_TABLE_H_
