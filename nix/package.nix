# markbot, built from this repository's sources with buildGoModule.
# Called from flake.nix with `pkgs.callPackage ./nix/package.nix { … }`.
{
  lib,
  buildGoModule,
  version,
}:

buildGoModule {
  pname = "markbot";
  inherit version;

  # Only what the build reads: the module files and the Go sources (tests
  # included, so that `go mod vendor` sees the same imports as a checkout),
  # plus the example configuration installed as documentation. Editing docs,
  # examples or the Nix files does not change the source hash.
  src = lib.fileset.toSource {
    root = ../.;
    fileset = lib.fileset.unions [
      ../go.mod
      ../go.sum
      (lib.fileset.fileFilter (file: file.hasExt "go") ../cmd)
      (lib.fileset.fileFilter (file: file.hasExt "go") ../internal)
      ../config/markbot.example.yaml
      # The sample tree and its packages.json, embedded for `markbot demo`.
      ../examples
      # The status page's template, embedded in internal/app.
      ../internal/app/templates
      # The maintainer pages' templates and assets, embedded in internal/report.
      ../internal/report/templates
      ../internal/report/assets
    ];
  };

  # The NAR hash of the vendor directory `go mod vendor` makes, which is
  # what buildGoModule's goModules derivation outputs: computed offline
  # (see docs/deployment.md#the-package-and-its-vendorhash) and checked
  # against go.mod/go.sum by internal/deploy's TestVendorHash. Not yet
  # confirmed by a `nix build`.
  vendorHash = "sha256-Khri7DmYjBIpqzxshY/Bm5o0i+5q+M6n4VsYdTx3zQg=";

  subPackages = [ "cmd/markbot" ];

  # modernc.org/sqlite is pure Go: no C toolchain, a static binary.
  env.CGO_ENABLED = "0";

  ldflags = [
    "-s"
    "-w"
    "-X github.com/nixpkgs-markbot/markbot/internal/version.version=${version}"
  ];

  # The test suite uses nix-instantiate, git and patch as oracles and a
  # shared conformance corpus outside this source tree; it runs in CI
  # (.ci/run, with MARKBOT_REQUIRE_TOOLS=1) rather than in the sandbox.
  doCheck = false;

  postInstall = ''
    install -Dm644 config/markbot.example.yaml $out/share/doc/markbot/markbot.example.yaml
  '';

  meta = {
    description = "Marks persistently failing nixpkgs packages broken in pull requests to their maintainers";
    homepage = "https://github.com/nixpkgs-markbot/markbot";
    license = lib.licenses.mit;
    mainProgram = "markbot";
    platforms = lib.platforms.unix;
  };
}
