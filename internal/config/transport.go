package config

// This file is the transport check of the URLs markbot talks to:
// github.api_url carries the token (or the App's key-signed requests and
// the installation tokens they return), hydra.url the evidence markbot
// marks packages on. Neither may be plain HTTP across a network.

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// LoopbackLiteral reports whether host is a loopback address written as
// one: 127.0.0.0/8 or ::1 (brackets allowed), not a name such as
// "localhost", which the resolver (or /etc/hosts) may send anywhere.
func LoopbackLiteral(host string) bool {
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return err == nil && a.Unmap().IsLoopback()
}

// Why each URL must not be plain HTTP, for the error.
const (
	githubRisk = "the GitHub token (or the App's installation tokens) would travel in clear text"
	hydraRisk  = "anyone on the path could change Hydra's answers, from which markbot marks packages broken"
)

// PlainHTTPError returns nil when raw may be used as is: an https URL, an
// http URL to a loopback address written literally, or any http URL with
// insecure set. Otherwise it is an error naming key, the URL, why, and the
// ways out (insecureKey names the key that sets insecure). A URL that does
// not parse is left to the URL checks.
func PlainHTTPError(key, insecureKey, raw string, insecure bool, why string) error {
	u, err := url.Parse(raw)
	if err != nil || !strings.EqualFold(u.Scheme, "http") || insecure || LoopbackLiteral(u.Hostname()) {
		return nil
	}
	return &Error{Key: key, Msg: fmt.Sprintf("%s is plain HTTP: %s. Use https://, or a loopback address "+
		"written literally (http://127.0.0.1:PORT/, http://[::1]:PORT/; not localhost), or set %s: true "+
		"to accept the risk", quote(raw), why, insecureKey)}
}

// PlainHTTPError is the check of github.api_url, for a URL set after
// Validate (ghauth.Client runs it before reading a credential).
func (g GitHubConfig) PlainHTTPError() error {
	return PlainHTTPError("github.api_url", "github.insecure_http", g.APIURL, g.InsecureHTTP, githubRisk)
}

// plainHTTP reports PlainHTTPError at key's position.
func (k *checker) plainHTTP(key, insecureKey, raw string, insecure bool, why string) {
	if err := PlainHTTPError(key, insecureKey, raw, insecure, why); err != nil {
		k.fail(key, "%s", err.(*Error).Msg)
	}
}
