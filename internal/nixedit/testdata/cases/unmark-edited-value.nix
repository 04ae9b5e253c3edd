# markbot-test: op=unmark line=39 systems=x86_64-darwin,aarch64-darwin want=human-changed
{
  lib,
  stdenv,
  rustPlatform,
  fetchFromGitHub,
  pkg-config,
  openssl,
}:

rustPlatform.buildRustPackage rec {
  pname = "cargo-audit-lite";
  version = "0.21.2";

  src = fetchFromGitHub {
    owner = "nixpkgs-fixtures";
    repo = "cargo-audit-lite";
    rev = "cargo-audit/v${version}";
    hash = "sha256-xE9PdOhvmFz/StrHKh2rJyQEWuerzezCCAttF0OwFpo=";
  };

  cargoHash = "sha256-S5waLC3e6/h8zW+8uBGayRsFdftgccyOs0mJzIv/Pc8=";

  nativeBuildInputs = [ pkg-config ];

  buildInputs = [ openssl ];

  buildFeatures = [ "fix" ];

  # The tests require network access which is not available in sandboxed Nix builds.
  doCheck = false;

  doInstallCheck = !stdenv.hostPlatform.isDarwin;
  installCheckPhase = ''
    $out/bin/cargo-audit --version | grep -F "${version}"
  '';

  meta = {
    description = "Audit Cargo.lock files for crates with security vulnerabilities";
    mainProgram = "cargo-audit";
    homepage = "https://rustsec.org";
    license = with lib.licenses; [
      mit # or
      asl20
    ];
    maintainers = with lib.maintainers; [ basvandijk ];
    # markbot: broken on x86_64-darwin, aarch64-darwin since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log)
    broken = stdenv.hostPlatform.isDarwin || stdenv.hostPlatform.isAarch64;
  };
}
