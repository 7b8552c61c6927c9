package emulator

import (
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// accepts reports whether the request's Accept header admits mediaType
// ("type/subtype"), as RFC 9110 section 12.5.1 reads it: no Accept header
// (or an empty one) admits anything; otherwise the most specific range
// that matches (type/subtype, then type/*, then */*) decides, and a q of 0
// refuses. A range that does not parse matches nothing.
func accepts(h http.Header, mediaType string) bool {
	ranges := strings.Join(h.Values("Accept"), ",")
	if strings.TrimSpace(ranges) == "" {
		return true
	}
	typ, _, _ := strings.Cut(mediaType, "/")
	best, bestQ := -1, 0.0
	for _, r := range strings.Split(ranges, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(r))
		if err != nil {
			continue
		}
		var s int
		switch mt {
		case mediaType:
			s = 2
		case typ + "/*":
			s = 1
		case "*/*":
			s = 0
		default:
			continue
		}
		if s > best {
			best, bestQ = s, quality(params["q"])
		}
	}
	return best >= 0 && bestQ > 0
}

// quality reads a q parameter: absent means 1; one that does not parse, 0.
func quality(q string) float64 {
	if q == "" {
		return 1
	}
	f, err := strconv.ParseFloat(q, 64)
	if err != nil || f < 0 || f > 1 {
		return 0
	}
	return f
}
