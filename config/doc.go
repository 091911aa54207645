// Package config loads whole-service config files strictly and checks
// them against the files of the tiers around the server: the Kubernetes
// workload that runs it and the proxies and load balancers in front of it.
// It is what `harden lint` and `harden explain` run.
//
// Coordinated timeouts stop at one file unless something reads the other
// tiers' own files. The worst production failures live between tiers: a
// proxy keeps idle connections to the server longer than the server does
// and answers random 502s; a proxy's response timeout fires before the
// server's handler timeout and the client never sees the server's own 503;
// preStop + drain + shutdown exceed the pod's grace period and Kubernetes
// SIGKILLs requests in flight. [Lint] names each such incoherence with its
// numbers, where they were written and a fix.
//
// # Loading
//
// A whole-service file ([Service]) holds, each under its key, the config of
// one package: server: ([httpx.ServerConfig]), tls: ([tlsx.ServerConfig]),
// client: ([httpx.ClientConfig]) and upstream: ([Upstream]). There is one
// client: section rather than a map of named clients because its key paths
// are those httpx's Validate reports ("client.timeouts.idle"); a service
// that calls several APIs with different settings writes one file per
// client. [Load] and [Parse] decode it strictly: an
// unknown key (with the nearest known key as a suggestion), a key written
// twice in one mapping (which YAML decoders otherwise resolve silently), a
// value that does not decode into its field, a YAML anchor or alias, and a
// second document are each an [*Error] with the file, line, column and key
// path, all reported at once. Validation is not part of loading: [Lint]
// applies each section's Validate.
//
// # Environment overrides
//
// Values that differ per deployment (addresses, file paths, a grace
// period) can be set without editing the file. Each single-valued key has
// one variable: HARDEN_ followed by the key path upper-cased, with each "."
// written "_":
//
//	server.addr                    HARDEN_SERVER_ADDR
//	server.timeouts.upstream_idle  HARDEN_SERVER_TIMEOUTS_UPSTREAM_IDLE
//	tls.cert_file                  HARDEN_TLS_CERT_FILE
//
// [EnvKeys] lists the keys, [EnvName] names their variables. A variable is
// written as the value would be in the file and checked the same way; its
// problems name the variable. An empty variable is ignored, and a
// HARDEN_SERVER_, HARDEN_TLS_, HARDEN_CLIENT_ or HARDEN_UPSTREAM_ variable that names no
// key is an error rather than a silent no-op. [Lint] applies the same
// variables to every service config it loads. Lists (tls.allowed_clients)
// are written in the file only.
//
// # Kinds of file
//
// [Lint] tells each file's kind ([Kind]) from its content: a harden
// service config; Kubernetes manifests (any object with apiVersion and
// kind, several documents per file); a Traefik static file (entryPoints,
// serversTransport) or dynamic file (http.serversTransports,
// http.services); an Envoy bootstrap or xDS resources (clusters and
// routes wherever they are). All are read in their YAML form. A value a
// file does not write takes that product's documented default, which the
// finding names:
//
//   - Traefik v3: serversTransport forwardingTimeouts idleConnTimeout 90s
//     and responseHeaderTimeout none (ForwardingTimeouts.SetDefaults in
//     pkg/config/dynamic); entry point respondingTimeouts readTimeout 60s,
//     writeTimeout none and idleTimeout 180s ("EntryPoints" reference,
//     v3). A dynamic file's service without a serversTransport uses the
//     static file's, with Traefik's defaults unless the static file is
//     linted too.
//   - Envoy: a cluster's HttpProtocolOptions idle_timeout 1h, a route's
//     timeout 15s; a route's retry_policy per_try_timeout when written.
//   - Kubernetes: terminationGracePeriodSeconds 30, probe periodSeconds 10
//     and failureThreshold 3. The preStop delay is a sleep action
//     (lifecycle.preStop.sleep.seconds) or an exec command running
//     "sleep N". The server's container is the one that declares the
//     server's port, or the only one.
//   - upstream: the load balancer's values as written; none are assumed.
//
// # Cross-tier rules
//
// Every proxy and load balancer among the files is a client of the
// server, and every server linted is checked against each of them and
// each workload. Rule names are stable:
//
//   - idle-above-upstream: the server's timeouts.idle exceeds the idle
//     timeout of every hop in front of it towards the server (Traefik's
//     idleConnTimeout, Envoy's cluster idle_timeout, the load balancer's
//     idle_timeout). Otherwise the hop reuses a connection the server is
//     closing and answers 502; AWS documents the same requirement for ALB
//     targets. A hop that never closes idle connections always breaks it.
//   - attempt-above-handler: every timeout after which a hop abandons a
//     response (Traefik's responseHeaderTimeout and entry point
//     writeTimeout, Envoy's route timeout and per_try_timeout, the load
//     balancer's request_timeout) exceeds the server's timeouts.handler,
//     so the server's own 503 problem+json reaches the client instead of
//     the hop's 504 or a cut connection.
//   - body-within-proxy-read: a Traefik entry point's readTimeout (60s
//     by default in Traefik v3), which bounds reading a whole request, is
//     at least the time a body of limits.max_body_bytes takes at
//     limits.min_body_rate, so the proxy does not cut uploads the server
//     accepts.
//   - shutdown-within-grace: the preStop delay + shutdown.drain_delay +
//     shutdown.timeout is below terminationGracePeriodSeconds, which
//     counts from the start of preStop; otherwise the kubelet sends
//     SIGKILL while requests are in flight.
//   - readiness-within-drain: the readiness probe's periodSeconds x
//     failureThreshold is at most shutdown.drain_delay, so load balancers
//     that follow readiness stop routing before the server stops
//     listening.
//   - probe-reaches-admin: a probe on the admin port needs the admin
//     listener beyond loopback (server.admin.expose), since the kubelet
//     probes the pod IP.
//   - container-found (warning): a workload of several containers none of
//     which declares the server's port is not checked.
//   - copy-matches-source (warning): server.timeouts.upstream_idle and
//     server.shutdown.termination_grace, when written, equal the files
//     they copy.
//   - connection-age-replicas (warning): a server whose workload has
//     spec.replicas above 1, or is the scaleTargetRef of a
//     HorizontalPodAutoscaler among the files, keeps
//     server.limits.max_connection_age on, or keep-alive connections stay
//     on the replicas that existed before a scale-out.
//
// A client config does not say what it calls, so lint cannot tell that a
// client calls a headless Service, whose new pods only a re-dialling
// client reaches; client.pool.max_connection_lifetime is on by default,
// and no rule checks it.
//
// A client: section is checked against the server: section of every
// other service config linted, the server it calls (httpx's
// ClientConfig.ValidateAgainst), and against the proxies it calls
// through:
//
//   - idle-below-server: the client's timeouts.idle is below the server's
//     idle timeout, and below the idle timeout of every Traefik entry
//     point linted (respondingTimeouts.idleTimeout, 180s by default), so
//     the client closes idle connections first.
//   - attempt-above-handler: the client's response_header, the retry
//     policy's per_attempt_timeout and timeouts.total exceed the server's
//     handler timeout.
//
// A section's own rules (header-timeout, write-after-handler,
// header-within-total, pool-shape, key-pair, ...) are those of its
// Validate. TLS files that cannot be read are left
// out unless [WithTLSFiles] is given: their paths usually exist only where
// the service runs.
package config
