# markbot-test: op=unmark line=46 systems=aarch64-linux want=changed
{
  lib,
  stdenv,
  buildGoModule,
  fetchFromGitHub,
  installShellFiles,
}:

buildGoModule rec {
  pname = "k9s-lite";
  version = "0.50.6";

  src = fetchFromGitHub {
    owner = "nixpkgs-fixtures";
    repo = "k9s-lite";
    rev = "v${version}";
    hash = "sha256-XQHItw8PQLsS0gUACbU5vvwuDvHp8QJrqjwANxYox5A=";
  };

  vendorHash = "sha256-z2ZYdP8Uu8ewBVenxvfwreAkBLHN4d3VT4WjQ59zhkM=";

  ldflags = [
    "-s"
    "-w"
    "-X github.com/derailed/k9s/cmd.version=${version}"
    "-X github.com/derailed/k9s/cmd.commit=${src.rev}"
  ];

  tags = [ "netgo" ];

  proxyVendor = true;

  # Integration tests fail in the sandbox
  doCheck = false;

  nativeBuildInputs = [ installShellFiles ];
  postInstall = lib.optionalString (stdenv.hostPlatform == stdenv.buildPlatform) ''
    installShellCompletion --cmd k9s \
      --bash <($out/bin/k9s completion bash) \
      --fish <($out/bin/k9s completion fish) \
      --zsh <($out/bin/k9s completion zsh)
  '';

  meta = with lib; {
    description = "Kubernetes CLI to manage your clusters in style";
    homepage = "https://github.com/nixpkgs-fixtures/k9s-lite";
    changelog = "https://github.com/derailed/k9s/releases/tag/v${version}";
    license = licenses.asl20;
    mainProgram = "k9s";
    maintainers = with maintainers; [ qjoly ];
    # markbot: broken on aarch64-linux since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log)
    broken = stdenv.hostPlatform.system == "aarch64-linux";
  };
}
