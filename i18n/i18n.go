package i18n

import (
	"fmt"
	"strings"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
	"golang.org/x/text/width"
)

// The languages dsim speaks.
var (
	English            = language.English
	Japanese           = language.Japanese
	TraditionalChinese = language.TraditionalChinese
)

// Supported lists the languages with translations, English first (the
// fallback), as --lang takes them.
var Supported = []language.Tag{English, Japanese, TraditionalChinese}

var matcher = language.NewMatcher(Supported)

// Code is how --lang names a supported tag: "en", "ja", "zh-Hant".
func Code(t language.Tag) string {
	switch t {
	case Japanese:
		return "ja"
	case TraditionalChinese:
		return "zh-Hant"
	}
	return "en"
}

// Parse matches a language name as --lang or a POSIX locale gives it
// ("ja", "ja_JP.UTF-8", "zh-Hant", "zh_TW", "en_US") to a supported
// language. ok is false when nothing supported matches.
func Parse(s string) (language.Tag, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, ".@"); i >= 0 {
		s = s[:i] // ja_JP.UTF-8, de_DE@euro
	}
	s = strings.ReplaceAll(s, "_", "-")
	switch s {
	case "", "C", "POSIX":
		return English, s != ""
	}
	t, err := language.Parse(s)
	if err != nil {
		return English, false
	}
	_, idx, conf := matcher.Match(t)
	if conf == language.No {
		return English, false
	}
	return Supported[idx], true
}

// FromEnv picks the language the environment asks for, in POSIX order:
// LC_ALL, then LC_MESSAGES, then LANG; English when none is set or none
// names a language dsim speaks.
func FromEnv(getenv func(string) string) language.Tag {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if s := getenv(v); s != "" {
			t, _ := Parse(s)
			return t
		}
	}
	return English
}

// Printer translates messages into one language. The nil *Printer speaks
// English, so code that was given no printer needs no check.
type Printer struct {
	tag language.Tag
	mp  *message.Printer
}

// NewPrinter returns a printer for t (matched to a supported language).
func NewPrinter(t language.Tag) *Printer {
	_, idx, _ := matcher.Match(t)
	t = Supported[idx]
	return &Printer{tag: t, mp: message.NewPrinter(t, message.Catalog(cat))}
}

// Tag is the printer's language.
func (p *Printer) Tag() language.Tag {
	if p == nil {
		return English
	}
	return p.tag
}

// T formats a message in the printer's language: format is the English
// text, and the key of its translations. English is formatted by package
// fmt (so numbers print as they always did) unless the message has plural
// forms.
func (p *Printer) T(format string, args ...any) string {
	if p == nil {
		p = english
	}
	if p.tag == English && !plurals[format] {
		return fmt.Sprintf(format, args...)
	}
	return p.mp.Sprintf(format, args...)
}

// english serves the nil *Printer. (Built on first use: the catalog is
// filled in by the package's init functions.)
var english *Printer

func init() { english = NewPrinter(English) }

// Has reports whether the message has a translation in language t (every
// message has one in English).
func Has(t language.Tag, format string) bool {
	if t == English {
		return true
	}
	m, ok := translations[t]
	if !ok {
		return false
	}
	_, ok = m[format]
	return ok || pluralIn(t, format)
}

// translations holds the plain messages by language, key -> text; they
// are added to the catalog in init.
var translations = map[language.Tag]map[string]string{}

// plurals marks the messages with plural forms (see plurals.go).
var plurals = map[string]bool{}

// pluralMessages are the messages with plural forms, by language.
var pluralMessages = map[language.Tag]map[string]catalog.Message{}

func pluralIn(t language.Tag, key string) bool {
	_, ok := pluralMessages[t][key]
	return ok
}

// cat is the message catalog every printer uses.
var cat = catalog.NewBuilder(catalog.Fallback(English))

// addMessages registers one language's plain translations.
func addMessages(t language.Tag, m map[string]string) {
	if translations[t] == nil {
		translations[t] = map[string]string{}
	}
	for k, v := range m {
		translations[t][k] = v
		if err := cat.SetString(t, k, v); err != nil {
			panic(fmt.Sprintf("i18n: %s %q: %v", t, k, err))
		}
	}
}

// addPlural registers a message whose text depends on a count: arg is the
// 1-based index of the count among the arguments; forms alternate
// plural.One / plural.Other (or other plural.Form) and text.
func addPlural(t language.Tag, key string, arg int, forms ...any) {
	plurals[key] = true
	msg := plural.Selectf(arg, "%d", forms...)
	if pluralMessages[t] == nil {
		pluralMessages[t] = map[string]catalog.Message{}
	}
	pluralMessages[t][key] = msg
	if err := cat.Set(t, key, msg); err != nil {
		panic(fmt.Sprintf("i18n: %s %q: %v", t, key, err))
	}
}

// Messages lists the keys of every translated plain message of t, for the
// tests.
func Messages(t language.Tag) []string {
	var out []string
	for k := range translations[t] {
		out = append(out, k)
	}
	return out
}

// S translates a text that is not a format (a command's help, a chapter's
// title): the text itself in English or when there is no translation.
func (p *Printer) S(text string) string {
	if p == nil || p.tag == English {
		return text
	}
	if t, ok := translations[p.tag][text]; ok {
		return t
	}
	return text
}

// usedElsewhere are catalog keys that reach the printer other than as a
// literal T argument: chapter titles, command summaries and help, TUI key
// help (registered with Elsewhere by the packages that own them).
var usedElsewhere = map[string]bool{}

// Elsewhere declares texts translated with S or T from a variable (a
// chapter's title, a command's help), so the tests know they are in use.
func Elsewhere(texts ...string) {
	for _, t := range texts {
		usedElsewhere[t] = true
	}
}

// UsedElsewhere reports whether Elsewhere declared the text.
func UsedElsewhere(text string) bool { return usedElsewhere[text] }

// Width is how many terminal cells s takes: two for each wide (East Asian
// wide or full-width) character, one for the others.
func Width(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// Pad fills s with spaces on the right to n cells, for tables whose labels
// are translated (fmt's %-28s counts runes, not cells).
func Pad(s string, n int) string {
	if w := Width(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}

// PadLeft right-aligns s in n cells.
func PadLeft(s string, n int) string {
	if w := Width(s); w < n {
		return strings.Repeat(" ", n-w) + s
	}
	return s
}
