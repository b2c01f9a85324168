package azotte

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
)

// Problem is an RFC 9457 (formerly 7807) problem document, the body
// Azotte sends with a 409 and other errors.
type Problem struct {
	Type     string // a URI reference; "about:blank" when absent
	Title    string
	Status   int // 0 when absent or not an integer
	Detail   string
	Instance string
}

// maxProblemText bounds each text member kept from a problem document, so
// that a provider cannot fill the event log through it.
const maxProblemText = 512

// ParseProblem parses a problem document. The body must be a JSON object;
// members of the wrong type are ignored (RFC 9457 §3.1 says consumers must
// ignore them), long texts are cut to 512 bytes and control characters
// removed. A body that is not a JSON object is an error wrapping
// ErrMalformed.
func ParseProblem(body []byte) (Problem, error) {
	var raw map[string]json.RawMessage
	if err := decodeObject(body, &raw); err != nil {
		return Problem{}, fmt.Errorf("parse problem: %w", err)
	}
	p := Problem{
		Type: text(raw["type"]), Title: text(raw["title"]),
		Detail: text(raw["detail"]), Instance: text(raw["instance"]),
	}
	if p.Type == "" {
		p.Type = "about:blank"
	}
	var status int
	if json.Unmarshal(bytes.TrimSpace(raw["status"]), &status) == nil && status >= 100 && status <= 599 {
		p.Status = status
	}
	return p, nil
}

// Summary is a one-line, bounded description: the detail, else the title,
// else the type.
func (p Problem) Summary() string {
	switch {
	case p.Detail != "":
		return p.Detail
	case p.Title != "":
		return p.Title
	default:
		return p.Type
	}
}

// text returns a JSON string member's value, cleaned and bounded; "" for
// anything else.
func text(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(bytes.TrimSpace(raw), &s) != nil {
		return ""
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > maxProblemText {
		s = strings.ToValidUTF8(s[:maxProblemText], "") + "…"
	}
	return s
}
