package statusapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestParseRefusesDuplicateNames(t *testing.T) {
	t.Parallel()
	for body, dup := range map[string]bool{
		`{"status":"PENDING","data":{"status":"SUCCESS"}}`:       false,
		`{"a":[{"x":1},{"x":2}],"b":{"x":{"x":[1,{"x":null}]}}}`: false,
		`[{"a":1},{"a":2}]`:      false,
		`{}`:                     false,
		`{"a":{},"b":[],"c":""}`: false,
		`{"data":{"status":"PENDING","status":"SUCCESS"}}`:                    true,
		`{"data":{"total_amount":10},"data":{"total_amount":1000}}`:           true,
		`{"data":{"total_amount":10,"total_amount":"1000"}}`:                  true,
		`{"status":{"messageCode":"CHECK_OUT_PROCESSING","MessageCode":"x"}}`: true,
		`{"status":{"messageCode":"a","meſſageCode":"CHECK_OUT_DONE"}}`:       true,
		`{"status":{"messageCode":"a","\u006dessageCode":"b"}}`:               true,
		`{"a":[1,{"k":1,"k":2}]}`:                                             true,
		`{"a":{"b":{}},"a":1}`:                                                true,
	} {
		_, err := Parse([]byte(body))
		if got := errors.Is(err, ErrDuplicateKey); got != dup {
			t.Errorf("Parse(%s) = %v, want duplicate %v", body, err, dup)
		}
		if !dup && err != nil {
			t.Errorf("Parse(%s) = %v, want no error", body, err)
		}
	}
}

func TestParseMembers(t *testing.T) {
	t.Parallel()
	v, err := Parse([]byte(` {"data": {"Status":"SUCCESS","amount":10.5,"n":null,"t":"a\u00e9\n"}, "x":[1,2]} `))
	if err != nil {
		t.Fatal(err)
	}
	data, ok := v.Member("data")
	if !ok || data.Kind != KindObject {
		t.Fatalf("data = %+v, %v", data, ok)
	}
	if _, ok := data.Member("status"); ok {
		t.Error(`Member("status") found "Status": exact lookup must not fold`)
	}
	if s, ok := data.MemberFold("status"); !ok || string(s.Raw) != `"SUCCESS"` {
		t.Errorf(`MemberFold("status") = %q, %v`, s.Raw, ok)
	}
	if a, _ := data.Member("amount"); a.Kind != KindNumber || string(a.Raw) != "10.5" {
		t.Errorf("amount = %+v", a)
	}
	if n, ok := data.Member("n"); !ok || n.Kind != KindNull {
		t.Errorf("n = %+v, %v", n, ok)
	}
	if s, _ := data.Member("t"); true {
		if text, ok := s.Text(); !ok || text != "aé\n" {
			t.Errorf("t = %q, %v", text, ok)
		}
	}
	if x, _ := v.Member("x"); x.Kind != KindArray || string(x.Raw) != "[1,2]" {
		t.Errorf("x = %+v", x)
	}
}

// FuzzParse holds Parse to encoding/json: it accepts exactly what
// json.Valid accepts, less the texts the old token walk (uniqueKeys) found
// a duplicate name in, and an object's members and strings are what
// json.Unmarshal reads.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":{"b":[1,"x",null,true]}}`, `"\ud800"`, `{"a":1,"A":2}`,
		`[1e5,-0.5,0]`, `{"\u00e9":"\xff"}`, `01`, `{"a" 1}`, `[`, `{"k":"é","é":"\\"}`} {
		f.Add([]byte(s))
	}
	if paths, _ := filepath.Glob("../../*/testdata/*.json"); len(paths) > 0 {
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := Parse(b)
		if !json.Valid(b) {
			if err == nil {
				t.Fatalf("Parse accepted invalid JSON %q", b)
			}
			return
		}
		dup := errors.Is(uniqueKeys(b), ErrDuplicateKey)
		if got := errors.Is(err, ErrDuplicateKey); got != dup {
			t.Fatalf("Parse(%q) = %v, token walk duplicate = %v", b, err, dup)
		}
		if dup {
			return
		}
		if err != nil {
			t.Fatalf("Parse(%q) = %v for valid JSON", b, err)
		}
		if !bytes.Equal(v.Raw, bytes.TrimSpace(b)) {
			t.Fatalf("Raw = %q, want %q", v.Raw, bytes.TrimSpace(b))
		}
		switch v.Kind {
		case KindObject:
			var m map[string]json.RawMessage
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			if len(m) != len(v.members) {
				t.Fatalf("%d members, json.Unmarshal read %d", len(v.members), len(m))
			}
			for name, raw := range m {
				got, ok := v.Member(name)
				if !ok || !bytes.Equal(got.Raw, raw) {
					t.Fatalf("member %q = %q, %v; json.Unmarshal read %q", name, got.Raw, ok, raw)
				}
			}
		case KindString:
			var s string
			if err := json.Unmarshal(b, &s); err != nil {
				t.Fatal(err)
			}
			if got, _ := v.Text(); got != s {
				t.Fatalf("Text() = %q, json.Unmarshal read %q", got, s)
			}
		}
	})
}
