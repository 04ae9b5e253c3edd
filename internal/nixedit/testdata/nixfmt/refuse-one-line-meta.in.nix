# nixfmt-test: line=10 refused=one rule=Pretty.hs absorbRHS/prettySet: nixfmt never prints a set with bindings on one line as a value
{
  lib,
  stdenv,
}:

stdenv.mkDerivation {
  pname = "sl";
  version = "5.05";
  meta = { description = "Steam Locomotive"; };
}
