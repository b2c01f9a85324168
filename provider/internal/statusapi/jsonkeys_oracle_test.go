package statusapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// frame is an object or array being walked by uniqueKeys.
type frame struct {
	object bool
	key    bool              // an object's next token is a member name
	seen   map[string]string // an object's folded names → names
}

// uniqueKeys is the duplicate-name check Parse replaced, kept as the
// oracle of FuzzParse: it walks the JSON text b (a streaming token walk of
// encoding/json's Decoder, so nothing is decoded into values) and returns
// an error wrapping ErrDuplicateKey when an object, at any depth, has two
// members with the same name, or with names equal under Unicode case
// folding: encoding/json keeps the last of two equal names and matches
// struct fields case-insensitively, so either would let one member
// silently override another ("status":"PENDING","status":"SUCCESS"). An
// ambiguous answer is a failed check, never a verdict. Syntax errors are
// returned as they are.
func uniqueKeys(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var stack []*frame
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.key {
			name, _ := tok.(string) // the Decoder only returns a string or '}' here
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = closeFrame(stack)
				continue
			}
			folded := strings.ToLower(strings.ToUpper(name))
			if prev, dup := top.seen[folded]; dup {
				return fmt.Errorf("%w: %q and %q", ErrDuplicateKey, prev, name)
			}
			top.seen[folded], top.key = name, false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, key: true, seen: map[string]string{}})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = closeFrame(stack)
		default: // a scalar value: an object's next token is a name again
			if top != nil && top.object {
				top.key = true
			}
		}
	}
}

// closeFrame pops the innermost frame; the value it was is complete, so an
// enclosing object expects a member name next.
func closeFrame(stack []*frame) []*frame {
	stack = stack[:len(stack)-1]
	if n := len(stack); n > 0 && stack[n-1].object {
		stack[n-1].key = true
	}
	return stack
}
