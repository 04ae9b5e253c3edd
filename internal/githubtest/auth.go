package githubtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

var (
	appKeyOnce sync.Once
	appKey     *rsa.PrivateKey
	appKeyPEM  []byte
	appKeyErr  error
)

// AppKey returns a 2048-bit RSA key for a test GitHub App and its PKCS#1 PEM
// encoding (what GitHub hands out and ghinstallation reads). It is generated
// once per process.
func AppKey() (*rsa.PrivateKey, []byte, error) {
	appKeyOnce.Do(func() {
		appKey, appKeyErr = rsa.GenerateKey(rand.Reader, 2048)
		if appKeyErr == nil {
			appKeyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(appKey)})
		}
	})
	return appKey, appKeyPEM, appKeyErr
}

// TestApp returns App options (app id 4242, installation id 77) with the
// process's test key, and that key's PEM for ghinstallation.
func TestApp() (*App, []byte, error) {
	key, pemBytes, err := AppKey()
	if err != nil {
		return nil, nil, err
	}
	return &App{ID: 4242, InstallationID: 77, PublicKey: &key.PublicKey}, pemBytes, nil
}

const tokenChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func (s *Server) issueTokenLocked() (string, time.Time) {
	b := make([]byte, 36)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	for i := range b {
		b[i] = tokenChars[int(b[i])%len(tokenChars)]
	}
	tok := "ghs_" + string(b)
	ttl := time.Hour
	if s.opts.App != nil {
		ttl = s.opts.App.TokenTTL
	}
	exp := s.now().Add(ttl).Truncate(time.Second)
	s.tokens[tok] = exp
	return tok, exp
}

// authorized checks the installation token when App auth is on; it answers
// 401 itself otherwise.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request, rel string) bool {
	if s.opts.App == nil || strings.HasPrefix(rel, "app/") {
		return true // the app endpoints check the JWT themselves
	}
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if strings.EqualFold(scheme, "token") || strings.EqualFold(scheme, "bearer") {
		s.mu.Lock()
		exp, ok := s.tokens[tok]
		s.mu.Unlock()
		if ok && s.now().Before(exp) {
			return true
		}
	}
	writeJSON(w, http.StatusUnauthorized, jsonError{Message: "Bad credentials", DocumentationURL: "https://docs.github.com/rest", Status: "401"})
	return false
}

// verifyJWT checks an app JWT (RS256, iss = app id, valid iat/exp) and
// returns a GitHub-like message when it is not acceptable.
func (s *Server) verifyJWT(authz string) string {
	scheme, tok, _ := strings.Cut(authz, " ")
	if !strings.EqualFold(scheme, "bearer") || tok == "" {
		return "A JSON web token could not be decoded"
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "A JSON web token could not be decoded"
	}
	var header struct {
		Alg string `json:"alg"`
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(hb, &header) != nil {
		return "A JSON web token could not be decoded"
	}
	if header.Alg != "RS256" {
		return "'Algorithm' must be RS256, got " + strconv.Quote(header.Alg)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "A JSON web token could not be decoded"
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(s.opts.App.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
		return "'Issuer' claim ('iss') must be an Integer or signature does not verify"
	}
	var claims struct {
		Iss json.RawMessage `json:"iss"`
		Iat *int64          `json:"iat"`
		Exp *int64          `json:"exp"`
	}
	cb, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(cb, &claims) != nil {
		return "A JSON web token could not be decoded"
	}
	iss := strings.Trim(string(claims.Iss), `"`)
	if iss != strconv.FormatInt(s.opts.App.ID, 10) {
		return fmt.Sprintf("'Issuer' claim ('iss') %s does not match the app", iss)
	}
	now := s.now().Unix()
	switch {
	case claims.Iat == nil || claims.Exp == nil:
		return "Missing 'issued at' or 'expiration time' claim ('iat'/'exp')"
	case *claims.Iat > now+60:
		return "'Issued at' claim ('iat') must be an Integer representing a time in the past"
	case *claims.Exp <= now:
		return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	case *claims.Exp > now+10*60+30:
		return "'Expiration time' claim ('exp') is too far in the future"
	}
	return ""
}

func (s *Server) createAccessToken(c *call) {
	if s.opts.App == nil {
		c.notFound()
		return
	}
	if msg := s.verifyJWT(c.r.Header.Get("Authorization")); msg != "" {
		c.fail(http.StatusUnauthorized, msg)
		return
	}
	if c.r.PathValue("id") != strconv.FormatInt(s.opts.App.InstallationID, 10) {
		c.notFound()
		return
	}
	tok, exp := s.issueTokenLocked()
	c.summary = "issue installation token"
	c.json(http.StatusCreated, map[string]any{
		"token":      tok,
		"expires_at": ts(exp),
		"permissions": map[string]string{
			"contents": "write", "issues": "write", "pull_requests": "write",
			"metadata": "read", "members": "read",
		},
		"repository_selection": "all",
	})
}
