# nixfmt-test: line=9 systems=x86_64-linux,aarch64-darwin rule=standard.md "Bindings": meta = { … } expanded, its bindings one level deeper; the long condition as in "Bindings" #2
{
  lib,
  stdenv,
}:

stdenv.mkDerivation {
  pname = "pv";
  version = "1.8.5";
  src = ./.;
}
