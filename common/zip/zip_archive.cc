#include "common/zip/zip_archive.h"

#include <zip.h>

#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace mdefleet::zip {
namespace {

struct ArchiveCloser {
  void operator()(zip_t* archive) const { zip_discard(archive); }
};
using UniqueArchive = std::unique_ptr<zip_t, ArchiveCloser>;

struct FileCloser {
  void operator()(zip_file_t* file) const { zip_fclose(file); }
};
using UniqueFile = std::unique_ptr<zip_file_t, FileCloser>;

struct SourceFree {
  void operator()(zip_source_t* source) const { zip_source_free(source); }
};
using UniqueSource = std::unique_ptr<zip_source_t, SourceFree>;

std::string ErrorText(zip_error_t* error) {
  std::string text = zip_error_strerror(error);
  zip_error_fini(error);
  return text;
}

[[nodiscard]] absl::StatusOr<UniqueArchive> OpenReadOnly(
    absl::string_view content) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source =
      zip_source_buffer_create(content.data(), content.size(), 0, &error);
  if (source == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot read the ZIP: ", ErrorText(&error)));
  }
  zip_t* archive =
      zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error);
  if (archive == nullptr) {
    zip_source_free(source);
    return absl::InvalidArgumentError(
        absl::StrCat("not a ZIP archive (", ErrorText(&error), ")"));
  }
  zip_error_fini(&error);
  return UniqueArchive(archive);
}

}  // namespace

std::string NormalizeEntryName(absl::string_view name) {
  return absl::StrReplaceAll(name, {{"\\", "/"}});
}

bool IsContainedEntryName(absl::string_view name) {
  const std::string normal = NormalizeEntryName(name);
  if (normal.empty() || normal.front() == '/') return false;
  if (normal.size() >= 2 && normal[1] == ':') return false;
  for (absl::string_view part : absl::StrSplit(normal, '/')) {
    if (part == "..") return false;
  }
  return true;
}

absl::StatusOr<std::vector<ZipEntry>> ListEntries(absl::string_view content) {
  absl::StatusOr<UniqueArchive> archive = OpenReadOnly(content);
  if (!archive.ok()) return archive.status();
  const zip_int64_t count = zip_get_num_entries(archive->get(), 0);
  if (count < 0 || static_cast<uint64_t>(count) > kMaxEntries) {
    return absl::InvalidArgumentError(absl::StrCat("the ZIP has ", count,
                                                   " entries, more than the ",
                                                   kMaxEntries, " accepted"));
  }
  std::vector<ZipEntry> entries;
  entries.reserve(static_cast<size_t>(count));
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(archive->get(), static_cast<zip_uint64_t>(i),
                       ZIP_FL_ENC_GUESS, &st) != 0 ||
        (st.valid & ZIP_STAT_NAME) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("the ZIP's entry ", i, " cannot be read"));
    }
    ZipEntry entry;
    entry.name = st.name;
    entry.size = (st.valid & ZIP_STAT_SIZE) != 0 ? st.size : 0;
    entry.is_directory = absl::EndsWith(NormalizeEntryName(entry.name), "/");
    entries.push_back(std::move(entry));
  }
  return entries;
}

absl::StatusOr<std::string> ReadEntry(absl::string_view content,
                                      absl::string_view name,
                                      size_t max_bytes) {
  absl::StatusOr<UniqueArchive> archive = OpenReadOnly(content);
  if (!archive.ok()) return archive.status();
  const std::string wanted = NormalizeEntryName(name);
  const zip_int64_t count = zip_get_num_entries(archive->get(), 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(archive->get(), static_cast<zip_uint64_t>(i),
                       ZIP_FL_ENC_GUESS, &st) != 0 ||
        (st.valid & ZIP_STAT_NAME) == 0 ||
        !absl::EqualsIgnoreCase(NormalizeEntryName(st.name), wanted)) {
      continue;
    }
    if ((st.valid & ZIP_STAT_SIZE) == 0 || st.size > max_bytes) {
      return absl::OutOfRangeError(
          absl::StrCat(name, " is larger than the ", max_bytes, " bytes read"));
    }
    UniqueFile file(
        zip_fopen_index(archive->get(), static_cast<zip_uint64_t>(i), 0));
    if (file == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          name,
          " cannot be opened in the ZIP: ", zip_strerror(archive->get())));
    }
    std::string data(static_cast<size_t>(st.size), '\0');
    const zip_int64_t got = zip_fread(file.get(), data.data(), st.size);
    if (got < 0 || static_cast<zip_uint64_t>(got) != st.size) {
      return absl::InvalidArgumentError(absl::StrCat(
          name, " is damaged in the ZIP: ", zip_file_strerror(file.get())));
    }
    return data;
  }
  return absl::NotFoundError(absl::StrCat("no ", name, " in the ZIP"));
}

absl::StatusOr<std::string> WriteArchive(
    const std::vector<std::pair<std::string, std::string>>& files) {
  zip_error_t error;
  zip_error_init(&error);
  UniqueSource buffer(zip_source_buffer_create(nullptr, 0, 0, &error));
  if (buffer == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot make a ZIP: ", ErrorText(&error)));
  }
  zip_t* archive = zip_open_from_source(buffer.get(), ZIP_TRUNCATE, &error);
  if (archive == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot make a ZIP: ", ErrorText(&error)));
  }
  zip_error_fini(&error);
  zip_source_keep(buffer.get());  // the archive's close drops one reference
  for (const auto& [name, data] : files) {
    zip_source_t* source =
        zip_source_buffer(archive, data.data(), data.size(), 0);
    if (source == nullptr ||
        zip_file_add(archive, name.c_str(), source, ZIP_FL_ENC_UTF_8) < 0) {
      if (source != nullptr) zip_source_free(source);
      const std::string why = zip_strerror(archive);
      zip_discard(archive);
      return absl::InternalError(
          absl::StrCat("cannot add ", name, " to the ZIP: ", why));
    }
  }
  if (zip_close(archive) != 0) {
    const std::string why = zip_strerror(archive);
    zip_discard(archive);
    return absl::InternalError(absl::StrCat("cannot write the ZIP: ", why));
  }
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_source_stat(buffer.get(), &st) != 0 ||
      zip_source_open(buffer.get()) != 0) {
    return absl::InternalError("cannot read back the ZIP written");
  }
  std::string out(static_cast<size_t>(st.size), '\0');
  const zip_int64_t got = zip_source_read(buffer.get(), out.data(), st.size);
  zip_source_close(buffer.get());
  if (got < 0 || static_cast<zip_uint64_t>(got) != st.size) {
    return absl::InternalError("cannot read back the ZIP written");
  }
  return out;
}

}  // namespace mdefleet::zip
