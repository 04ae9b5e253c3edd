# Evaluates flake.nix's outputs against the stubs (see stubs.nix), with
# self.shortRev = "abc1234", and reduces them to JSON-friendly data (paths
# as strings, so that nothing is copied to the store).
{ root }:
let
  s = import ./stubs.nix;
  flake = import (root + "/flake.nix");
  out = flake.outputs {
    self = out // {
      shortRev = "abc1234";
    };
    inherit (s) nixpkgs;
  };
  describe =
    entry:
    if builtins.isPath entry then
      { path = toString entry; }
    else
      {
        path = toString entry.fileFilter.path;
        keepsGo = entry.fileFilter.predicate {
          name = "x.go";
          hasExt = e: e == "go";
        };
        keepsOther = entry.fileFilter.predicate {
          name = "x.golden";
          hasExt = e: e == "golden";
        };
      };
  package = system: out.packages.${system}.default;
  p = package "x86_64-linux";
  module = out.nixosModules.default {
    inherit (s) lib pkgs;
  };
in
{
  description = flake.description;
  nixpkgsURL = flake.inputs.nixpkgs.url;
  systems = builtins.attrNames out.packages;
  checks = builtins.mapAttrs (_: c: builtins.attrNames c) out.checks;
  packageSystems = map (sys: (package sys).pname) (builtins.attrNames out.packages);
  package = {
    inherit (p)
      pname
      version
      subPackages
      ldflags
      vendorHash
      doCheck
      builtWith
      postInstall
      ;
    cgo = p.env.CGO_ENABLED;
    meta = {
      inherit (p.meta) description mainProgram homepage;
      license = p.meta.license.spdxId;
    };
    srcRoot = toString p.src.fileset.root;
    srcFiles = map describe p.src.fileset.fileset.unions;
  };
  fakeHash = s.lib.fakeHash;
  moduleImports = map toString module.imports;
  modulePackage = module.services.markbot.package.pname;
}
