package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/harden-go/harden/config"
)

const helpHintExplain = `Run "harden explain --help" for usage.`

const explainHelp = `Usage:
  harden explain [--json] FILE

Explain prints every effective setting of a harden config (after HARDEN_*
environment overrides), its value and where it came from:

  FILE:LINE:COL   written in the file
  $HARDEN_...     set by that environment variable
  default         harden's default, documented on the field
  derived: ...    computed from other settings, with the formula and its
                  numbers, e.g. "derived: handler 30s + 5s"

The server's values are those httpx.NewServer runs with; a server section
that fails validation has none, and explain prints its problems instead.

Flags:
  --json   print the settings as a JSON array of objects with key, value
           and origin

Examples:
  harden explain service.yaml
  HARDEN_SERVER_TIMEOUTS_HANDLER=60s harden explain service.yaml

Exit status: 0 on success, 1 when the file cannot be loaded or its server
section is invalid, 2 on a usage error.
`

// explain runs the explain command and returns the exit status.
func explain(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("explain", stderr)
	asJSON := fs.Bool("json", false, "print the settings as JSON")
	if code, done := parseFlags(fs, args, explainHelp, helpHintExplain, stdout, stderr); done {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "harden explain: want one file, got %d\n%s\n", fs.NArg(), helpHintExplain)
		return exitUsage
	}
	f, err := config.Load(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "harden explain: %v\n", err)
		return exitFailed
	}
	settings, err := config.Explain(f)
	if err != nil {
		fmt.Fprintf(stderr, "harden explain: %v\n", err)
		return exitFailed
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(settings)
	} else {
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "KEY\tVALUE\tORIGIN")
		for _, s := range settings {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Key, s.Value, s.Origin)
		}
		err = tw.Flush()
	}
	if err != nil {
		fmt.Fprintf(stderr, "harden explain: %v\n", err)
		return exitFailed
	}
	return exitOK
}
