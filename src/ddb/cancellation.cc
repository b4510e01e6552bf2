#include "ddb/cancellation.h"

#include <fmt/format.h>

#include "ddb/error.h"
#include "ddb/json.h"
#include "ddb/value_json.h"

namespace cruddur::ddb {

std::string CancellationJson(const std::vector<CancellationReason>& reasons) {
  JsonBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  WriteJsonString(w, "CancellationReasons");
  w.StartArray();
  for (const auto& r : reasons) {
    w.StartObject();
    if (r.item) {
      WriteJsonString(w, "Item");
      WriteItem(w, *r.item);
    }
    WriteJsonString(w, "Code");
    WriteJsonString(w, r.code);
    if (!r.message.empty()) {
      WriteJsonString(w, "Message");
      WriteJsonString(w, r.message);
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString() + 1, buf.GetSize() - 2);
}

void ThrowCancelled(const std::vector<CancellationReason>& reasons) {
  std::string codes;
  for (size_t i = 0; i < reasons.size(); ++i) codes += (i ? ", " : "") + reasons[i].code;
  throw ApiError::TransactionCanceled(
      fmt::format("Transaction cancelled, please refer cancellation reasons for "
                  "specific reasons [{}]",
                  codes))
      .with_extra_json(CancellationJson(reasons));
}

}  // namespace cruddur::ddb
