package i18n_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/language"

	_ "github.com/dsimlab/dsim/dsimcli" // registers the commands' texts
	"github.com/dsimlab/dsim/i18n"
	"github.com/dsimlab/dsim/scenarios"
)

// messagesInCode finds every message the code translates: the literal
// first argument of each call of a method named T (i18n.Printer.T) in the
// repository's non-test Go files.
func messagesInCode(t *testing.T) map[string][]string {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	found := map[string][]string{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "homework") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "T" {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err == nil {
				rel, _ := filepath.Rel(root, path)
				found[s] = append(found[s], rel+":"+strconv.Itoa(fset.Position(lit.Pos()).Line))
			}
			return true
		})
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, found, "the walk found no messages")
	return found
}

// Every message the code prints through a Printer has its Japanese and
// Traditional Chinese translation. The failure lists each missing one with
// where it is used, ready to be added to messages_ja.go / messages_zh.go.
func TestEveryMessageIsTranslated(t *testing.T) {
	found := messagesInCode(t)
	keys := make([]string, 0, len(found))
	for k := range found {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, tag := range []language.Tag{i18n.Japanese, i18n.TraditionalChinese} {
		for _, k := range keys {
			if !i18n.Has(tag, k) {
				t.Errorf("%s: no translation of %q (used at %s)", i18n.Code(tag), k, strings.Join(found[k], ", "))
			}
		}
	}
}

// The catalog has no translation the code no longer uses (a renamed
// message would otherwise silently fall back to English).
func TestNoStaleTranslations(t *testing.T) {
	found := messagesInCode(t)
	for _, tag := range []language.Tag{i18n.Japanese, i18n.TraditionalChinese} {
		for _, k := range i18n.Messages(tag) {
			if _, used := found[k]; !used && !i18n.UsedElsewhere(k) {
				t.Errorf("%s: translation of %q, which no code uses", i18n.Code(tag), k)
			}
		}
	}
}

func TestLanguageMatching(t *testing.T) {
	cases := []struct {
		in   string
		want language.Tag
		ok   bool
	}{
		{"ja", i18n.Japanese, true},
		{"ja_JP.UTF-8", i18n.Japanese, true},
		{"zh-Hant", i18n.TraditionalChinese, true},
		{"zh_TW.UTF-8", i18n.TraditionalChinese, true},
		{"zh-HK", i18n.TraditionalChinese, true},
		{"en_US.UTF-8", i18n.English, true},
		{"C", i18n.English, true},
		{"klingon!", i18n.English, false},
	}
	for _, tc := range cases {
		got, ok := i18n.Parse(tc.in)
		assert.Equal(t, tc.want, got, tc.in)
		assert.Equal(t, tc.ok, ok, tc.in)
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	assert.Equal(t, i18n.Japanese, i18n.FromEnv(env(map[string]string{"LANG": "ja_JP.UTF-8"})))
	assert.Equal(t, i18n.TraditionalChinese, i18n.FromEnv(env(map[string]string{"LANG": "ja_JP.UTF-8", "LC_ALL": "zh_TW.UTF-8"})), "LC_ALL wins")
	assert.Equal(t, i18n.Japanese, i18n.FromEnv(env(map[string]string{"LANG": "en_US.UTF-8", "LC_MESSAGES": "ja_JP.UTF-8"})), "LC_MESSAGES beats LANG")
	assert.Equal(t, i18n.English, i18n.FromEnv(env(nil)))
}

func TestPluralsAndFallback(t *testing.T) {
	en := i18n.NewPrinter(i18n.English)
	assert.Equal(t, "... and 1 more (the trace has it)", en.T("... and %d more (the trace has them all)", 1))
	assert.Equal(t, "... and 3 more (the trace has them all)", en.T("... and %d more (the trace has them all)", 3))
	var none *i18n.Printer
	assert.Equal(t, "... and 1 more (the trace has it)", none.T("... and %d more (the trace has them all)", 1), "nil speaks English")
	ja := i18n.NewPrinter(i18n.Japanese)
	assert.Equal(t, "not a message anyone translated 7", ja.T("not a message anyone translated %d", 7), "falls back to English")
	assert.NotEqual(t, en.T("The story"), ja.T("The story"))
}

// scenariosAtStart are the scenarios that existed when the translations
// were written: each must have its Japanese and Chinese text. Scenarios
// added since are listed by TestScenarioTextsAreTranslated's log, to be
// filled in.
var scenariosAtStart = []string{
	"2pc", "2pc-coordinator-crash", "2pc-participant-crash", "2pc-timeout", "auth", "breaker-cascade",
	"broadcast", "cap", "cdn", "consistent-hashing", "lamport", "multipaxos-kv", "paxos-acceptor-crash",
	"paxos-basic", "paxos-duel", "quorum-kv", "quorum-linearizability", "raft-election", "raft-failover",
	"raft-kv", "raft-partition", "rate-limit", "replication", "retry-storm", "saga", "sharding",
	"thundering-herd", "web-scale",
}

// Every scenario's story, what to look for, summary and knob docs are in
// Japanese and Traditional Chinese (i18n/scenarios_ja.go, scenarios_zh.go,
// keyed by the scenario's name).
func TestScenarioTextsAreTranslated(t *testing.T) {
	required := map[string]bool{}
	for _, n := range scenariosAtStart {
		required[n] = true
	}
	var later []string
	for _, s := range scenarios.All() {
		for _, tag := range []language.Tag{i18n.Japanese, i18n.TraditionalChinese} {
			var missing []string
			tr, ok := i18n.Scenario(tag, s.Name)
			if !ok {
				missing = append(missing, "everything")
			} else {
				for field, text := range map[string]string{"Summary": tr.Summary, "Doc": tr.Doc, "LookFor": tr.LookFor} {
					if strings.TrimSpace(text) == "" {
						missing = append(missing, field)
					}
				}
				for _, k := range s.Knobs {
					if tr.Knobs[k.Name] == "" {
						missing = append(missing, "knob "+k.Name)
					}
				}
			}
			if len(missing) == 0 {
				continue
			}
			sort.Strings(missing)
			msg := fmt.Sprintf("%s: %s lacks %s", s.Name, i18n.Code(tag), strings.Join(missing, ", "))
			if required[s.Name] {
				t.Error(msg)
			} else {
				later = append(later, msg)
			}
		}
	}
	if len(later) > 0 {
		t.Logf("scenarios registered after the translations, to translate in i18n/scenarios_ja.go and scenarios_zh.go:\n  %s", strings.Join(later, "\n  "))
	}
	for _, name := range scenariosAtStart {
		_, err := scenarios.Lookup(name)
		assert.NoError(t, err, "a translated scenario is no longer registered: remove its text")
	}
}

// The chapters' titles are translated too.
func TestChapterTitlesAreTranslated(t *testing.T) {
	for _, c := range scenarios.Chapters {
		for _, tag := range []language.Tag{i18n.Japanese, i18n.TraditionalChinese} {
			assert.True(t, i18n.Has(tag, c.Title), "%s: chapter %q", i18n.Code(tag), c.Title)
		}
	}
}

// Each translation takes the English message's arguments: formatted with
// arguments of the right kinds, no translation prints a %! error (a
// missing argument, a wrong index, a wrong verb).
func TestTranslationsTakeTheirArguments(t *testing.T) {
	verb := regexp.MustCompile(`%[-+# 0-9.*]*([a-zA-Z%])`)
	for _, tag := range []language.Tag{i18n.Japanese, i18n.TraditionalChinese} {
		p := i18n.NewPrinter(tag)
		for _, key := range i18n.Messages(tag) {
			var args []any
			for _, m := range verb.FindAllStringSubmatch(key, -1) {
				switch m[1] {
				case "%":
				case "d":
					args = append(args, 2)
				default:
					args = append(args, "x")
				}
			}
			if len(args) == 0 || i18n.UsedElsewhere(key) {
				continue // a text, not a format (a help, a title)
			}
			got := p.T(key, args...)
			assert.NotContains(t, got, "%!", "%s: %q -> %q", i18n.Code(tag), key, got)
		}
	}
}
