# nixfmt-test: line=9 systems=x86_64-linux,aarch64-darwin rule=standard.md "Bindings": meta = { … } expanded, its bindings one level deeper; the long condition as in "Bindings" #2
{
  lib,
  stdenv,
}:

stdenv.mkDerivation {
  pname = "pv";
  version = "1.8.5";
  src = ./.;
  meta = {
    # markbot: broken on x86_64-linux, aarch64-darwin since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log)
    broken =
      stdenv.hostPlatform.system == "x86_64-linux" || stdenv.hostPlatform.system == "aarch64-darwin";
  };
}
