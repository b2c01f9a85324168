package statusapi

import (
	"errors"
	"testing"
)

func TestUniqueKeys(t *testing.T) {
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
		err := UniqueKeys([]byte(body))
		if got := errors.Is(err, ErrDuplicateKey); got != dup {
			t.Errorf("UniqueKeys(%s) = %v, want duplicate %v", body, err, dup)
		}
	}
}
