package config

// Rule names of loading problems and of the cross-tier rules, reported
// in [harden.ConfigError.Rule] and [Finding.Rule]. The rules of one
// section (header-timeout, key-pair, ...) are those of its package's
// Validate; the cross-tier rules that apply a server rule to another
// tier report its name ([httpx.RuleIdleAboveUpstream],
// [httpx.RuleAttemptAboveHandler], [httpx.RuleShutdownInGrace]), and
// [harden.RuleRange] is shared by every package. Names are stable across
// versions.
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
	// RuleUnknownKind: a file is none of the kinds lint reads.
	RuleUnknownKind = "unknown-kind"

	// RuleBodyWithinProxyRead: a proxy stops reading a request before a
	// body the server accepts can arrive at the server's minimum rate.
	RuleBodyWithinProxyRead = "body-within-proxy-read"
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
