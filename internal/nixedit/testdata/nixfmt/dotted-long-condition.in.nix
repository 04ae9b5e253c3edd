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
}
