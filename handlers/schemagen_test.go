package handlers

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
)

// schemaGen makes random JSON values that an OpenAPI 3.1 schema accepts,
// from a seeded generator, for the property test of openapi.yaml
// (TestOpenAPIPropertyRegistrations). It knows the keywords the file
// uses: type, const, enum, oneOf, allOf with if/then, properties and
// required, string lengths, patterns and the uri format, number bounds
// and multipleOf, array bounds. Each value is checked against the whole
// schema (kin-openapi, JSON Schema 2020-12) before it is used; a value
// the schema refuses is drawn again, so a keyword the generator
// misreads costs draws, never a false finding.
type schemaGen struct {
	r *rand.Rand
	// uriHost is the host of every format: uri value (the merchant's
	// return host: which hosts a merchant has is state, not schema).
	uriHost string
}

// valid reports whether v (plain JSON values) passes s.
func valid(s *openapi3.Schema, v any) bool {
	return s.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.MultiErrors()) == nil
}

// plain turns v into what encoding/json decodes (json.Number into float64).
func plain(v any) any {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		panic(err)
	}
	return out
}

// draw returns a value s accepts, or an error after 200 refused draws.
func (g *schemaGen) draw(s *openapi3.Schema) (any, error) {
	for range 200 {
		v := g.value(s)
		if valid(s, plain(v)) {
			return v, nil
		}
	}
	return nil, fmt.Errorf("no value the schema accepts in 200 draws (the generator misreads it)")
}

func (g *schemaGen) value(s *openapi3.Schema) any {
	switch {
	case s.Const != nil:
		return s.Const
	case len(s.Enum) > 0:
		return s.Enum[g.r.IntN(len(s.Enum))]
	case len(s.OneOf) > 0:
		return g.value(s.OneOf[g.r.IntN(len(s.OneOf))].Value)
	}
	var types []string
	if s.Type != nil {
		types = slices.DeleteFunc(slices.Clone(*s.Type), func(t string) bool { return t == "null" })
	}
	if len(types) == 0 {
		if len(s.Properties) > 0 {
			types = []string{"object"}
		} else {
			types = []string{"string"}
		}
	}
	switch types[g.r.IntN(len(types))] {
	case "object":
		return g.object(s)
	case "array":
		n := int(s.MinItems) + g.r.IntN(4)
		if s.MaxItems != nil {
			n = min(n, int(*s.MaxItems))
		}
		out := make([]any, n)
		for i := range out {
			out[i] = g.value(s.Items.Value)
		}
		return out
	case "boolean":
		return g.r.IntN(2) == 0
	case "integer":
		return json.Number(strconv.FormatInt(int64(g.bounded(s, 1)), 10))
	case "number":
		return g.number(s)
	}
	return g.str(s)
}

// object draws the required properties and about half the others, then
// applies each if/then of allOf whose if the object meets: the then's
// required properties are added and its properties drawn again from its
// schema (after the base one, whose constraints also hold).
func (g *schemaGen) object(s *openapi3.Schema) map[string]any {
	out := map[string]any{}
	for name, p := range s.Properties {
		if slices.Contains(s.Required, name) || g.r.IntN(2) == 0 {
			out[name] = g.value(p.Value)
		}
	}
	for range 3 { // a then may make another if true
		for _, sub := range s.AllOf {
			c := sub.Value
			if c.If == nil || c.Then == nil || !valid(c.If.Value, plain(out)) {
				continue
			}
			then := c.Then.Value
			for _, name := range then.Required {
				if _, ok := out[name]; !ok {
					out[name] = g.value(s.Properties[name].Value)
				}
			}
			for name, p := range then.Properties {
				if _, ok := out[name]; ok {
					out[name] = g.satisfying(s.Properties[name].Value, p.Value)
				}
			}
		}
	}
	return out
}

// satisfying draws from then when it says what values are (a type, a
// const, an enum, a oneOf or a reference), else from base until then
// accepts the value.
func (g *schemaGen) satisfying(base, then *openapi3.Schema) any {
	if then.Type != nil || then.Const != nil || len(then.Enum) > 0 || len(then.OneOf) > 0 {
		return g.value(then)
	}
	v := g.value(base)
	for range 50 {
		if valid(then, plain(v)) {
			break
		}
		v = g.value(base)
	}
	return v
}

// bounded is an integer within s's minimum and maximum, mostly small.
func (g *schemaGen) bounded(s *openapi3.Schema, def float64) float64 {
	lo, hi := def, 1e6
	if s.Min != nil {
		lo = *s.Min
	}
	if s.ExclusiveMin.Value != nil {
		lo = math.Floor(*s.ExclusiveMin.Value) + 1
	}
	if s.Max != nil {
		hi = *s.Max
	}
	if g.r.IntN(10) == 0 {
		return hi
	}
	return lo + float64(g.r.Int64N(int64(min(hi-lo, 1e6))+1))
}

// number is a multiple of s.multipleOf (when set), written with exactly
// its decimals, so the text is the decimal the schema describes.
func (g *schemaGen) number(s *openapi3.Schema) json.Number {
	if s.MultipleOf == nil {
		return json.Number(strconv.FormatFloat(g.bounded(s, 0)+float64(g.r.IntN(100))/100, 'f', -1, 64))
	}
	dec := len(strings.TrimPrefix(strconv.FormatFloat(*s.MultipleOf, 'f', -1, 64), "0."))
	units := int64(g.bounded(s, 0) / *s.MultipleOf) + 1
	text := strconv.FormatInt(units, 10)
	for len(text) <= dec {
		text = "0" + text
	}
	return json.Number(text[:len(text)-dec] + "." + text[len(text)-dec:])
}

func (g *schemaGen) str(s *openapi3.Schema) string {
	lo, hi := int(s.MinLength), int(s.MinLength)+12
	if s.MaxLength != nil {
		hi = min(hi, int(*s.MaxLength))
	}
	switch {
	case s.Format == "uri":
		return "https://" + g.uriHost + "/" + g.from(`[a-z0-9/._~-]{0,20}`, 0, 40)
	case s.Pattern != "":
		return g.from(s.Pattern, lo, hi)
	}
	return g.from(`[\p{L}\p{N} ]*`, lo, hi)
}

// from draws a string matching pattern, with lo to hi runes when it can.
func (g *schemaGen) from(pattern string, lo, hi int) string {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		panic(fmt.Sprintf("pattern %q: %v", pattern, err))
	}
	re = re.Simplify()
	for range 20 {
		var b strings.Builder
		g.regex(&b, re)
		if n := utf8.RuneCountInString(b.String()); n >= lo && n <= max(hi, lo) {
			return b.String()
		}
	}
	var b strings.Builder
	g.regex(&b, re)
	return b.String()
}

func (g *schemaGen) regex(b *strings.Builder, re *syntax.Regexp) {
	switch re.Op {
	case syntax.OpLiteral:
		b.WriteString(string(re.Rune))
	case syntax.OpCharClass:
		g.class(b, re.Rune)
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteRune(rune('a' + g.r.IntN(26)))
	case syntax.OpCapture:
		g.regex(b, re.Sub[0])
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			g.regex(b, sub)
		}
	case syntax.OpAlternate:
		g.regex(b, re.Sub[g.r.IntN(len(re.Sub))])
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo, hi := 0, 8
		switch re.Op {
		case syntax.OpPlus:
			lo = 1
		case syntax.OpQuest:
			hi = 1
		case syntax.OpRepeat:
			lo, hi = re.Min, re.Max
			if hi < 0 {
				hi = lo + 8
			}
		}
		for range lo + g.r.IntN(min(hi, lo+8)-lo+1) {
			g.regex(b, re.Sub[0])
		}
	}
	// OpEmptyMatch, OpBeginText, OpEndText …: nothing to write
}

// class writes one rune of the ranges (pairs lo, hi), a range picked
// uniformly, mostly among the first 128 code points of it so that text
// stays readable.
func (g *schemaGen) class(b *strings.Builder, ranges []rune) {
	i := 2 * g.r.IntN(len(ranges)/2)
	lo, hi := ranges[i], ranges[i+1]
	span := int(hi - lo)
	if g.r.IntN(4) != 0 {
		span = min(span, 127)
	}
	b.WriteRune(lo + rune(g.r.IntN(span+1)))
}
