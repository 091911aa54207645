package config

import "github.com/harden-go/harden"

// ConfigError is one problem of a config: Field is the key path
// ("server.timeouts.idle"), Rule the stable rule name, Reason what is
// wrong and how to fix it. It is the same type as httpx's, tlsx's and
// retry's ConfigError.
type ConfigError = harden.ConfigError

// Rule names of loading problems and of the cross-tier rules, reported
// in [ConfigError.Rule] and [Finding.Rule]. The rules of one section
// (header-timeout, key-pair, ...) are those of its package's Validate.
// Names are stable across versions.
const (
	// RuleSyntax: the file is not one well-formed YAML document.
	RuleSyntax = "syntax"
	// RuleEmpty: the file holds no section.
	RuleEmpty = "empty"
	// RuleUnknownKey: a key (or HARDEN_ variable) names no field.
	RuleUnknownKey = "unknown-key"
	// RuleDuplicateKey: a key is written twice in one mapping.
	RuleDuplicateKey = "duplicate-key"
	// RuleType: a value does not decode into its field's type.
	RuleType = "type"
	// RuleAlias: a YAML anchor or alias, which a service config refuses.
	RuleAlias = "alias"
	// RuleRange: a value is out of range, such as a negative timeout.
	RuleRange = "range"
	// RuleUnknownKind: a file is none of the kinds lint reads.
	RuleUnknownKind = "unknown-kind"

	// RuleIdleAboveUpstream: the server closes idle connections before
	// the proxy or load balancer in front does.
	RuleIdleAboveUpstream = "idle-above-upstream"
	// RuleAttemptAboveHandler: a proxy gives up on a response before the
	// server's handler timeout, so the server's own 503 never arrives.
	RuleAttemptAboveHandler = "attempt-above-handler"
	// RuleBodyWithinProxyRead: a proxy stops reading a request before a
	// body the server accepts can arrive at the server's minimum rate.
	RuleBodyWithinProxyRead = "body-within-proxy-read"
	// RuleShutdownInGrace: preStop + drain_delay + shutdown.timeout do
	// not fit inside terminationGracePeriodSeconds.
	RuleShutdownInGrace = "shutdown-within-grace"
	// RuleReadinessInDrain: the readiness probe takes longer to fail than
	// the server drains.
	RuleReadinessInDrain = "readiness-within-drain"
	// RuleProbeReachesAdmin: a probe targets the admin port while the
	// admin listener binds loopback, where the kubelet cannot reach it.
	RuleProbeReachesAdmin = "probe-reaches-admin"
	// RuleContainerFound: no container of a workload runs the server.
	RuleContainerFound = "container-found"
	// RuleCopyMatches: a value copied by hand into the server's config
	// (upstream_idle, termination_grace) differs from the file it
	// describes.
	RuleCopyMatches = "copy-matches-source"
)
