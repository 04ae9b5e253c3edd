// Package deploy holds no code: its tests are checks of the deployment files
// (flake, NixOS module, workflows): flake.nix and nix/*.nix parse and, evaluated
// against small stand-ins for nixpkgs (testdata/stubs.nix), wire the package,
// the service, its secrets and its state as documented; the scheduled
// workflow .github/workflows/markbot.yml runs `markbot run --config`, never
// overlaps, never prints its key, and uses only the MARKBOT_* variables the
// config package knows.
package deploy
