package config

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// Traefik v3's defaults for what lint reads, from its source
// (pkg/config/dynamic ForwardingTimeouts.SetDefaults, pkg/config/static
// entry point defaults) and its documentation ("EntryPoints",
// "ServersTransport"). Bare numbers in Traefik files are seconds.
const (
	traefikIdleConnTimeout       = 90 * time.Second
	traefikResponseHeaderTimeout = 0 // none
	traefikWriteTimeout          = 0 // none
	traefikReadTimeout           = 60 * time.Second
	traefikEntryIdleTimeout      = 180 * time.Second
	traefikDefaults              = "Traefik v3's default"
)

// readTraefik returns the hops of a Traefik static or dynamic file: each
// serversTransport (the static file's default one, or a dynamic file's
// named ones) and each entry point.
func readTraefik(file string, kind Kind, d *yaml.Node) ([]hop, []Finding) {
	r := &reader{file: file}
	var hops []hop
	transport := func(name, path string, n *yaml.Node) hop {
		ft := []string{"forwardingTimeouts"}
		idle := r.read(n, path, append(ft, "idleConnTimeout"), time.Second, traefikIdleConnTimeout, traefikDefaults)
		header := r.read(n, path, append(ft, "responseHeaderTimeout"), time.Second, traefikResponseHeaderTimeout, traefikDefaults+", none")
		return hop{name: fmt.Sprintf("Traefik serversTransport %q", name), idle: &idle, waits: []setting{header}}
	}
	switch kind {
	case KindTraefikStatic:
		// Services without a serversTransport of their own use this one,
		// with Traefik's defaults where the file says nothing.
		hops = append(hops, transport("default", "serversTransport", get(d, "serversTransport")))
		for _, ep := range entries(get(d, "entryPoints")) {
			path := "entryPoints." + ep[0].Value
			// writeTimeout covers reading the request to writing the
			// whole response: if it fires first, the client gets a cut
			// response instead of the server's 503.
			w := r.read(ep[1], path, []string{"transport", "respondingTimeouts", "writeTimeout"}, time.Second, traefikWriteTimeout, traefikDefaults+", none")
			read := r.read(ep[1], path, []string{"transport", "respondingTimeouts", "readTimeout"}, time.Second, traefikReadTimeout, traefikDefaults)
			idle := r.read(ep[1], path, []string{"transport", "respondingTimeouts", "idleTimeout"}, time.Second, traefikEntryIdleTimeout, traefikDefaults)
			hops = append(hops, hop{name: fmt.Sprintf("Traefik entry point %q", ep[0].Value), waits: []setting{w}, reads: []setting{read}, clientIdle: &idle})
		}
	case KindTraefikDynamic:
		for _, st := range entries(get(d, "http", "serversTransports")) {
			hops = append(hops, transport(st[0].Value, "http.serversTransports."+st[0].Value, st[1]))
		}
		for _, svc := range entries(get(d, "http", "services")) {
			if lb := get(svc[1], "loadBalancer"); lb != nil && scalar(get(lb, "serversTransport")) == "" {
				// This service uses the default transport of the static
				// file, which may not be among the files linted.
				h := transport("default", "serversTransport", nil)
				h.implied = true
				hops = append(hops, h)
				break
			}
		}
	}
	return hops, r.findings
}
