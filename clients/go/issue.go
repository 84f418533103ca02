// SPDX-License-Identifier: MIT

package sockgate

// Token issuing, for the service that hands clients their server list
// (never in client code: it needs the secret). IssueToken makes the
// authenticated form (README "Security": version 2, AES-256-GCM, HKDF
// key, optional expiry); IssueLegacyToken the openssl enc form.

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// hkdf is RFC 5869 with SHA-256, for one 32-byte key.
func hkdf(secret, salt, info []byte) []byte {
	ext := hmac.New(sha256.New, salt)
	ext.Write(secret)
	prk := ext.Sum(nil)
	exp := hmac.New(sha256.New, prk)
	exp.Write(info)
	exp.Write([]byte{1})
	return exp.Sum(nil)
}

// IssueToken seals address for secret; ttl 0: no expiry.
func IssueToken(address, secret string, ttl time.Duration) (string, error) {
	header := make([]byte, 21)
	header[0] = 2
	if ttl > 0 {
		binary.BigEndian.PutUint64(header[1:9], uint64(time.Now().Add(ttl).Unix()))
	}
	if _, err := rand.Read(header[9:21]); err != nil {
		return "", err
	}
	block, err := aes.NewCipher(hkdf([]byte(secret), []byte("sockgate"), []byte("token v2")))
	if err != nil {
		return "", err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return "", err
	}
	raw := gcm.Seal(header, header[9:21], []byte(address), header)
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

// IssueLegacyToken is openssl enc -aes-256-cbc -salt -md sha256.
func IssueLegacyToken(address, secret string) (string, error) {
	salt := make([]byte, 8)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	var d, prev []byte
	for len(d) < 48 { // EVP_BytesToKey, one round
		h := sha256.New()
		h.Write(prev)
		h.Write([]byte(secret))
		h.Write(salt)
		prev = h.Sum(nil)
		d = append(d, prev...)
	}
	block, err := aes.NewCipher(d[:32])
	if err != nil {
		return "", err
	}
	pad := 16 - len(address)%16
	plain := append([]byte(address), make([]byte, pad)...)
	for i := len(address); i < len(plain); i++ {
		plain[i] = byte(pad)
	}
	ct := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, d[32:48]).CryptBlocks(ct, plain)
	out := append([]byte("Salted__"), salt...)
	return base64.StdEncoding.EncodeToString(append(out, ct...)), nil
}
