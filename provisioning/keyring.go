package provisioning

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Keyring encrypts the secrets Archipel keeps (hosts' app passwords) with
// AES-256-GCM; the key comes from ARCHIPEL_SECRET_KEY.
type Keyring struct {
	aead cipher.AEAD
}

// ParseKey reads a 32-byte key written as 64 hex digits or base64.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == 32 {
			return b, nil
		}
	}
	return nil, errors.New("the secret key must be 32 bytes, written as 64 hex digits or in base64 (openssl rand -hex 32)")
}

// NewKey returns a fresh random key, hex-encoded.
func NewKey() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// NewKeyring returns a keyring for a 32-byte key.
func NewKeyring(key []byte) (*Keyring, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("provisioning: keyring: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("provisioning: keyring: %w", err)
	}
	return &Keyring{aead: aead}, nil
}

// Seal encrypts plaintext bound to context (the row it belongs to), so that
// a ciphertext copied to another row does not decrypt.
func (k *Keyring) Seal(plaintext, context string) []byte {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	return k.aead.Seal(nonce, nonce, []byte(plaintext), []byte(context))
}

// Open decrypts what Seal produced for the same context.
func (k *Keyring) Open(sealed []byte, context string) (string, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n {
		return "", errors.New("provisioning: keyring: ciphertext too short")
	}
	plain, err := k.aead.Open(nil, sealed[:n], sealed[n:], []byte(context))
	if err != nil {
		return "", errors.New("provisioning: keyring: cannot decrypt (wrong ARCHIPEL_SECRET_KEY?)")
	}
	return string(plain), nil
}
