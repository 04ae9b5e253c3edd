# markbot-test: op=mark line=33 systems=x86_64-darwin,aarch64-darwin want=changed
{
  lib,
  stdenv,
  buildGoModule,
  fetchFromGitHub,
  dae,
}:

(dae.override { inherit buildGoModule; }).overrideAttrs (oldAttrs: {
  pname = "dae-unstable";
  version = "1.0.0-unstable-2025-06-12";

  src = fetchFromGitHub {
    owner = "daeuniverse";
    repo = "dae";
    rev = "a3f3d5b0f3a3c8a4b8c2d9e6e0f1a2b3c4d5e6f7";
    fetchSubmodules = true;
    hash = "sha256-/7+3iYRsYPTfRB6TCvxK34C+2yYWCt9i2Sols/MoqVk=";
  };

  vendorHash = "sha256-uqCj472mcGyE9mBtjzGP/NSU8KUuOmiYa6skbxvMPuA=";

  passthru = (oldAttrs.passthru or { }) // {
    updateScript = null;
  };

  preBuild = (oldAttrs.preBuild or "") + lib.optionalString stdenv.hostPlatform.isLinux ''
    export BPF_CLANG="''${CC}"
  '';

  meta = oldAttrs.meta // {
    description = "Linux high-performance transparent proxy solution based on eBPF (development snapshot)";
    maintainers = with lib.maintainers; [ moraxyc ];
  };
})
