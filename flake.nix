{
  description = "markbot: marks persistently failing nixpkgs packages broken in pull requests";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
      # No release tags yet: the version names the commit the flake was built from.
      version = "0-unstable-" + (self.shortRev or self.dirtyShortRev or "dirty");
    in
    {
      packages = forAllSystems (pkgs: {
        markbot = pkgs.callPackage ./nix/package.nix {
          inherit version;
          # go.mod says `go 1.26.0`; nixpkgs builds with GOTOOLCHAIN=local,
          # so the Go used must be at least 1.26.
          buildGoModule = pkgs.buildGoModule.override { go = pkgs.go_1_26; };
        };
        default = self.packages.${pkgs.stdenv.hostPlatform.system}.markbot;
      });

      # The NixOS module (nix/module.nix), with services.markbot.package
      # defaulting to this flake's package.
      nixosModules.markbot =
        { lib, pkgs, ... }:
        {
          imports = [ ./nix/module.nix ];
          services.markbot.package = lib.mkDefault self.packages.${pkgs.stdenv.hostPlatform.system}.default;
        };
      nixosModules.default = self.nixosModules.markbot;

      # `nix flake check` builds the package (which does not run the Go tests:
      # see doCheck in nix/package.nix).
      checks = forAllSystems (pkgs: {
        markbot = self.packages.${pkgs.stdenv.hostPlatform.system}.markbot;
      });
    };
}
