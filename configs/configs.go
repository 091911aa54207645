// Package configs embeds harden's reference configuration files, so the
// CLI can print them and programs can start from them:
//
//	data, _ := configs.FS.ReadFile("server-edge.yaml")
//
// Each file is commented with the reason for every value; copy one and
// change what your deployment says otherwise.
package configs

import "embed"

// FS holds the reference configs, by file name.
//
//go:embed *.yaml
var FS embed.FS
