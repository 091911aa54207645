package config

import (
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// setting is one value read from a tier's file, or that product's default
// when the file does not write it.
type setting struct {
	d       time.Duration
	file    string
	key     string // key path in the file
	line    int
	written bool
	origin  string // for a default: whose default it is, and its source
}

// String is the setting for a finding's message: its key, value and
// where the value came from.
func (s setting) String() string {
	switch {
	case s.written && s.line > 0:
		return fmt.Sprintf("%s %s (%s:%d)", s.key, seconds(s.d), s.file, s.line)
	case s.written:
		return fmt.Sprintf("%s %s (%s)", s.key, seconds(s.d), s.file)
	}
	return fmt.Sprintf("%s %s (not written: %s)", s.key, seconds(s.d), s.origin)
}

// hop is a proxy or load balancer in front of the server: a client of
// the server, checked with the client rules.
type hop struct {
	name string // "Traefik serversTransport \"default\""
	// idle is how long the hop keeps an idle connection to the server;
	// a zero d means it never closes one.
	idle *setting
	// waits are the times after which the hop abandons a response the
	// server is still working on; a zero d means it never does.
	waits []setting
	// clientIdle is how long the hop keeps an idle connection from its
	// own clients open; a client calling through it must close first.
	clientIdle *setting
	// reads are the times within which the hop must have read a whole
	// request, body included, from its client; zero means no limit.
	reads []setting
	// implied marks the default serversTransport that a Traefik dynamic
	// file's services use, standing in for the static file when it is
	// not among the files linted.
	implied bool
}

// reader collects what one file says, and the problems of reading it.
type reader struct {
	file     string
	findings []Finding
}

// read returns the setting at keys under n: its value when written,
// def otherwise. A value that is not a duration is a finding, and the
// default stands in for it.
func (r *reader) read(n *yaml.Node, path string, keys []string, unit time.Duration, def time.Duration, origin string) setting {
	key := strings.Join(keys, ".")
	if path != "" {
		key = path + "." + key
	}
	s := setting{d: def, file: r.file, key: key, origin: origin}
	v := get(n, keys...)
	if v == nil || isNull(v) {
		return s
	}
	d, err := duration(v, unit)
	if err != nil {
		r.findings = append(r.findings, Finding{Rule: RuleType, Severity: SeverityError, File: r.file, Line: v.Line, Key: key,
			Message: err.Error() + "; lint reads the default instead"})
		return s
	}
	s.d, s.written, s.line = d, true, keyLine(n, keys...)
	return s
}
