# markbot-test: op=mark line=37 systems=aarch64-linux want=changed
{
  lib,
  stdenv,
  fetchFromGitHub,
  autoreconfHook,
  pkg-config,
  openssl,
}:

let
  libcoap = stdenv.mkDerivation (finalAttrs: {
    pname = "libcoap-bundled";
    version = "4.3.5";

    src = fetchFromGitHub {
      owner = "obgm";
      repo = "libcoap";
      rev = "v${finalAttrs.version}";
      fetchSubmodules = true;
      hash = "sha256-Z8kbuDmYKd7FBWfr/AtQeAkf0Y0GUbEpSG6gR+BrvIo=";
    };

    nativeBuildInputs = [
      autoreconfHook
      pkg-config
    ];
    buildInputs = [ openssl ];

    configureFlags = [
      "--disable-documentation"
      "--disable-shared"
      "--with-openssl"
    ];

    meta = {
      description = "C implementation of the Constrained Application Protocol";
      homepage = "https://libcoap.net/";
      license = lib.licenses.bsd2;
      platforms = lib.platforms.unix;
    };
  });
in
stdenv.mkDerivation rec {
  pname = "coap-shell";
  version = "1.2.0";

  src = fetchFromGitHub {
    owner = "nixpkgs-fixtures";
    repo = "coap-shell";
    rev = "v${version}";
    hash = "sha256-sunNF5NsTJpPZA9D9BNv4j11nQYQurqos9MYUIzXWBU=";
  };

  nativeBuildInputs = [ pkg-config ];
  buildInputs = [ libcoap ];

  makeFlags = [ "PREFIX=$(out)" ];

  meta = {
    description = "Interactive shell for CoAP devices";
    homepage = "https://github.com/nixpkgs-fixtures/coap-shell";
    license = lib.licenses.mit;
    maintainers = with lib.maintainers; [ ];
    platforms = lib.platforms.unix;
    mainProgram = "coap-shell";
  };
}
