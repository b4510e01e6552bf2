#include "ddb/expression/reserved_words.h"

#include <gtest/gtest.h>

#include <string>

namespace cruddur::ddb::expr {
namespace {

// The lookup searches only the words of the name's initial letter: the first and the last word
// of every letter (from the Developer Guide's list) must be found in any letter case, and names
// next to them in order must not.
TEST(ReservedWordsTest, FirstAndLastWordOfEachLetterInAnyCase) {
  for (const char* word :
       {"ABORT",   "AVG",    "BACK",       "BYTE",     "CALL",      "CYCLE",   "DATA",
        "DYNAMIC", "EACH",   "EXTRACT",    "FAIL",     "FUNCTIONS", "GENERAL", "GROUPING",
        "HANDLER", "HOUR",   "IDENTIFIED", "ITERATE",  "JOIN",      "KEY",     "KEYS",
        "LAG",     "LOWER",  "MAP",        "MULTISET", "NAME",      "NUMERIC", "OBJECT",
        "OWNER",   "PAD",    "PUT",        "QUERY",    "QUORUM",    "RAISE",   "RULES",
        "SAMPLE",  "SYSTEM", "TABLE",      "TYPE",     "UNDER",     "UUID",    "VACUUM",
        "VOID",    "WAIT",   "WRITE",      "YEAR",     "ZONE"}) {
    std::string lower(word), mixed(word);
    for (size_t i = 0; i < lower.size(); ++i) {
      lower[i] = static_cast<char>(lower[i] - 'A' + 'a');
      if (i % 2) mixed[i] = lower[i];
    }
    EXPECT_TRUE(IsReservedWord(word)) << word;
    EXPECT_TRUE(IsReservedWord(lower)) << lower;
    EXPECT_TRUE(IsReservedWord(mixed)) << mixed;
    EXPECT_FALSE(IsReservedWord(std::string(word) + "S" + "S")) << word;
    EXPECT_FALSE(IsReservedWord(std::string(word).substr(0, 1) + "0")) << word;
  }
}

TEST(ReservedWordsTest, OtherNames) {
  for (const char* name : {"", "pk", "sk", "x", "X", "XX", "_ABORT", "1ABORT", "ZONES", "ZZZZ",
                           "AA", "\xc3\xa9t\xc3\xa9", "abortabortabortabort", "status_"}) {
    EXPECT_FALSE(IsReservedWord(name)) << name;
  }
  EXPECT_TRUE(IsReservedWord("status"));
  EXPECT_TRUE(IsReservedWord("Size"));
  EXPECT_TRUE(IsReservedWord("TRANSACTION"));
}

}  // namespace
}  // namespace cruddur::ddb::expr
