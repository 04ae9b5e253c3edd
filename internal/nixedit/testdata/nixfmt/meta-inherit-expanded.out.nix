# nixfmt-test: line=10 systems=x86_64-darwin,aarch64-darwin rule=Pretty.hs absorbRHS: a set holding a single inherit may stay on one line; with a second binding it is expanded
{
  lib,
  stdenv,
  src,
}:

stdenv.mkDerivation {
  pname = "two";
  version = "2";
  meta = {
    inherit (src.meta) homepage;
    # markbot: broken on x86_64-darwin, aarch64-darwin since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log), expanded meta
    broken = stdenv.hostPlatform.isDarwin;
  };
}
