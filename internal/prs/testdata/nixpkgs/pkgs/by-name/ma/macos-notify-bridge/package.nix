{
  lib,
  stdenv,
  buildGoModule,
  fetchFromGitHub,
  installShellFiles,
}:

buildGoModule rec {
  pname = "macos-notify-bridge";
  version = "0.3.1";

  src = fetchFromGitHub {
    owner = "nixpkgs-fixtures";
    repo = "macos-notify-bridge";
    rev = "v${version}";
    hash = "sha256-wAfCMHFcIsusapV/Dz0dOtkzoACB7AEnCJeG9IFu+uA=";
  };

  vendorHash = "sha256-SE42QCOvNkWLCaRMZyK1cSgf6FoJnpM42zjOkyvo6/s=";

  nativeBuildInputs = [ installShellFiles ];

  ldflags = [
    "-s"
    "-w"
    "-X main.version=${version}"
  ];

  postInstall = lib.optionalString (stdenv.buildPlatform.canExecute stdenv.hostPlatform) ''
    installShellCompletion --cmd notify-bridge \
      --bash <($out/bin/notify-bridge completion bash) \
      --zsh <($out/bin/notify-bridge completion zsh)
  '';

  meta = {
    description = "Forward notifications from a Linux VM to the macOS notification center";
    homepage = "https://github.com/nixpkgs-fixtures/macos-notify-bridge";
    license = lib.licenses.mit;
    maintainers = with lib.maintainers; [ ];
    mainProgram = "notify-bridge";
    # the cgo part only builds against the macOS SDK
    broken = stdenv.hostPlatform.isLinux;
  };
}
