package exec

import (
	"slices"
	"strings"
	"testing"
)

// POSIX.1-2017 XCU §2.2 (quoting) and §2.6.5 (field splitting), without
// any expansion.
func TestSplitWordsQuotesAsAPOSIXShellAndExpandsNothing(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{`az account get-access-token --resource https://management.azure.com -o json`,
			[]string{"az", "account", "get-access-token", "--resource", "https://management.azure.com", "-o", "json"}},
		{"  a \t b\n c ", []string{"a", "b", "c"}},
		{`'single $HOME "x"' "double \$HOME \"q\" \\ \a" plain\ space`, []string{`single $HOME "x"`, `double $HOME "q" \ \a`, "plain space"}},
		{`'' "" x`, []string{"", "", "x"}},
		{`a'b'"c"d`, []string{"abcd"}},
		{"a\\\nb", []string{"ab"}},
		{`$HOME ~ *.go $(id) ; | >out`, []string{"$HOME", "~", "*.go", "$(id)", ";", "|", ">out"}},
		{"", nil},
	}
	for _, c := range cases {
		got, err := splitWords(c.in)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("splitWords(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestSplitWordsRefusesUnbalancedQuotes(t *testing.T) {
	for in, says := range map[string]string{
		`vault print 'token`: "single quote", `a "b`: "double quote", `a "b\"`: "double quote", `a\`: "backslash",
	} {
		if _, err := splitWords(in); err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("splitWords(%q): error %v, want one about a %s", in, err, says)
		}
	}
}

// Splitting never panics, and words quoted back ('...' with '\” for a
// quote) split into the same words.
func FuzzSplitWords(f *testing.F) {
	for _, seed := range []string{`a 'b c' "d\"e" f\ g`, `'`, `"\`, "a\\\nb", `'' ""`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		words, err := splitWords(line)
		if err != nil {
			return
		}
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
		again, err := splitWords(strings.Join(quoted, " "))
		if err != nil || !slices.Equal(again, words) {
			t.Errorf("%q split into %q; quoted back, into %q (%v)", line, words, again, err)
		}
	})
}
