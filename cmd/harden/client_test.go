package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/harden-go/harden/benchmarks/scenarios"
	"github.com/harden-go/harden/httpx"
)

// The client table compares http.DefaultClient with harden's client,
// judged by the bounds of the client config the scorecard gives harden.
func TestDefaultBenchClient(t *testing.T) {
	b, err := defaultBench()
	if err != nil {
		t.Fatal(err)
	}
	l := b.lineups[scenarios.Client]
	if got := l.names(); len(got) != 2 || got[0] != scenarios.DefaultClient().Name || got[1] != l.subject || l.subject != "harden" {
		t.Errorf("client targets %v, subject %q; want http.DefaultClient and harden", got, l.subject)
	}
	cfg := scorecardClientConfig()
	if c := b.bounds.Client; c.ResponseHeader != cfg.Timeouts.ResponseHeader || c.PingAfter != cfg.HTTP2.PingAfter || c.PingTimeout != cfg.HTTP2.PingTimeout {
		t.Errorf("client bounds %+v do not follow the config", c)
	}
	if c := b.bounds.Client; c.ResponseHeader <= c.PingAfter+c.PingTimeout {
		t.Errorf("response_header %v is not above ping_after + ping_timeout, unlike the defaults", c.ResponseHeader)
	}
	if !strings.Contains(b.settings, "client: httpx.DefaultClientConfig() with timeouts.response_header 3s") {
		t.Errorf("settings %q do not say how the client was configured", b.settings)
	}
}

// The fast client rows, through the command: harden's client is
// defended, http.DefaultClient with its users' hand-written loops is
// not, and the figures are in --json.
func TestClientRows(t *testing.T) {
	for _, name := range []string{"retry-storm", "expired-token-storm"} {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"scorecard", "--scenario", name, "--json"}, &out, &errOut, testBench("header limits"))
			var rep report
			dec := json.NewDecoder(&out)
			dec.DisallowUnknownFields()
			if err := dec.Decode(&rep); err != nil {
				t.Fatalf("stdout is not a report: %v\nstderr: %s", err, errOut.String())
			}
			if code != exitOK || len(rep.Tables) != 1 || rep.Tables[0].Kind != scenarios.Client {
				t.Fatalf("exit %d, report %+v; want one client table", code, rep)
			}
			o := rep.Tables[0].Scenarios[0].Outcomes
			base, h := o[0].Outcome, o[1].Outcome
			if base.Defended || !h.Defended {
				t.Errorf("defended: baseline %v (%s), harden %v (%s)", base.Defended, base.Summary, h.Defended, h.Summary)
			}
			switch name {
			case "retry-storm":
				if h.AttemptsPerRequest == 0 || base.AttemptsPerRequest <= h.AttemptsPerRequest || h.ModelledPeers["go-retryablehttp"] != 5 {
					t.Errorf("attempts per call: baseline %v, harden %v, modelled %v", base.AttemptsPerRequest, h.AttemptsPerRequest, h.ModelledPeers)
				}
			case "expired-token-storm":
				if h.TokenFetches != 1 || base.TokenFetches <= 1 {
					t.Errorf("token fetches: baseline %d, harden %d", base.TokenFetches, h.TokenFetches)
				}
			}
		})
	}
}

// TestHardenClientDefendsEveryScenario runs every client scenario against
// http.DefaultClient and a harden client whose timeouts are shortened
// further, so each client row the scorecard prints is also asserted here.
func TestHardenClientDefendsEveryScenario(t *testing.T) {
	cfg := httpx.DefaultClientConfig()
	cfg.Timeouts.ResponseHeader = time.Second // above the p99 of 128 callers under -race
	cfg.HTTP2.PingAfter = 300 * time.Millisecond
	cfg.HTTP2.PingTimeout = 300 * time.Millisecond
	cfg.Retry.Throttle.Window = time.Second // lets go within the outage row's give-up
	b := scenarios.Bounds{Client: clientBoundsOf(cfg)}
	targets := []scenarios.Target{scenarios.DefaultClient(), hardenClientTarget(cfg)}
	for _, s := range scenarios.Of(scenarios.Client) {
		t.Run(s.Name, func(t *testing.T) {
			out := s.Against(context.Background(), b, targets...)
			base, h := out[0], out[1]
			t.Logf("%s  vs  %s", base.Summary, h.Summary)
			if base.Err != "" || h.Err != "" {
				t.Fatalf("errors: %q, %q", base.Err, h.Err)
			}
			if base.Defended || !h.Defended {
				t.Errorf("defended: http.DefaultClient %v (%s), harden %v (%s); want only harden", base.Defended, base.Summary, h.Defended, h.Summary)
			}
		})
	}
}
