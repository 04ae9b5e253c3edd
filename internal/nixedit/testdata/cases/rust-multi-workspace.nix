# markbot-test: op=mark line=58 systems=aarch64-linux want=changed
{
  lib,
  stdenv,
  rustPlatform,
  fetchFromGitHub,
  pkg-config,
  openssl,
  sqlite,
}:

let
  version = "0.14.2";

  src = fetchFromGitHub {
    owner = "nixpkgs-fixtures";
    repo = "kvstash";
    tag = "v${version}";
    hash = "sha256-AWInoDXw8B9IVhIK+VwLjEPBKXxAD63eyOJS1uGnIuM=";
  };

  common = {
    inherit version src;
    cargoHash = "sha256-89XGGriSjnfmESKPYck6vstk78VlnA/+24qV2N/yKm0=";
    nativeBuildInputs = [ pkg-config ];
  };
in
{
  kvstash-server = rustPlatform.buildRustPackage (
    common
    // {
      pname = "kvstash-server";
      cargoBuildFlags = [ "--package=kvstash-server" ];
      buildInputs = [
        openssl
        sqlite
      ];

      meta = {
        description = "Small replicated key-value store (server)";
        homepage = "https://github.com/nixpkgs-fixtures/kvstash";
        license = lib.licenses.asl20;
        mainProgram = "kvstashd";
      };
    }
  );

  kvstash-cli = rustPlatform.buildRustPackage (
    common
    // {
      pname = "kvstash-cli";
      cargoBuildFlags = [ "--package=kvstash-cli" ];
      buildInputs = [ openssl ];

      doCheck = !stdenv.hostPlatform.isDarwin;

      meta = {
        description = "Small replicated key-value store (command-line client)";
        homepage = "https://github.com/nixpkgs-fixtures/kvstash";
        license = lib.licenses.asl20;
        mainProgram = "kvstash";
      };
    }
  );
}
