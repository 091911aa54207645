package config

import (
	"errors"
	"maps"
	"time"

	"github.com/harden-go/harden/tlsx"
)

// WithTLSFiles makes [Lint] report TLS files (certificates, keys, CAs,
// ticket keys) that cannot be read. Without it those problems are left
// out, since the paths usually exist only where the service runs; files
// that can be read are checked either way.
func WithTLSFiles() LintOption {
	return lintOption(func(o *options) { o.tlsFiles = true })
}

// Lint reads each document, tells its kind from its content, and returns
// every finding, sorted by file and line: the problems of loading and
// validating each whole-service config; the cross-tier rules between each
// service's server and every proxy, load balancer (the upstream: section
// of any service config) and Kubernetes workload among docs; and the
// client rules between each service's client and the server of every
// other service config. The package documentation lists the rules.
func Lint(docs []Document, opts ...LintOption) []Finding {
	o := newOptions(opts)
	var (
		findings  []Finding
		services  []*File
		hops      []hop
		workloads []workload
		hpas      = map[string]string{}
		static    bool
	)
	for _, doc := range docs {
		nodes, err := parseAll(doc.Data)
		if err != nil {
			findings = append(findings, loadFindings(syntaxError(doc.Name, err))...)
			continue
		}
		kind := detect(nodes)
		var fs []Finding
		switch kind {
		case KindService:
			f, err := parse(doc.Name, doc.Data, o)
			if err != nil {
				findings = append(findings, loadFindings(err)...)
				continue
			}
			services = append(services, f)
			hops = append(hops, f.upstreamHops()...)
			findings = append(findings, validate(f, o)...)
		case KindKubernetes:
			var ws []workload
			var hs map[string]string
			ws, hs, fs = readKubernetes(doc.Name, nodes)
			workloads = append(workloads, ws...)
			maps.Copy(hpas, hs)
		case KindTraefikStatic, KindTraefikDynamic:
			static = static || kind == KindTraefikStatic
			var hs []hop
			hs, fs = readTraefik(doc.Name, kind, nodes[0])
			hops = append(hops, hs...)
		case KindEnvoy:
			var hs []hop
			hs, fs = readEnvoy(doc.Name, nodes[0])
			hops = append(hops, hs...)
		default:
			fs = []Finding{{Rule: RuleUnknownKind, Severity: SeverityError, File: doc.Name,
				Message: "is none of: a harden service config (server:, tls:, client:, upstream:), Kubernetes manifests, a Traefik static or dynamic file, an Envoy file (all YAML)"}}
		}
		findings = append(findings, fs...)
	}
	scaleWorkloads(workloads, hpas)
	for _, f := range services {
		for _, callee := range services {
			if f.Service.Client != nil && callee != f && callee.Service.Server != nil {
				findings = append(findings, checkClient(f, callee)...)
			}
		}
		for _, h := range hops {
			if f.Service.Client != nil && h.clientIdle != nil {
				findings = append(findings, checkClientHop(f, h)...)
			}
		}
		if f.Service.Server == nil {
			continue
		}
		s := newServerView(f)
		for _, h := range hops {
			if h.implied && static {
				continue
			}
			findings = append(findings, s.checkHop(h)...)
		}
		findings = append(findings, s.checkCopies(hops, workloads)...)
		for _, w := range workloads {
			findings = append(findings, s.checkWorkload(w)...)
		}
	}
	sortFindings(findings)
	return findings
}

// loadFindings turns the errors of Parse into findings.
func loadFindings(err error) []Finding {
	var out []Finding
	for _, e := range flatten(err) {
		f := Finding{Rule: RuleSyntax, Severity: SeverityError, Message: e.Error()}
		var pe *Error
		if errors.As(e, &pe) {
			f.File, f.Line = pe.Source.File, pe.Source.Line
			if pe.Source.Env != "" {
				f.File = "$" + pe.Source.Env
			}
		}
		var ce *ConfigError
		if errors.As(e, &ce) {
			f.Rule, f.Key, f.Message = ce.Rule, ce.Field, ce.Reason
		}
		out = append(out, f)
	}
	return out
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

// validate applies each section's Validate to f.
func validate(f *File, o options) []Finding {
	var errs []error
	if s := f.Service.Server; s != nil {
		errs = append(errs, flatten(s.Validate())...)
	}
	if t := f.Service.TLS; t != nil {
		errs = append(errs, o.withoutTLSFiles(t.Validate())...)
	}
	if c := f.Service.Client; c != nil {
		errs = append(errs, o.withoutTLSFiles(c.Validate())...)
	}
	if u := f.Service.Upstream; u != nil {
		errs = append(errs, flatten(u.Validate())...)
	}
	return f.findings(errs, "")
}

// withoutTLSFiles is the problems of err, less the TLS files that cannot
// be read unless WithTLSFiles was given.
func (o options) withoutTLSFiles(err error) []error {
	var out []error
	for _, e := range flatten(err) {
		var ce *ConfigError
		if !o.tlsFiles && errors.As(e, &ce) && ce.Rule == tlsx.RuleFile {
			continue
		}
		out = append(out, e)
	}
	return out
}

// findings turns problems of f's sections into findings located in f,
// each message followed by suffix.
func (f *File) findings(errs []error, suffix string) []Finding {
	var out []Finding
	for _, err := range errs {
		fd := Finding{Rule: RuleRange, Severity: SeverityError, File: f.Name, Message: err.Error() + suffix}
		var ce *ConfigError
		if errors.As(err, &ce) {
			fd.Rule, fd.Key, fd.Message = ce.Rule, ce.Field, ce.Reason+suffix
			fd.File, fd.Line = f.location(ce.Field)
		}
		out = append(out, fd)
	}
	return out
}

// location is the file and line of key: its line in f, the variable that
// set it, or f without a line when it takes its default.
func (f *File) location(key string) (string, int) {
	src, ok := f.Source(key)
	switch {
	case !ok:
		return f.Name, 0
	case src.Env != "":
		return "$" + src.Env, 0
	}
	return f.Name, src.Line
}

// upstreamHops is the upstream: section of f as a hop.
func (f *File) upstreamHops() []hop {
	u := f.Service.Upstream
	if u == nil {
		return nil
	}
	h := hop{name: u.name()}
	if u.IdleTimeout > 0 {
		s := f.setting("upstream.idle_timeout", u.IdleTimeout)
		h.idle = &s
	}
	if u.RequestTimeout > 0 {
		h.waits = append(h.waits, f.setting("upstream.request_timeout", u.RequestTimeout))
	}
	return []hop{h}
}

// setting describes the value d at key of f.
func (f *File) setting(key string, d time.Duration) setting {
	file, line := f.location(key)
	_, written := f.Source(key)
	return setting{d: d, file: file, key: key, line: line, written: written, origin: "harden's default"}
}
