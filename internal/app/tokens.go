package app

import "fmt"

// MinTokenLength is the shortest admin or metrics token Start accepts: a
// bearer token guessable by brute force would hand out every merchant.
const MinTokenLength = 32

// CheckToken refuses a token (named by the setting that carries it)
// shorter than MinTokenLength; the empty token (the feature off) passes.
func CheckToken(setting, token string) error {
	if token != "" && len(token) < MinTokenLength {
		return fmt.Errorf("%s is too short (%d characters): use at least %d, e.g. from `openssl rand -base64 32`",
			setting, len(token), MinTokenLength)
	}
	return nil
}
