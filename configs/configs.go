// Package configs embeds harden's reference configuration files, so
// programs can start from them:
//
//	data, _ := configs.FS.ReadFile("public-edge.yaml")
//
// Each file is commented with the reason and source of every value; copy
// one and change what your deployment says otherwise.
//
//   - public-edge.yaml: a public server behind a proxy, every key written
//   - internal-mtls.yaml: an internal mTLS service with an identity
//     allow-list and larger bodies
//   - behind-lb.yaml: a server behind a cloud load balancer whose drain
//     follows readiness
//   - tls-server.yaml: the tls: section alone, as tlsx reads it
//   - client.yaml: a client of an internal mTLS API (httpx.ClientConfig)
//   - object-storage-client.yaml: the client of an S3-compatible store
//     whose session credentials expire (see examples/objectstorage)
//   - upstreams/: what sits in front of the server: a Traefik static and
//     dynamic pair, an Envoy bootstrap (cluster and route), and an
//     upstream: section for an AWS load balancer
//   - kubernetes/deployment.yaml: the server's Deployment, with probes on
//     the admin port, a preStop sleep and the grace period
//
// All of them linted together with `harden lint` give no finding.
package configs

import "embed"

// FS holds the reference configs, by path.
//
//go:embed *.yaml upstreams/*.yaml kubernetes/*.yaml
var FS embed.FS
