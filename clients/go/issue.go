// SPDX-License-Identifier: MIT

package sockgate

// Token issuing, for the service that hands clients their server list
// (never in client code: it needs the secret). IssueToken makes the
// authenticated form (README "Security": version 2, AES-256-GCM, HKDF
// key, optional expiry); IssueTokenClaims the same with claims (README
// "Token claims"); IssueLegacyToken the openssl enc form.

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
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
	return IssueTokenClaims(address, secret, ttl, Claims{})
}

// Claims a version 2 token can carry, each optional; a gateway checks
// them all.
type Claims struct {
	BindClient string    // "ADDR" or "ADDR/N": good from there only
	NotBefore  time.Time // zero: from now
	Uses       uint32    // connections per gateway; 0: any (needs a ttl)
	Nonce      []byte    // 12 bytes, for test vectors only; nil: random
}

// bytes are the claims after the address: a 0, then type, length, value
// for each, in type order; none: nothing.
func (c Claims) bytes() ([]byte, error) {
	var out []byte
	if c.BindClient != "" {
		cidr := c.BindClient
		if _, _, err := net.ParseCIDR(cidr); err != nil {
			ip := net.ParseIP(cidr)
			if ip == nil {
				return nil, errors.New("BindClient: not an address or CIDR")
			}
			bits := 128
			if ip.To4() != nil {
				bits = 32
			}
			cidr = fmt.Sprintf("%s/%d", cidr, bits)
		}
		ip, n, err := net.ParseCIDR(cidr)
		if err != nil {
			return nil, err
		}
		ones, _ := n.Mask.Size()
		addr, family := n.IP.To4(), byte(4)
		// an IPv4-mapped IPv6 network stays IPv6, as written
		if addr == nil || ip.To4() == nil || len(n.Mask) == 16 {
			addr, family = n.IP.To16(), 6
		}
		out = append(out, 1, byte(2+len(addr)), family, byte(ones))
		out = append(out, addr...)
	}
	if !c.NotBefore.IsZero() {
		out = append(out, 2, 8)
		out = binary.BigEndian.AppendUint64(out, uint64(c.NotBefore.Unix()))
	}
	if c.Uses > 0 {
		out = append(out, 3, 4)
		out = binary.BigEndian.AppendUint32(out, c.Uses)
	}
	if out == nil {
		return nil, nil
	}
	return append([]byte{0}, out...), nil
}

// IssueTokenClaims seals address and the claims for secret.
func IssueTokenClaims(address, secret string, ttl time.Duration, c Claims) (string, error) {
	claims, err := c.bytes()
	if err != nil {
		return "", err
	}
	if c.Uses > 0 && ttl <= 0 {
		return "", errors.New("Uses needs a ttl: gateways remember a used token until it expires")
	}
	header := make([]byte, 21)
	header[0] = 2
	if ttl > 0 {
		binary.BigEndian.PutUint64(header[1:9], uint64(time.Now().Add(ttl).Unix()))
	}
	if c.Nonce != nil {
		copy(header[9:21], c.Nonce)
	} else if _, err := rand.Read(header[9:21]); err != nil {
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
	raw := gcm.Seal(header, header[9:21], append([]byte(address), claims...), header)
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
