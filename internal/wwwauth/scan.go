package wwwauth

import "strings"

// scanner walks one WWW-Authenticate field value (RFC 9110 §5.6: tokens,
// quoted-strings, OWS, comma lists). Every method advances i at most to the
// end of s, and none backtracks further than one item, so a field is read
// in linear time.
type scanner struct {
	s string
	i int
}

func (p *scanner) done() bool { return p.i >= len(p.s) }

func (p *scanner) peek() byte {
	if p.done() {
		return 0
	}
	return p.s[p.i]
}

// skipOWS skips optional whitespace (RFC 9110 §5.6.3: SP and HTAB).
func (p *scanner) skipOWS() {
	for !p.done() && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// skipListSeparators skips whitespace and the empty elements a comma list
// may hold (RFC 9110 §5.6.1).
func (p *scanner) skipListSeparators() {
	for !p.done() && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == ',') {
		p.i++
	}
}

// token reads 1*tchar (RFC 9110 §5.6.2); "" if there is none.
func (p *scanner) token() string {
	j := p.i
	for !p.done() && tchar(p.s[p.i]) {
		p.i++
	}
	return p.s[j:p.i]
}

// endOfItem skips whitespace and reports whether the list item ends here.
func (p *scanner) endOfItem() bool {
	p.skipOWS()
	return p.done() || p.s[p.i] == ','
}

// paramAhead reports, without moving, whether an auth-param starts here:
// token BWS "=" BWS, then a token or quoted-string. A token68 has its "="
// only at its end, followed by more "=", a comma or nothing.
func (p *scanner) paramAhead() bool {
	q := *p
	if q.token() == "" {
		return false
	}
	q.skipOWS()
	if q.peek() != '=' {
		return false
	}
	q.i++
	q.skipOWS()
	c := q.peek()
	return c == '"' || tchar(c)
}

// token68 reads 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
// (RFC 9110 §11.2).
func (p *scanner) token68() bool {
	j := p.i
	for !p.done() && t68char(p.s[p.i]) {
		p.i++
	}
	if p.i == j {
		return false
	}
	for !p.done() && p.s[p.i] == '=' {
		p.i++
	}
	return true
}

// value reads an auth-param's value: a token or a quoted-string.
func (p *scanner) value() (string, bool) {
	if p.peek() == '"' {
		return p.quoted()
	}
	v := p.token()
	return v, v != ""
}

// quoted reads a quoted-string (RFC 9110 §5.6.4) and returns its content
// with the quoted-pairs resolved. An unterminated string, or a control
// character in it, fails.
func (p *scanner) quoted() (string, bool) {
	p.i++ // the opening DQUOTE
	var b []byte
	start := p.i
	for !p.done() {
		c := p.s[p.i]
		switch {
		case c == '"':
			v := p.s[start:p.i]
			if b != nil {
				v = string(append(b, v...))
			}
			p.i++
			return v, true
		case c == '\\':
			if p.i+1 >= len(p.s) || !qdchar(p.s[p.i+1]) {
				return "", false
			}
			b = append(append(b, p.s[start:p.i]...), p.s[p.i+1])
			p.i += 2
			start = p.i
		case !qdchar(c):
			return "", false
		default:
			p.i++
		}
	}
	return "", false
}

// tchar: "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" /
// "_" / "`" / "|" / "~" / DIGIT / ALPHA.
func tchar(c byte) bool {
	return alnum(c) || c != 0 && strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func t68char(c byte) bool { return alnum(c) || c != 0 && strings.IndexByte("-._~+/", c) >= 0 }

func alnum(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' }

// qdchar: what a quoted-string may hold, quoted-pairs included: HTAB, SP,
// VCHAR and obs-text; no other control character.
func qdchar(c byte) bool { return c == '\t' || c >= 0x20 && c != 0x7f }
