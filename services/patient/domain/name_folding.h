#pragma once

// The comparison form of a person's name, used for the duplicate check at registration
// and for name searches ("compared case-, accent- and whitespace-insensitively").

#include <string>
#include <string_view>

namespace clinic::patient::domain {

// The comparison form of `name` (UTF-8):
// - surrounding space trimmed and every inner run of space (text.h IsSpace) collapsed
//   into one ASCII space;
// - letter case folded: ASCII, Latin-1, Latin Extended-A, basic Greek and Cyrillic;
// - accents removed: precomposed Latin-1 and Latin Extended-A letters become their base
//   letters (é -> e, ł -> l, ß -> ss, æ -> ae, ø -> o, þ -> th), combining marks
//   U+0300-U+036F are dropped (so decomposed "e\u0301" equals "é"), Cyrillic ё -> е;
// - typographic apostrophes (U+2018, U+2019, U+02BC) become "'" and the hyphens
//   U+2010-U+2015 and U+2212 become "-".
// Letters of other scripts are kept as written. Invalid UTF-8 bytes become U+FFFD.
// Equal results mean "the same name" for the duplicate check; the form is stored in
// index columns, so changing this function needs a migration that recomputes them.
std::string FoldName(std::string_view name);

}  // namespace clinic::patient::domain
