package apiview

import "time"

// TimeLayout is how every timestamp of the API and the webhooks is
// written: RFC 3339 in UTC with exactly three decimals, the millisecond
// precision the store keeps.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// Time is a timestamp written in TimeLayout; it reads any RFC 3339 time.
type Time struct{ time.Time }

// MarshalJSON writes t in UTC, truncated to the millisecond, in TimeLayout.
func (t Time) MarshalJSON() ([]byte, error) {
	return []byte(`"` + t.UTC().Truncate(time.Millisecond).Format(TimeLayout) + `"`), nil
}

// At returns t as the API writes it.
func At(t time.Time) Time { return Time{t.UTC().Truncate(time.Millisecond)} }

// UTC returns t as the API writes it, or nil.
func UTC(t *time.Time) *Time {
	if t == nil {
		return nil
	}
	u := At(*t)
	return &u
}
