package config

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/httpx"
	"github.com/harden-go/harden/tlsx"
)

// Setting is one effective value of a service config and where it came
// from.
type Setting struct {
	// Key is the key path ("server.timeouts.write").
	Key string `json:"key"`
	// Value is the effective value, written as in a config file.
	Value string `json:"value"`
	// Origin is where the value came from: a file position
	// ("service.yaml:12:5"), an environment variable
	// ("$HARDEN_SERVER_ADDR"), "default", or "derived: " and the formula
	// with its numbers ("derived: handler 30s + 5s").
	Origin string `json:"origin"`
}

// Explain lists every effective setting of each section of f, in file
// order. The server's values are those [httpx.NewServer] runs with, so an
// invalid server section has none: Explain then returns its problems.
func Explain(f *File) ([]Setting, error) {
	var out []Setting
	if c := f.Service.Server; c != nil {
		srv, err := httpx.NewServer(*c, http.NotFoundHandler())
		if err != nil {
			return nil, fmt.Errorf("%s: the server section is invalid, so no server runs with it:\n%w", f.Name, err)
		}
		eff := srv.Config()
		out = f.explain(out, "server", reflect.ValueOf(*c), reflect.ValueOf(eff), serverDerived(eff))
	}
	if c := f.Service.TLS; c != nil {
		eff := tlsx.DefaultServerConfig(c.CertFile, c.KeyFile)
		overlay(reflect.ValueOf(&eff).Elem(), reflect.ValueOf(*c))
		derived := map[string]string{}
		if c.ClientAuth == "" {
			eff.ClientAuth = tlsx.ClientAuthNone
			derived["tls.client_auth"] = "none, as client_ca_file is empty"
			if c.ClientCAFile != "" {
				eff.ClientAuth = tlsx.ClientAuthRequireAndVerify
				derived["tls.client_auth"] = "require-and-verify, as client_ca_file is set"
			}
		}
		out = f.explain(out, "tls", reflect.ValueOf(*c), reflect.ValueOf(eff), derived)
	}
	if c := f.Service.Client; c != nil {
		eff, derived := clientEffective(*c)
		out = f.explain(out, "client", reflect.ValueOf(*c), reflect.ValueOf(eff), derived)
	}
	if c := f.Service.Upstream; c != nil {
		out = f.explain(out, "upstream", reflect.ValueOf(*c), reflect.ValueOf(*c), nil)
	}
	return out, nil
}

// serverDerived gives the formula, with its numbers, of each server value
// derived from others when it is not written.
func serverDerived(c httpx.ServerConfig) map[string]string {
	t, l := c.Timeouts, c.Limits
	d := map[string]string{}
	if t.Handler > 0 && t.Write > 0 {
		d["server.timeouts.write"] = fmt.Sprintf("handler %s + %s", seconds(t.Handler), seconds(t.Write-t.Handler))
	} else {
		d["server.timeouts.write"] = "disabled with the handler timeout"
	}
	if l.MaxBodyBytes > 0 && t.Handler > 0 {
		d["server.limits.min_body_rate"] = fmt.Sprintf("max_body_bytes %v / handler %s, rounded up to a whole KiB/s", l.MaxBodyBytes, seconds(t.Handler))
	} else {
		d["server.limits.min_body_rate"] = "the floor of 1KiB/s, with no body limit or handler timeout to derive from"
	}
	if t.Write > 0 {
		d["server.limits.max_connection_age_grace"] = fmt.Sprintf("timeouts.write %s", seconds(t.Write))
	} else {
		d["server.limits.max_connection_age_grace"] = "no bound, as timeouts.write has none"
	}
	d["server.limits.concurrency.min"] = fmt.Sprintf("the smaller of 20 and max %d", l.Concurrency.Max)
	d["server.limits.concurrency.initial"] = fmt.Sprintf("max %d", l.Concurrency.Max)
	if t.Handler > 0 && t.Write > t.Handler {
		d["server.limits.concurrency.backlog_timeout"] = fmt.Sprintf("half the write grace (timeouts.write %s - handler %s), at most 1s", seconds(t.Write), seconds(t.Handler))
	}
	if l.MaxConnections > 0 {
		d["server.limits.max_connections"] = "the open-file limit less a quarter of it (at least 256)"
		d["server.limits.max_connections_per_ip"] = fmt.Sprintf("a quarter of max_connections %d", l.MaxConnections)
	} else {
		d["server.limits.max_connections"] = "no cap, as the open-file limit is unknown"
		d["server.limits.max_connections_per_ip"] = "no cap, as max_connections has none"
	}
	return d
}

// clientEffective is c with httpx's client defaults filled in, and the
// formula of the one value derived from others: timeouts.response_header
// is the write deadline of httpx.DefaultServerConfig, or timeouts.total
// when that is shorter (documented on httpx.ClientTimeouts).
func clientEffective(c httpx.ClientConfig) (httpx.ClientConfig, map[string]string) {
	eff := httpx.DefaultClientConfig()
	overlay(reflect.ValueOf(&eff).Elem(), reflect.ValueOf(c))
	derived := map[string]string{}
	if c.Timeouts.ResponseHeader == 0 {
		write := defaultServerWrite()
		eff.Timeouts.ResponseHeader = write
		derived["client.timeouts.response_header"] = fmt.Sprintf("the default server's write timeout %s", seconds(write))
		if t := eff.Timeouts.Total; t > 0 && t < write {
			eff.Timeouts.ResponseHeader = t
			derived["client.timeouts.response_header"] = fmt.Sprintf("timeouts.total %s, shorter than the default server's write timeout %s", seconds(t), seconds(write))
		}
	}
	return eff, derived
}

// explain appends a Setting for each leaf of eff, the effective values of
// the section at key whose values as written are raw.
func (f *File) explain(out []Setting, key string, raw, eff reflect.Value, derived map[string]string) []Setting {
	t := eff.Type()
	if t.Kind() == reflect.Struct && !isLeaf(t) {
		for i := range t.NumField() {
			if name := tagName(t.Field(i)); name != "" {
				out = f.explain(out, key+"."+name, raw.Field(i), eff.Field(i), derived)
			}
		}
		return out
	}
	src, written := f.Source(key)
	origin := "default"
	switch formula, ok := derived[key]; {
	case written && !raw.IsZero():
		origin = src.String()
	case ok:
		origin = "derived: " + formula
		if written {
			origin += fmt.Sprintf(" (%s written at %s)", format(raw), src)
		}
	case key == "upstream.idle_timeout" || key == "upstream.request_timeout":
		origin = "not written: unknown, not checked"
	}
	return append(out, Setting{Key: key, Value: format(eff), Origin: origin})
}

// format writes v as a config file would.
func format(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case string:
		if x == "" {
			return `""`
		}
		return x
	case []string:
		if len(x) == 0 {
			return "[]"
		}
		return "[" + strings.Join(x, ", ") + "]"
	}
	return fmt.Sprint(v.Interface())
}

// overlay replaces each leaf of dst with src's when src's is not zero.
func overlay(dst, src reflect.Value) {
	if dst.Kind() == reflect.Struct && !isLeaf(dst.Type()) {
		for i := range dst.NumField() {
			overlay(dst.Field(i), src.Field(i))
		}
		return
	}
	if !src.IsZero() {
		dst.Set(src)
	}
}

// defaultServerWrite is the write deadline a server built from
// httpx.DefaultServerConfig runs with (the config leaves it to be derived).
func defaultServerWrite() harden.Duration {
	srv, err := httpx.NewServer(httpx.DefaultServerConfig(), http.NotFoundHandler())
	if err != nil {
		return 0
	}
	return srv.Config().Timeouts.Write
}
