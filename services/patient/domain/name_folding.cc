#include "services/patient/domain/name_folding.h"

#include <cstddef>

#include "services/patient/domain/text.h"

namespace clinic::patient::domain {
namespace {

// Latin-1 Supplement and Latin Extended-A letters folded to lower-case ASCII, as ranges
// of code points sharing one folded form.
struct FoldRange {
  char32_t first;
  char32_t last;
  const char* folded;
};
constexpr FoldRange kLatinFolds[] = {
    {0x00C0, 0x00C5, "a"},  {0x00C6, 0x00C6, "ae"}, {0x00C7, 0x00C7, "c"},  {0x00C8, 0x00CB, "e"},
    {0x00CC, 0x00CF, "i"},  {0x00D0, 0x00D0, "d"},  {0x00D1, 0x00D1, "n"},  {0x00D2, 0x00D6, "o"},
    {0x00D8, 0x00D8, "o"},  {0x00D9, 0x00DC, "u"},  {0x00DD, 0x00DD, "y"},  {0x00DE, 0x00DE, "th"},
    {0x00DF, 0x00DF, "ss"}, {0x00E0, 0x00E5, "a"},  {0x00E6, 0x00E6, "ae"}, {0x00E7, 0x00E7, "c"},
    {0x00E8, 0x00EB, "e"},  {0x00EC, 0x00EF, "i"},  {0x00F0, 0x00F0, "d"},  {0x00F1, 0x00F1, "n"},
    {0x00F2, 0x00F6, "o"},  {0x00F8, 0x00F8, "o"},  {0x00F9, 0x00FC, "u"},  {0x00FD, 0x00FD, "y"},
    {0x00FE, 0x00FE, "th"}, {0x00FF, 0x00FF, "y"},  {0x0100, 0x0105, "a"},  {0x0106, 0x010D, "c"},
    {0x010E, 0x0111, "d"},  {0x0112, 0x011B, "e"},  {0x011C, 0x0123, "g"},  {0x0124, 0x0127, "h"},
    {0x0128, 0x0131, "i"},  {0x0132, 0x0133, "ij"}, {0x0134, 0x0135, "j"},  {0x0136, 0x0138, "k"},
    {0x0139, 0x0142, "l"},  {0x0143, 0x0148, "n"},  {0x0149, 0x0149, "'n"}, {0x014A, 0x014B, "n"},
    {0x014C, 0x0151, "o"},  {0x0152, 0x0153, "oe"}, {0x0154, 0x0159, "r"},  {0x015A, 0x0161, "s"},
    {0x0162, 0x0167, "t"},  {0x0168, 0x0173, "u"},  {0x0174, 0x0175, "w"},  {0x0176, 0x0178, "y"},
    {0x0179, 0x017E, "z"},  {0x017F, 0x017F, "s"},
};

const char* LatinFold(char32_t c) {
  for (const FoldRange& r : kLatinFolds) {
    if (c >= r.first && c <= r.last) return r.folded;
  }
  return nullptr;
}

// Lower-case of a Greek or Cyrillic capital; `c` itself otherwise.
char32_t FoldGreekCyrillic(char32_t c) {
  if (c >= 0x0391 && c <= 0x03AB && c != 0x03A2) return c + 0x20;  // Α..Ϋ -> α..ϋ
  if (c == 0x03C2) return 0x03C3;                                  // final sigma -> σ
  if (c == 0x0401 || c == 0x0451) return 0x0435;                   // Ё, ё -> е
  if (c >= 0x0400 && c <= 0x040F) return c + 0x50;                 // Ѐ..Џ -> ѐ..џ
  if (c >= 0x0410 && c <= 0x042F) return c + 0x20;                 // А..Я -> а..я
  return c;
}

}  // namespace

std::string FoldName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  bool pending_space = false;
  ForEachCodePoint(TrimSpace(name), [&](char32_t c, std::size_t, std::size_t) {
    if (IsSpace(c)) {
      pending_space = true;
      return;
    }
    if (c >= 0x0300 && c <= 0x036F) return;  // combining diacritical marks
    if (pending_space) {
      out.push_back(' ');
      pending_space = false;
    }
    if (c < 0x80) {
      out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c));
    } else if (const char* folded = LatinFold(c)) {
      out += folded;
    } else if (c == 0x2018 || c == 0x2019 || c == 0x02BC) {
      out.push_back('\'');
    } else if ((c >= 0x2010 && c <= 0x2015) || c == 0x2212) {
      out.push_back('-');
    } else {
      AppendUtf8(FoldGreekCyrillic(c), out);
    }
  });
  return out;
}

}  // namespace clinic::patient::domain
