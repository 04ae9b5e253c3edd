# nixfmt-test: line=15 systems=x86_64-linux rule=standard.md "Bindings" #1: X || COND fits on the binding's line
{
  lib,
  stdenv,
  enableGui ? true,
  withWayland ? false,
  withX11 ? true,
  x11 ? true,
}:

stdenv.mkDerivation {
  pname = "eza-ish";
  version = "0.20.0";
  meta = {
    description = "Modern replacement for ls";
    # markbot: also broken on x86_64-linux since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log)
    broken = stdenv.hostPlatform.isDarwin || stdenv.hostPlatform.system == "x86_64-linux";
  };
}
