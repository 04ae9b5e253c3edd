# markbot-test: op=mark line=31 systems=x86_64-linux want=refused
{
  lib,
  stdenv,
  buildGoModule,
  fetchFromGitHub,
}:

buildGoModule rec {
  pname = "gotty-lite";
  version = "1.5.0";

  src = fetchFromGitHub {
    owner = "nixpkgs-fixtures";
    repo = "gotty-lite";
    rev = "v${version}";
    hash = "sha256-BqSH/bkTdSXvyFNJaHM7ID3cJSB7Zavx2tvzqlYm32I=";
  };

  vendorHash = "sha256-cXL3v8CC87pD9b4che59T4pBOPlimomkX+W4RCnt2fQ=";

  # upstream tests need a tty
  doCheck = false;

  ldflags = [
    "-s"
    "-w"
    "-X main.Version=${version}"
  ];

  meta = with lib; { description = "Share your terminal as a web application"; license = licenses.mit; mainProgram = "gotty"; };
}
