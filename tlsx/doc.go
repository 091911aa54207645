// Package tlsx builds TLS and mTLS configurations from one validated
// config, reloads their certificates safely, authorizes peers by
// identity, and explains failed handshakes.
//
// A hand-written [crypto/tls.Config] goes wrong in ways that show only
// in production: a client CA set with a ClientAuth mode that never
// verifies against it, a certificate rotated by copying the new
// certificate before the new key, an allow-list checked in
// VerifyPeerCertificate that resumed sessions skip (CVE-2025-68121),
// InsecureSkipVerify left over from a test, and handshake errors such as
// "remote error: tls: bad certificate" that do not say whose fault they
// are. tlsx fixes each of these with a default whose reason is written
// on its field, and checks the files before they are served.
//
// # Configuration
//
// [ServerConfig] and [ClientConfig] hold what a config file can say
// under the key "tls", with yaml and json tags. Validate returns every
// problem at once as [*harden.ConfigError] values, each naming the key path, a
// stable rule name and the fix:
//
//	client-auth-ignores-ca  client_ca_file with client_auth none, request or require-any
//	client-ca-required      verified client certificates or an allow-list need client_ca_file
//	ca-not-ca               a CA file holds a certificate without CA:TRUE
//	key-usage               a certificate lacks serverAuth (server) or clientAuth (client)
//	key-pair                the key does not match the certificate
//	chain                   a certificate file's chain is out of order or broken
//	validity                a certificate is expired or not yet valid
//	min-version             min_version below TLS 1.2
//	tls-verify              insecure_skip_verify without insecure_skip_verify_reason
//	identity                a malformed allow-list entry
//	ticket-keys             a session ticket key that is not base64 of 32 bytes, repeated, or none
//
// The defaults: TLS 1.2 or later; under TLS 1.2 only ECDHE suites with
// AES-GCM or ChaCha20-Poly1305 (crypto/tls's defaults minus CBC with
// SHA-1); crypto/tls's key exchanges, post-quantum X25519MLKEM768 first;
// ALPN h2 and http/1.1 on servers; with client_ca_file, client
// certificates required and verified.
//
// # Reloading
//
// [NewServerSource] and [NewClientSource] load the files, and poll them
// every reload_interval (10s) in a goroutine they own until Close or the
// end of their context; Reload checks at once. Their TLSConfig chooses
// the certificate and CAs per handshake, so a new version applies to new
// handshakes without a restart. A new version is read through the
// Kubernetes ..data symlink once, so the certificate and key come from
// the same version, and is checked (key pair, validity, usage, chain
// order, CA:TRUE) before it replaces the current one. A bad, partial or
// missing version is refused and logged once, the last good one stays in
// use, and polling retries sooner with exponential backoff. A PEM file is
// taken whole or not at all: a block cut short or damaged, or text after
// the last END line, refuses the version, where pem.Decode alone would
// keep the blocks before the damage (a CA bundle without its last CA, a
// leaf without its intermediate). During a CA
// rotation the CA file holds both CAs; the pool is rebuilt from the file.
//
// [State] reports the leaf's expiry and the reload history; the gauge
// [ExpiryMetric] reports the seconds left, and warnings are logged 30, 7
// and 1 days before expiry.
//
// # Session resumption across replicas
//
// By default crypto/tls encrypts session tickets with keys random to
// each process, so behind a load balancer a client resumes only when it
// reaches the replica that issued its ticket. With ticket_keys_file the
// replicas share their keys: one base64 32-byte key per line, oldest
// first and newest last, reloaded with the certificate and validated
// (rule ticket-keys) before use. The keys are given to the served
// config with [crypto/tls.Config.SetSessionTicketKeys]: the first
// encrypts new tickets, all decrypt.
//
// Rotation is phased so that replicas, which load the file at different
// moments within a reload interval, never refuse each other's tickets:
// a key added to the file only decrypts at first, and encrypts once this
// server has held it for one reload_interval, by when every replica has
// loaded it. The encrypting key is the newest one held that long; when
// none has been (every key replaced at once), the oldest key of the
// file. At start every key but the newest counts as held that long, so a
// replica started during a rotation agrees with the running ones. A key
// removed from the file stops decrypting at the next reload; its
// tickets fall back to a full handshake, never to a failure. Rotate by
// appending a new key and, later, removing the oldest.
//
// # Identities
//
// [Identities] allow-lists peers by the DNS and URI (SPIFFE ID) names of
// their verified certificate, exactly or by URI prefix. A prefix matches
// on path-segment boundaries, and only a URI with the shape of a SPIFFE
// ID: no userinfo or port (SPIFFE-ID specification section 2.1), no
// query or fragment (section 2), and a path without empty, "." or ".."
// segments or percent-encoding (section 2.2). Otherwise
// spiffe://td/ns/prod/../admin would pass the prefix spiffe://td/ns/prod/
// as a string while naming another workload to anything that resolves
// dot segments, and a CA that signs what a workload asks for could be
// made to issue it. The check runs
// in VerifyConnection, which crypto/tls calls on resumed sessions too;
// [ServerSource.SetAllowedClients] and [ClientSource.SetAllowedServers]
// change the list for every later handshake. A client source presents
// its certificate whatever CA names the server advertises, so a server
// reports the real mismatch rather than a missing certificate.
//
// # Diagnosing handshakes
//
// [Explain] classifies a handshake error into a [Kind] (missing client
// certificate, unknown or regenerated CA, issuer without CA:TRUE,
// expired, wrong usage, hostname, peer not speaking TLS, version, and
// the alerts a peer sends) with the [Side] that refused it and a message
// naming the fix. [ServerSource.Listener] logs every failed server-side
// handshake that way, typed, with the remote address and a rate limit
// per kind.
//
// # With httpx
//
// httpx serves over a ServerSource's Listener (or its TLSConfig) and
// dials with a ClientSource's TLSConfig as http.Transport's
// TLSClientConfig; tlsx imports nothing of harden, so any server or
// client can use it alone. Tests use the in-memory PKI of
// [github.com/harden-go/harden/tlsx/tlstest].
package tlsx
