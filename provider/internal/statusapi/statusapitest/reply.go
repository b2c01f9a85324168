// Package statusapitest holds what the tests of the provider status clients
// share to fake a provider's status API.
package statusapitest

import "net/http"

// Reply returns a handler answering with code, headers (name, value, name,
// value, …) and body.
func Reply(code int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		w.Write([]byte(body))
	}
}
