# nixfmt-test: line=11 refused=newline rule=Predoc.hs layout/finalize: the output ends in exactly one newline
{
  lib,
  stdenv,
}:

stdenv.mkDerivation {
  pname = "x";
  version = "1";
  meta = {
    description = "x";
  };
}