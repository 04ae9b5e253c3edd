# nixfmt-test: line=10 refused=leading rule=standard.md "Function declaration": trailing commas, not leading (the "Alternatives")
{ lib
, stdenv
}:

stdenv.mkDerivation {
  pname = "x";
  version = "1";
  meta = {
    description = "x";
  };
}
