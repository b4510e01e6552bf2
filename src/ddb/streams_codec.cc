// The stored form of stream records and the text forms of ARNs, sequence numbers and iterators.
#include <fmt/format.h>

#include <array>
#include <cstdio>
#include <ctime>

#include "common/random.h"
#include "ddb/item_codec.h"
#include "ddb/streams.h"
#include "encoding/enum_names.h"

namespace cruddur::ddb::streams {
namespace {

constexpr uint8_t kRecordVersion = 1;
constexpr uint32_t kAbsent = 0xffffffffu;

void PutU32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}
void PutU64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}
uint64_t GetBE(std::string_view in, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

void PutItem(std::string* out, const std::optional<Item>& item) {
  if (!item) {
    PutU32(out, kAbsent);
    return;
  }
  std::string bytes = EncodeItem(*item);
  PutU32(out, static_cast<uint32_t>(bytes.size()));
  out->append(bytes);
}

bool GetItem(std::string_view* in, std::optional<Item>* item) {
  if (in->size() < 4) return false;
  auto len = static_cast<uint32_t>(GetBE(*in, 4));
  in->remove_prefix(4);
  if (len == kAbsent) {
    item->reset();
    return true;
  }
  if (in->size() < len) return false;
  Item decoded;
  if (!DecodeItem(in->substr(0, len), &decoded)) return false;
  *item = std::move(decoded);
  in->remove_prefix(len);
  return true;
}

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

// EventName's wire names; one entry per enumerator.
constexpr std::array<encoding::EnumName<EventName>, 3> kEventNames = {{
    {EventName::kInsert, "INSERT"},
    {EventName::kModify, "MODIFY"},
    {EventName::kRemove, "REMOVE"},
}};
static_assert(kEventNames.back().value == EventName::kRemove);

std::string_view EventNameText(EventName e) { return encoding::NameOf(kEventNames, e, "INSERT"); }

// Both directions of ViewType's wire names; one entry per enumerator.
constexpr std::array<encoding::EnumName<ViewType>, 4> kViewTypeNames = {{
    {ViewType::kKeysOnly, "KEYS_ONLY"},
    {ViewType::kNewImage, "NEW_IMAGE"},
    {ViewType::kOldImage, "OLD_IMAGE"},
    {ViewType::kNewAndOldImages, "NEW_AND_OLD_IMAGES"},
}};
static_assert(kViewTypeNames.back().value == ViewType::kNewAndOldImages);

std::string_view ViewTypeText(ViewType v) { return encoding::NameOf(kViewTypeNames, v); }

ViewType ViewTypeFromText(std::string_view t) {
  return encoding::ValueNamed(kViewTypeNames, t).value_or(ViewType::kKeysOnly);
}

std::string EncodeRecord(const Record& r) {
  std::string out;
  out.push_back(static_cast<char>(kRecordVersion));
  out.push_back(static_cast<char>(r.event));
  out.push_back(static_cast<char>(r.view));
  out.push_back(static_cast<char>(r.by_service ? 1 : 0));
  PutU64(&out, static_cast<uint64_t>(r.created_ms));
  out.push_back(static_cast<char>(r.event_id.size()));
  out.append(r.event_id);
  PutItem(&out, r.keys);
  PutItem(&out, r.new_image);
  PutItem(&out, r.old_image);
  return out;
}

bool DecodeRecord(std::string_view in, Record* r) {
  if (in.size() < 13 || static_cast<uint8_t>(in[0]) != kRecordVersion) return false;
  auto event = static_cast<uint8_t>(in[1]);
  auto view = static_cast<uint8_t>(in[2]);
  if (event < 1 || event > 3 || view > 3) return false;
  r->event = static_cast<EventName>(event);
  r->view = static_cast<ViewType>(view);
  r->by_service = in[3] != 0;
  r->created_ms = static_cast<int64_t>(GetBE(in.substr(4), 8));
  size_t id_len = static_cast<unsigned char>(in[12]);
  in.remove_prefix(13);
  if (in.size() < id_len) return false;
  r->event_id = std::string(in.substr(0, id_len));
  in.remove_prefix(id_len);
  std::optional<Item> keys;
  if (!GetItem(&in, &keys) || !keys) return false;
  r->keys = std::move(*keys);
  return GetItem(&in, &r->new_image) && GetItem(&in, &r->old_image) && in.empty();
}

size_t RecordSize(const Record& r) {
  size_t size = ItemSize(r.keys);
  if (r.new_image) size += ItemSize(*r.new_image);
  if (r.old_image) size += ItemSize(*r.old_image);
  return size;
}

std::string TablePrefix(char space, uint32_t table_id) {
  std::string k(1, space);
  PutU32(&k, table_id);
  return k;
}

std::string StreamPrefix(uint32_t table_id, std::string_view label) {
  std::string k = TablePrefix(kRecordSpace, table_id);
  k.push_back(static_cast<char>(label.size()));
  k.append(label);
  return k;
}

std::string RecordKey(uint32_t table_id, std::string_view label, uint64_t seq) {
  std::string k = StreamPrefix(table_id, label);
  PutU64(&k, seq);
  return k;
}

std::string MetaKey(uint32_t table_id, std::string_view label) {
  std::string k = TablePrefix(kStreamMetaSpace, table_id);
  k.append(label);
  return k;
}

uint64_t SeqOfKey(std::string_view key) { return GetBE(key.substr(key.size() - 8), 8); }

std::string SeqText(uint64_t seq) { return fmt::format("1{:020}", seq); }

std::optional<uint64_t> ParseSeq(std::string_view text) {
  if (text.size() != 21 || text[0] != '1') return std::nullopt;
  uint64_t v = 0;
  for (char c : text.substr(1)) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t next = v * 10 + static_cast<uint64_t>(c - '0');
    if (next / 10 != v) return std::nullopt;  // overflow
    v = next;
  }
  return v;
}

std::string FormatStreamArn(const std::string& region, const std::string& account,
                            std::string_view table, std::string_view label) {
  return fmt::format("arn:aws:dynamodb:{}:{}:table/{}/stream/{}", region, account, table, label);
}

std::optional<StreamArn> ParseStreamArn(std::string_view arn) {
  constexpr std::string_view kPrefix = "arn:aws:dynamodb:";
  if (!arn.starts_with(kPrefix)) return std::nullopt;
  std::string_view rest = arn.substr(kPrefix.size());
  // region:account:table/<name>/stream/<label>
  for (int i = 0; i < 2; ++i) {
    size_t colon = rest.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(colon + 1);
  }
  if (!rest.starts_with("table/")) return std::nullopt;
  rest.remove_prefix(6);
  size_t slash = rest.find("/stream/");
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  StreamArn out{std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 8))};
  if (out.label.empty() || out.label.size() > 255 ||
      out.table_name.find('/') != std::string::npos) {
    return std::nullopt;
  }
  return out;
}

std::string ShardId(uint64_t start_seq, std::string_view label) {
  uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : label) {
    h ^= c;
    h *= 16777619u;
  }
  return fmt::format("shardId-{:020}-{:08x}", start_seq, h);
}

std::string EncodeShards(const std::vector<Shard>& shards) {
  std::string out;
  for (const Shard& s : shards) {
    if (!out.empty()) out.push_back(',');
    out += fmt::format("{}:{}:{}:{}", s.start, s.end, s.created_ms, s.parent);
  }
  return out;
}

bool DecodeShards(std::string_view text, std::vector<Shard>* shards) {
  shards->clear();
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string entry(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    unsigned long long start, end, parent;
    long long created;
    int used = 0;
    if (std::sscanf(entry.c_str(), "%llu:%llu:%lld:%llu%n", &start, &end, &created, &parent,
                    &used) != 4 ||
        static_cast<size_t>(used) != entry.size()) {
      return false;
    }
    shards->push_back({start, end, created, parent});
  }
  return true;
}

std::string EncodeStreamMeta(const StreamMeta& m) {
  return fmt::format("{}|{}|{}|{}", m.start_seq, m.trimmed_seq, ViewTypeText(m.view),
                     EncodeShards(m.shards));
}

bool DecodeStreamMeta(std::string_view value, StreamMeta* m) {
  std::vector<std::string> fields;
  for (size_t from = 0;;) {
    size_t bar = value.find('|', from);
    fields.emplace_back(value.substr(from, bar == std::string_view::npos ? bar : bar - from));
    if (bar == std::string_view::npos) break;
    from = bar + 1;
  }
  if (fields.size() < 3 || fields.size() > 4) return false;
  try {
    m->start_seq = std::stoull(fields[0]);
    m->trimmed_seq = std::stoull(fields[1]);
  } catch (const std::exception&) {
    return false;
  }
  m->view = ViewTypeFromText(fields[2]);
  if (fields.size() == 3) {
    auto created = static_cast<int64_t>(LabelTime(m->label) * 1000);
    m->shards = {{m->start_seq, 0, created, 0}};
    return true;
  }
  return DecodeShards(fields[3], &m->shards) && !m->shards.empty();
}

std::string FormatIterator(const ShardIterator& it) {
  return fmt::format("{}|2|{:016x}{:016x}{:016x}", it.arn, it.shard_start, it.position,
                     static_cast<uint64_t>(it.issued_ms));
}

std::optional<ShardIterator> ParseIterator(std::string_view text) {
  size_t bar = text.rfind('|');
  if (bar == std::string_view::npos || bar < 2 || text[bar - 2] != '|') return std::nullopt;
  char version = text[bar - 1];
  std::string_view payload = text.substr(bar + 1);
  size_t fields = version == '1' ? 2 : version == '2' ? 3 : 0;
  if (fields == 0 || payload.size() != 16 * fields || !IsHex(payload)) return std::nullopt;
  ShardIterator it;
  it.arn = std::string(text.substr(0, bar - 2));
  if (!ParseStreamArn(it.arn)) return std::nullopt;
  auto field = [&](size_t i) {
    return std::stoull(std::string(payload.substr(16 * i, 16)), nullptr, 16);
  };
  if (fields == 3) it.shard_start = field(0);
  it.position = field(fields - 2);
  it.issued_ms = static_cast<int64_t>(field(fields - 1));
  return it;
}

std::string NewEventId() {
  FastRandom& random = ThreadRandom();
  return fmt::format("{:016x}{:016x}", random(), random());
}

double LabelTime(std::string_view label) {
  int y, mo, d, h, mi, s, ms;
  std::string text(label);
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d", &y, &mo, &d, &h, &mi, &s, &ms) !=
      7) {
    return 0;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<double>(timegm(&tm)) + ms / 1000.0;
}

}  // namespace cruddur::ddb::streams
