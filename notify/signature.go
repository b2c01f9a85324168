package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// secretPrefix starts every Standard Webhooks secret; the rest is the key, base64.
const secretPrefix = "whsec_"

// Sign returns the webhook-signature header of the Standard Webhooks
// specification for message id sent at ts with body: "v1,<base64
// HMAC-SHA256 of {id}.{ts}.{body}>" for each secret, space-separated (two
// during a secret rotation, so a receiver holding either one verifies). It
// fails on a secret that isn't whsec_ followed by base64.
func Sign(secrets []string, id string, ts time.Time, body []byte) (string, error) {
	if len(secrets) == 0 {
		return "", errors.New("sign webhook: no secret")
	}
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		if !strings.HasPrefix(s, secretPrefix) {
			return "", errors.New("sign webhook: secret is not whsec_<base64>")
		}
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, secretPrefix))
		if err != nil {
			return "", fmt.Errorf("sign webhook: secret: %w", err)
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id + "." + strconv.FormatInt(ts.Unix(), 10) + "."))
		mac.Write(body)
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return strings.Join(sigs, " "), nil
}
