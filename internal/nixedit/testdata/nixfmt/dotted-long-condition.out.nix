# nixfmt-test: line=10 systems=x86_64-linux,aarch64-darwin rule=standard.md "Bindings" #2 for meta.broken (Pretty.hs: a path of at most four simple selectors is absorbed like a name)
{
  lib,
  stdenv,
}:

stdenv.mkDerivation {
  pname = "tiny";
  version = "0.1";
  meta.description = "Tiny";
  meta.license = lib.licenses.mit;
  # markbot: broken on x86_64-linux, aarch64-darwin since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log)
  meta.broken =
    stdenv.hostPlatform.system == "x86_64-linux" || stdenv.hostPlatform.system == "aarch64-darwin";
}
