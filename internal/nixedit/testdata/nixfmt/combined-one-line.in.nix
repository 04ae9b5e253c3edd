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
    broken = stdenv.hostPlatform.isDarwin;
  };
}
