// Package tlstest is an in-memory public key infrastructure for tests: it
// issues root and intermediate CAs, server and client certificates, and
// deliberately broken certificates, and builds the [tls.Config] values
// that use them, so TLS and mTLS behaviour is tested over real handshakes.
//
// # Why not httptest's certificate
//
// The certificates of net/http/httptest and of crypto/tls's
// generate_cert.go are server certificates: they lack the clientAuth
// extended key usage, so a server that verifies client certificates
// rejects them (x509.IncompatibleUsage), and tests of mTLS either fail or
// get written with verification turned off. tlstest issues each
// certificate for its role: [CA.Server] with serverAuth, [CA.Client] with
// clientAuth.
//
// # Use
//
//	ca := tlstest.NewCA(t)
//	srv := ca.Server(t)                                  // localhost, 127.0.0.1, ::1
//	cli := ca.Client(t, "spiffe://example.org/ns/a/sa/b") // a URI SAN
//	serverCfg := ca.MTLSServerConfig(t, srv)
//	clientCfg := ca.ClientConfig(cli)
//
// Every certificate has an ECDSA P-256 key, a random 128-bit serial
// number, a subject key identifier and a validity from an hour ago to a
// day from now. [CA.Intermediate] makes a CA signed by another; its leaves
// carry the intermediates in their chain and verify against the root
// alone, which [CA.Pool] returns for every CA of a hierarchy. Certificates
// and keys are also written as PEM files (PKCS#8 keys, mode 0600) under
// the test's temporary directory, for code that loads files.
//
// [SecretVolume] lays files out as the kubelet mounts a Kubernetes secret
// (symlinks through ..data) and publishes new versions as it does, for
// tests of certificate reloading.
//
// [Handshake] runs one handshake over loopback between two configs and
// returns what each side saw, for tests that assert on handshake errors
// or on resumption.
//
// # Broken certificates
//
// A [Flaw] passed to [NewCA], or to [CA.Issuing] for what a CA issues
// next, breaks a certificate in one known way, and its documentation
// names the error Go's verifier reports:
//
//	Expired, NotYetValid   x509.CertificateInvalidError, Reason x509.Expired
//	WrongUsage             x509.CertificateInvalidError, Reason x509.IncompatibleUsage
//	NotCA                  x509.UnknownAuthorityError (the issuer cannot sign)
//	WrongKey               tls.LoadX509KeyPair refuses the pair; handshakes fail
//
// [CA.Regenerate] makes a CA with the same name and a new key, the
// "regenerated CA" failure: x509.UnknownAuthorityError although the
// issuer names match. A name the certificate lacks fails with
// x509.HostnameError.
//
// # Trust model
//
// Keys are generated fresh for every CA and certificate and written only
// under the test's temporary directory (or the directory given); nothing
// here is fit to protect real traffic. A CA is immutable once made and
// safe for concurrent use, so parallel subtests may share one. Failures
// are reported through [TB.Fatalf]: functions that take a TB never return
// a half-built value.
//
// # Outside tests
//
// Each function that takes a TB to make something has a form that takes
// a directory for its files and returns an error instead ([NewCAIn],
// [CA.ServerIn], [CA.ClientIn], [CA.IntermediateIn], [CA.RegenerateIn],
// [CA.ServerConfigIn], [CA.MTLSServerConfigIn], [NewSecretVolumeIn],
// [SecretVolume.Publish]); the TB form is that call
// followed by Fatalf on error. Programs that build a throwaway PKI, such
// as the scorecard's TLS scenarios, use those.
//
// tlstest imports only the standard library, so any package's tests may
// use it.
package tlstest
