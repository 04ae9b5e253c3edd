# nixfmt-test: line=15 systems=aarch64-darwin rule=standard.md "Operators" (chainable operators: each || starts a line) and "Bindings semicolon placement" attr8; nixfmt test/diff/idioms_lib_5/out.nix allowUnsupportedSystem
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
    broken = stdenv.hostPlatform.isDarwin && stdenv.hostPlatform.isx86_64;
  };
}
