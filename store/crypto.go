package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// sealer encrypts merchant secrets with AES-256-GCM. The merchant id is the
// additional data, so a sealed blob can't be moved to another merchant.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("master key: want 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	return &sealer{aead: aead}, nil
}

// errNoMasterKey is returned when secrets must be sealed or opened but no
// master key was configured.
var errNoMasterKey = &Error{Code: ECONFIG, Message: "no master key configured (--master-key)"}

func (s *sealer) seal(plain []byte, ad string) ([]byte, error) {
	if s == nil {
		return nil, errNoMasterKey
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return s.aead.Seal(nonce, nonce, plain, []byte(ad)), nil
}

func (s *sealer) open(sealed []byte, ad string) ([]byte, error) {
	if s == nil {
		return nil, errNoMasterKey
	}
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("open sealed secrets: too short")
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(ad))
	if err != nil {
		return nil, fmt.Errorf("open sealed secrets (wrong master key?): %w", err)
	}
	return plain, nil
}

// randomBytes returns n bytes from crypto/rand.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on supported platforms
	}
	return b
}

// randomToken returns n random bytes, base64url without padding.
func randomToken(n int) string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(n))
}

// hashKey is how API keys are stored: they are 256-bit random tokens, so a
// plain SHA-256 is enough (no dictionary to attack).
func hashKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}
