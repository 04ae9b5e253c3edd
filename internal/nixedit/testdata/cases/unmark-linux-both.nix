# markbot-test: op=unmark line=32 systems=x86_64-linux,aarch64-linux want=changed
{
  lib,
  stdenv,
  buildGoModule,
  fetchFromGitHub,
}:

buildGoModule (finalAttrs: {
  pname = "mkcert-lite";
  version = "1.4.4";

  src = fetchFromGitHub {
    owner = "FiloSottile";
    repo = "mkcert";
    rev = "v${finalAttrs.version}";
    hash = "sha256-emW93vvxNzV8Re8pr0oeMN0jzBqgw+WmGJS9qL+XMZQ=";
  };

  vendorHash = "sha256-bKNMnvLVazMwTiUzdS5RVVoLAJgZHDB8ptahuPGs1dU=";

  env.CGO_ENABLED = if stdenv.hostPlatform.isDarwin then 1 else 0;

  ldflags = [
    "-s"
    "-w"
    "-X main.Version=v${finalAttrs.version}"
  ];

  meta = {
    homepage = "https://github.com/FiloSottile/mkcert";
    description = "Simple tool for making locally-trusted development certificates";
    mainProgram = "mkcert";
    license = lib.licenses.bsd3;
    maintainers = with lib.maintainers; [ ];
    # markbot: broken on x86_64-linux, aarch64-linux since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log)
    broken = stdenv.hostPlatform.isLinux;
  };
})
