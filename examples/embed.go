// Package examples embeds the sample nixpkgs tree and its packages index
// (packages.json) that markbot's demo and end-to-end tests run against.
package examples

import "embed"

// FS holds nixpkgs/ (a sample nixpkgs tree) and packages.json (its index,
// in the shape of the channel's packages.json).
//
//go:embed nixpkgs packages.json
var FS embed.FS
