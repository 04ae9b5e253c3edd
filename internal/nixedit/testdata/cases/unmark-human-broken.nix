# markbot-test: op=unmark line=35 want=not-marked
{
  lib,
  buildGoModule,
  fetchFromGitHub,
}:

buildGoModule rec {
  pname = "dnscontrol-lite";
  version = "4.21.0";

  src = fetchFromGitHub {
    owner = "nixpkgs-fixtures";
    repo = "dnscontrol-lite";
    tag = "v${version}";
    hash = "sha256-UiwkMPKWKEQ2BFasuMGg4GT3FgoJV4nGyRruXjomG98=";
  };

  vendorHash = "sha256-m0VjXRyDVTTcQMGlmEbc7QtXCDgXkVnStnrE2ZPh5ro=";

  subPackages = [ "." ];

  ldflags = [
    "-s"
    "-w"
    "-X=main.version=${version}"
  ];

  preCheck = ''
    # requires network
    rm pkg/spflib/flatten_test.go pkg/spflib/parse_test.go
  '';

  meta = {
    description = "Synchronize your DNS to multiple providers from a simple DSL";
    homepage = "https://dnscontrol.org/";
    changelog = "https://github.com/StackExchange/dnscontrol/releases/tag/${src.tag}";
    license = lib.licenses.mit;
    maintainers = with lib.maintainers; [ SuperSandro2000 ];
    mainProgram = "dnscontrol";
    broken = true;
  };
}
