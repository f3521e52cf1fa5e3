// Package i18n speaks the learner's language: English, Japanese or
// Traditional Chinese, chosen by `dsim --lang` or by the environment
// (LC_ALL, LC_MESSAGES, LANG), matched with golang.org/x/text/language.
//
// Two kinds of text live here:
//
//   - Messages: every user-facing sentence of the CLI, the narration of the
//     runs, the TUI and the plots is written in English in the code, as
//     p.T("n1 became leader of term %d", term), and that English format
//     string is the key of its translations in a golang.org/x/text message
//     catalog (messages_ja.go, messages_zh.go). Counts that need a plural
//     form in English are declared with plural rules (plurals.go).
//   - Scenario texts: the story, what to look for, the one-line summary and
//     the knob docs of each scenario, keyed by scenario name and field
//     (scenarios_ja.go, scenarios_zh.go for the first families; a newer
//     family has its own pair, such as scenarios_data_ja.go and
//     scenarios_data_zh.go for scenarios/data), so a new scenario's
//     translations can be added without touching its code.
//
// A missing translation falls back to English; the package's tests fail
// when a message used in the code, or any registered scenario, lacks its
// Japanese or Chinese text, and name the file to add it to. Technical terms follow the course's own seed
// texts (リーダー, 任期, 過半数; 領導者, 任期, 多數); trace lines and
// protocol message names (RequestVote, AppendEntries) stay as they are.
package i18n
