# nixfmt-test: line=15 systems=x86_64-linux rule=standard.md "Bindings" #2 then "Operators": a value on the next line that no longer fits there becomes a chain
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
    broken =
      stdenv.hostPlatform.isMusl && enableGui && withX11 || stdenv.hostPlatform.isAarch32 && withWayland;
  };
}
