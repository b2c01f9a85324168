package statusapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Kind is the type of a JSON value.
type Kind uint8

// The kinds of JSON values.
const (
	KindNull Kind = iota
	KindBool
	KindNumber
	KindString
	KindArray
	KindObject
)

// maxDepth is how deeply arrays and objects may nest: encoding/json's own
// limit, so Parse accepts exactly the texts json.Valid accepts.
const maxDepth = 10000

// Value is one JSON value of a text read by Parse: its kind, its text (a
// slice of Parse's input, without surrounding whitespace) and, for an
// object, its members.
type Value struct {
	Kind Kind
	Raw  []byte
	// members are an object's members by folded name (foldName); Parse
	// refuses two names that fold alike, so each is unique.
	members map[string]member
}

// member is one member of an object: its name as sent, and its value.
type member struct {
	name  string
	value Value
}

// Member returns the object's member named exactly name; ok is false when
// v is not an object or has no such member. A member whose value is null
// is returned (ok true, Kind KindNull).
func (v Value) Member(name string) (Value, bool) {
	m, ok := v.members[foldName(name)]
	if !ok || m.name != name {
		return Value{}, false
	}
	return m.value, true
}

// MemberFold is Member with names matched under Unicode case folding, as
// encoding/json matches struct fields.
func (v Value) MemberFold(name string) (Value, bool) {
	m, ok := v.members[foldName(name)]
	return m.value, ok
}

// Text returns a string value's text (escapes decoded; invalid UTF-8
// replaced with U+FFFD, as encoding/json does) and true, or "" and false
// when v is not a string.
func (v Value) Text() (string, bool) {
	if v.Kind != KindString {
		return "", false
	}
	return unquote(v.Raw), true
}

// Parse reads the JSON text b in one pass: it checks the syntax exactly as
// json.Valid does, refuses an object naming a member twice at any depth
// (also under Unicode case folding: encoding/json keeps the last of two equal
// names and matches struct fields case-insensitively, so either would let one
// member silently override another, "status":"PENDING","status":"SUCCESS"; an
// ambiguous answer is a failed check, never a verdict) with an error wrapping
// ErrDuplicateKey, and returns the value with every object's members
// indexed, without copying b. A syntax error names its offset and does not
// wrap ErrDuplicateKey.
//
// It replaces a walk for duplicate names followed by json.Unmarshal (two
// passes, the first allocating for every token).
func Parse(b []byte) (Value, error) {
	p := parser{b: b}
	p.space()
	v, err := p.value(0)
	if err != nil {
		return Value{}, err
	}
	p.space()
	if p.i != len(p.b) {
		return Value{}, p.fail("after top-level value")
	}
	return v, nil
}

// parser is Parse's position in its input.
type parser struct {
	b []byte
	i int
}

// syntaxError is a JSON syntax error at an offset.
type syntaxError struct {
	msg    string
	offset int
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.offset, e.msg)
}

func (p *parser) fail(what string) error {
	if p.i >= len(p.b) {
		return &syntaxError{msg: "unexpected end of input " + what, offset: p.i}
	}
	return &syntaxError{msg: fmt.Sprintf("invalid character %q %s", p.b[p.i], what), offset: p.i}
}

func (p *parser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// value reads one value starting at p.i (whitespace already skipped).
func (p *parser) value(depth int) (Value, error) {
	if p.i >= len(p.b) {
		return Value{}, p.fail("looking for a value")
	}
	start := p.i
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object(depth + 1)
	case c == '[':
		return p.array(depth + 1)
	case c == '"':
		if err := p.str(); err != nil {
			return Value{}, err
		}
		return Value{Kind: KindString, Raw: p.b[start:p.i]}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		if err := p.number(); err != nil {
			return Value{}, err
		}
		return Value{Kind: KindNumber, Raw: p.b[start:p.i]}, nil
	case c == 't':
		return p.literal("true", KindBool)
	case c == 'f':
		return p.literal("false", KindBool)
	case c == 'n':
		return p.literal("null", KindNull)
	default:
		return Value{}, p.fail("looking for a value")
	}
}

func (p *parser) literal(word string, k Kind) (Value, error) {
	start := p.i
	for j := 0; j < len(word); j++ {
		if p.i >= len(p.b) || p.b[p.i] != word[j] {
			return Value{}, p.fail("in literal " + word)
		}
		p.i++
	}
	return Value{Kind: k, Raw: p.b[start:p.i]}, nil
}

func (p *parser) object(depth int) (Value, error) {
	if depth > maxDepth {
		return Value{}, p.fail("exceeding the maximum nesting depth")
	}
	start := p.i
	p.i++ // '{'
	v := Value{Kind: KindObject, members: map[string]member{}}
	p.space()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		v.Raw = p.b[start:p.i]
		return v, nil
	}
	for {
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return Value{}, p.fail("looking for the beginning of an object key")
		}
		ks := p.i
		if err := p.str(); err != nil {
			return Value{}, err
		}
		name := unquote(p.b[ks:p.i])
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return Value{}, p.fail("after an object key")
		}
		p.i++
		p.space()
		mv, err := p.value(depth)
		if err != nil {
			return Value{}, err
		}
		folded := foldName(name)
		if prev, dup := v.members[folded]; dup {
			return Value{}, fmt.Errorf("%w: %q and %q", ErrDuplicateKey, prev.name, name)
		}
		v.members[folded] = member{name: name, value: mv}
		p.space()
		if p.i >= len(p.b) {
			return Value{}, p.fail("after an object value")
		}
		switch p.b[p.i] {
		case ',':
			p.i++
			p.space()
		case '}':
			p.i++
			v.Raw = p.b[start:p.i]
			return v, nil
		default:
			return Value{}, p.fail("after an object value")
		}
	}
}

func (p *parser) array(depth int) (Value, error) {
	if depth > maxDepth {
		return Value{}, p.fail("exceeding the maximum nesting depth")
	}
	start := p.i
	p.i++ // '['
	p.space()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return Value{Kind: KindArray, Raw: p.b[start:p.i]}, nil
	}
	for {
		if _, err := p.value(depth); err != nil {
			return Value{}, err
		}
		p.space()
		if p.i >= len(p.b) {
			return Value{}, p.fail("after an array element")
		}
		switch p.b[p.i] {
		case ',':
			p.i++
			p.space()
		case ']':
			p.i++
			return Value{Kind: KindArray, Raw: p.b[start:p.i]}, nil
		default:
			return Value{}, p.fail("after an array element")
		}
	}
}

// str reads a string literal starting at its opening quote.
func (p *parser) str() error {
	p.i++ // '"'
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return nil
		case c < 0x20:
			return p.fail("in string literal")
		case c == '\\':
			p.i++
			if p.i >= len(p.b) {
				return p.fail("in string escape code")
			}
			switch p.b[p.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i++
			case 'u':
				p.i++
				for j := 0; j < 4; j++ {
					if p.i >= len(p.b) || !isHex(p.b[p.i]) {
						return p.fail("in \\u hexadecimal character escape")
					}
					p.i++
				}
			default:
				return p.fail("in string escape code")
			}
		default:
			p.i++
		}
	}
	return p.fail("in string literal")
}

// number reads a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *parser) number() error {
	if p.b[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.b) && p.b[p.i] == '0':
		p.i++
	case p.i < len(p.b) && p.b[p.i] >= '1' && p.b[p.i] <= '9':
		p.digits()
	default:
		return p.fail("in numeric literal")
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if p.i >= len(p.b) || !isDigit(p.b[p.i]) {
			return p.fail("after decimal point in numeric literal")
		}
		p.digits()
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if p.i >= len(p.b) || !isDigit(p.b[p.i]) {
			return p.fail("in exponent of numeric literal")
		}
		p.digits()
	}
	return nil
}

func (p *parser) digits() {
	for p.i < len(p.b) && isDigit(p.b[p.i]) {
		p.i++
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// unquote returns the text of the valid string literal raw. The common
// case (no escapes, valid UTF-8) is a plain conversion; anything else goes
// through encoding/json, so the text is exactly what it would decode.
func unquote(raw []byte) string {
	inner := raw[1 : len(raw)-1]
	plain := utf8.Valid(inner)
	for _, c := range inner {
		if c == '\\' {
			plain = false
			break
		}
	}
	if plain {
		return string(inner)
	}
	var s string
	_ = json.Unmarshal(raw, &s) // raw was validated: this cannot fail
	return s
}

// foldName is a member name under Unicode case folding, the comparison
// Parse refuses duplicates under.
func foldName(name string) string {
	for i := 0; i < len(name); i++ {
		if c := name[i]; c >= utf8.RuneSelf || (c >= 'A' && c <= 'Z') {
			return strings.ToLower(strings.ToUpper(name))
		}
	}
	return name
}

// ErrDuplicateKey is returned by Parse for a JSON object that names one
// member twice.
var ErrDuplicateKey = errors.New("duplicate JSON object key")
