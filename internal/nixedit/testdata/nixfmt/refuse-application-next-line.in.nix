# nixfmt-test: line=11 refused=model rule=Pretty.hs absorbRHS/prettyApp: an application too long for the binding's line has layouts of its own (its last argument absorbed), which markbot does not model
{
  lib,
  stdenv,
}:

stdenv.mkDerivation {
  pname = "x";
  version = "1";
  meta = {
    description = "x";
    broken =
      lib.versionOlder stdenv.cc.version "13.0.0-rc1-with-a-long-suffix-that-needs-a-line-of-its-own";
  };
}
