# nixfmt-test: line=15 systems=aarch64-darwin rule=standard.md "Bindings" #2: X || COND does not fit on the binding's line but fits on its own (nixfmt test/diff/idioms_lib_5/out.nix allowUnfree)
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
    # markbot: also broken on aarch64-darwin since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log)
    broken =
      stdenv.hostPlatform.isMusl && enableGui && x11 || stdenv.hostPlatform.system == "aarch64-darwin";
  };
}
