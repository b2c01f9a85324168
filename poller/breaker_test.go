package poller

import (
	"strings"
	"testing"
	"time"
)

func TestBreaker(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	const cool = 30 * time.Second
	// Steps: "ok"/"fail" record an outcome; "allow"/"deny" expect allow's
	// answer; "+d" moves the clock by duration d. "b:fail" is merchant b's
	// step; the others are merchant m1's.
	for _, tt := range []struct {
		name  string
		steps string
		moves string // the state changes announced, in order
	}{
		{"stays closed below the threshold", "fail fail allow", ""},
		{"opens after 3 consecutive failures", "fail fail fail deny", "open"},
		{"4xx-like successes reset the count", "fail fail ok fail fail allow", ""},
		{"denies until the cool-down ends", "fail fail fail +29s deny +1s allow deny", "open half_open"},
		{"probe success closes", "fail fail fail +30s allow ok allow allow", "open half_open closed"},
		{"probe failure reopens for a cool-down", "fail fail fail +30s allow fail deny +29s deny +1s allow", "open half_open open half_open"},
		{"a lost probe is replaced after a cool-down", "fail fail fail +30s allow deny +30s allow ok allow", "open half_open closed"},
		{"a late failure while open changes nothing", "fail fail fail fail fail +30s allow", "open half_open"},
		{"a late success while open closes", "fail fail fail ok allow", "open closed"},
		// Several merchants on one endpoint.
		{"one merchant's failures hold back only its own checks",
			"b:ok fail fail fail deny b:allow b:ok deny b:allow b:fail b:allow", ""},
		{"a few bad checkouts among working ones open nothing",
			"fail fail ok fail fail ok fail fail allow b:allow", ""},
		{"an outage seen by most active merchants opens the endpoint",
			"c:ok fail fail fail c:allow b:fail b:fail b:fail c:deny +30s c:allow c:ok allow b:allow", "open half_open closed"},
		{"a merchant failing while it was the only one checked holds back nobody new",
			"fail fail fail deny b:allow b:ok deny b:allow", "open closed"},
		{"the endpoint's failed probe reopens it for everyone",
			"c:ok fail fail fail b:fail b:fail b:fail c:deny +30s c:allow c:fail c:deny deny +29s b:deny +1s c:allow", "open half_open open half_open"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var moves []string
			b := newBreaker(3, cool, func(key string, from, to circuitState) {
				if key != "payunit gw" {
					t.Errorf("key %q", key)
				}
				moves = append(moves, to.String())
			})
			now := t0
			for i, step := range strings.Fields(tt.steps) {
				merchant := "m1"
				if who, what, ok := strings.Cut(step, ":"); ok {
					merchant, step = who, what
				}
				switch {
				case step == "ok" || step == "fail":
					b.record("payunit gw", merchant, now, step == "fail")
				case step == "allow" || step == "deny":
					ok, retry := b.allow("payunit gw", merchant, now)
					if ok != (step == "allow") {
						t.Fatalf("step %d (%s): allow = %v", i, step, ok)
					}
					if !ok && !retry.After(now) {
						t.Fatalf("step %d: denied with retry %v, not after now %v (hot loop)", i, retry, now)
					}
				case strings.HasPrefix(step, "+"):
					d, err := time.ParseDuration(step[1:])
					if err != nil {
						t.Fatal(err)
					}
					now = now.Add(d)
				default:
					t.Fatalf("bad step %q", step)
				}
			}
			if got := strings.Join(moves, " "); got != tt.moves {
				t.Fatalf("state changes %q, want %q", got, tt.moves)
			}
		})
	}
}

func TestBreakerKeysAreSeparate(t *testing.T) {
	t.Parallel()
	now := time.Now()
	b := newBreaker(1, time.Minute, nil)
	b.record("payunit a", "m1", now, true)
	if ok, _ := b.allow("payunit a", "m1", now); ok {
		t.Fatal("a should be open")
	}
	if ok, _ := b.allow("payunit b", "m1", now); !ok {
		t.Fatal("b should be closed: a's failures are not b's")
	}
	b.record("", "m1", now, true)
	if ok, _ := b.allow("", "m1", now); !ok {
		t.Fatal("the empty key (no endpoint) is never held back")
	}
}
