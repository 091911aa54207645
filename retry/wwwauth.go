package retry

import "strings"

// bearerError returns the error auth-param of the first Bearer challenge
// in the WWW-Authenticate header values (RFC 9110 §11.6.1, RFC 6750 §3),
// or "" if there is none. The header is attacker-controlled; the parser is
// a single left-to-right pass that never backtracks, so its cost is linear
// in the input, and malformed input yields "" rather than a guess.
func bearerError(values []string) string {
	for _, v := range values {
		if e, ok := bearerErrorIn(v); ok {
			return e
		}
	}
	return ""
}

// bearerErrorIn scans one header value. The grammar is
//
//	challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//	auth-param = token BWS "=" BWS ( token / quoted-string )
//
// with challenges separated by commas; a token not followed by "=" starts
// the next challenge. ok reports that a Bearer challenge with an error
// parameter was found.
func bearerErrorIn(s string) (string, bool) {
	inBearer := false
	i := 0
	for i < len(s) {
		i = skipSpaceComma(s, i)
		start := i
		for i < len(s) && isTokenChar(s[i]) {
			i++
		}
		if i == start {
			// Not a token: skip one byte so the scan always advances.
			i++
			continue
		}
		name := s[start:i]
		j := skipSpace(s, i)
		if j < len(s) && s[j] == '=' {
			// auth-param, or token68 padding ("abc==").
			j = skipSpace(s, j+1)
			val, next, ok := paramValue(s, j)
			i = next
			if ok && inBearer && strings.EqualFold(name, "error") {
				return val, true
			}
			continue
		}
		// A new challenge: its scheme, then maybe a token68.
		inBearer = strings.EqualFold(name, "Bearer")
		i = j
	}
	return "", false
}

// paramValue reads a token or quoted-string at s[i:].
func paramValue(s string, i int) (val string, next int, ok bool) {
	if i < len(s) && s[i] == '"' {
		var b strings.Builder
		i++
		for i < len(s) {
			c := s[i]
			switch {
			case c == '\\' && i+1 < len(s):
				b.WriteByte(s[i+1])
				i += 2
			case c == '"':
				return b.String(), i + 1, true
			default:
				b.WriteByte(c)
				i++
			}
		}
		return "", i, false // unterminated
	}
	start := i
	for i < len(s) && isTokenChar(s[i]) {
		i++
	}
	for i < len(s) && s[i] == '=' { // token68 padding
		i++
	}
	return s[start:i], i, i > start
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

func skipSpaceComma(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == ',') {
		i++
	}
	return i
}

// isTokenChar reports whether c is a tchar (RFC 9110 §5.6.2), plus "/"
// for token68 values.
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~/", c) >= 0
}
